// The emulator's state and its persistence.
//
// Durability: every write is one JSON line appended to DATA_DIR/journal.jsonl and fsync'ed BEFORE the
// HTTP answer is sent, so an acknowledged write survives `kill -9` or a power cut. A line holds all the
// mutations of one request (an account and its Idempotency-Key record together), so a request is
// applied entirely or not at all. On start the snapshot is loaded, the journal replayed (a torn last
// line, which was never acknowledged, is dropped), and both are compacted into a new snapshot written
// as temp file + fsync + rename + directory fsync; the journal then starts empty.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ChamanAccount, ChamanCertificate } from '../chaman/types.ts';
import type { Contact, Organization } from '../domain/types.ts';

export interface StoredCertificate extends ChamanCertificate {
  /** base64 of the DER bytes */
  content: string;
}

export interface StoredAccount extends Omit<ChamanAccount, 'certificates'> {
  senderNumber: string;
  certificates: StoredCertificate[];
  /** Types of credential kind password (FTP): scrypt hash of the write-only password (`scrypt$N$r$p$salt$hash`); never returned */
  passwordHash?: string;
}

export interface StoredSender {
  senderNumber: string;
  organization: Organization | null;
  contact: Contact | null;
}

export interface IdempotencyRecord {
  /** sha256 of the canonical request body, password left out (it is checked against the account's hash) */
  fingerprint: string;
  accountId: string;
  certificateId?: string;
  createdAt: string;
}

export interface StateData {
  version: 1;
  senders: Record<string, StoredSender>;
  accounts: Record<string, StoredAccount>;
  idempotency: Record<string, IdempotencyRecord>;
}

export type Mutation =
  | { op: 'putSender'; sender: StoredSender }
  | { op: 'putAccount'; account: StoredAccount }
  | { op: 'deleteAccount'; id: string }
  | { op: 'putIdempotency'; key: string; record: IdempotencyRecord };

const SNAPSHOT = 'snapshot.json';
const JOURNAL = 'journal.jsonl';
/** Compact when the journal grows past this many lines, to keep restarts quick. */
const COMPACT_EVERY = 5_000;
/** Idempotency-Key records older than this are dropped at compaction. */
const IDEMPOTENCY_RETENTION_MS = 7 * 24 * 3600 * 1000;

function emptyState(): StateData {
  return { version: 1, senders: {}, accounts: {}, idempotency: {} };
}

function apply(state: StateData, mutation: Mutation): void {
  switch (mutation.op) {
    case 'putSender':
      state.senders[mutation.sender.senderNumber] = mutation.sender;
      break;
    case 'putAccount':
      state.accounts[mutation.account.id] = mutation.account;
      break;
    case 'deleteAccount':
      delete state.accounts[mutation.id];
      break;
    case 'putIdempotency':
      state.idempotency[mutation.key] = mutation.record;
      break;
  }
}

export class Store {
  readonly #dir: string | undefined;
  #state: StateData;
  #journalFd: number | undefined;
  #journalLines = 0;
  /** Account ids by sender number and every client id in use, so no request scans all accounts (10k+ in benchmarks). */
  readonly #bySender = new Map<string, Set<string>>();
  readonly #clientIds = new Set<string>();

  private constructor(dir: string | undefined, state: StateData) {
    this.#dir = dir;
    this.#state = state;
    for (const account of Object.values(state.accounts)) this.#index(account, true);
  }

  /** The ids of a sender's accounts. */
  accountIdsOf(senderNumber: string): Iterable<string> {
    return this.#bySender.get(senderNumber) ?? [];
  }

  clientIdTaken(clientId: string): boolean {
    return this.#clientIds.has(clientId);
  }

  #index(account: StoredAccount, present: boolean): void {
    let ids = this.#bySender.get(account.senderNumber);
    if (!ids) this.#bySender.set(account.senderNumber, (ids = new Set()));
    if (present) ids.add(account.id);
    else ids.delete(account.id);
    if (account.clientId !== undefined) {
      if (present) this.#clientIds.add(account.clientId);
      else this.#clientIds.delete(account.clientId);
    }
  }

  /** Opens (or creates) the data directory; without one, state lives in memory only. */
  static open(dir?: string, now: Date = new Date()): Store {
    if (dir === undefined) return new Store(undefined, emptyState());
    mkdirSync(dir, { recursive: true });
    let state = emptyState();
    const snapshotPath = join(dir, SNAPSHOT);
    if (existsSync(snapshotPath)) state = JSON.parse(readFileSync(snapshotPath, 'utf8')) as StateData;
    const journalPath = join(dir, JOURNAL);
    if (existsSync(journalPath)) {
      const lines = readFileSync(journalPath, 'utf8').split('\n');
      for (const [index, line] of lines.entries()) {
        if (line.trim() === '') continue;
        let entry: { mutations: Mutation[] };
        try {
          entry = JSON.parse(line) as { mutations: Mutation[] };
        } catch (error) {
          // Only the last line can be torn (a crash while writing it, so it was never acknowledged).
          if (lines.slice(index + 1).every((rest) => rest.trim() === '')) break;
          throw new Error(`${journalPath}: line ${index + 1} is not valid JSON and is not the last line`, { cause: error });
        }
        for (const mutation of entry.mutations) apply(state, mutation);
      }
    }
    const store = new Store(dir, state);
    store.#compact(now);
    return store;
  }

  get state(): Readonly<StateData> {
    return this.#state;
  }

  /** Makes the mutations durable (fsync), then applies them. Throws, changing nothing, if the disk write fails. */
  commit(mutations: Mutation[], now: Date = new Date()): void {
    if (mutations.length === 0) return;
    if (this.#journalFd !== undefined) {
      writeSync(this.#journalFd, `${JSON.stringify({ at: now.toISOString(), mutations })}\n`);
      fsyncSync(this.#journalFd);
      this.#journalLines++;
    }
    for (const mutation of mutations) {
      if (mutation.op === 'deleteAccount' && this.#state.accounts[mutation.id]) this.#index(this.#state.accounts[mutation.id]!, false);
      if (mutation.op === 'putAccount') {
        const previous = this.#state.accounts[mutation.account.id];
        if (previous) this.#index(previous, false);
        this.#index(mutation.account, true);
      }
      apply(this.#state, mutation);
    }
    if (this.#journalLines >= COMPACT_EVERY) this.#compact(now);
  }

  close(): void {
    if (this.#journalFd !== undefined) closeSync(this.#journalFd);
    this.#journalFd = undefined;
  }

  #compact(now: Date): void {
    const dir = this.#dir;
    if (dir === undefined) return;
    for (const [key, record] of Object.entries(this.#state.idempotency)) {
      if (now.getTime() - Date.parse(record.createdAt) > IDEMPOTENCY_RETENTION_MS) delete this.#state.idempotency[key];
    }
    const temp = join(dir, `${SNAPSHOT}.tmp`);
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(this.#state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(dir, SNAPSHOT));
    fsyncDir(dir);
    // The snapshot now holds everything: start an empty journal.
    if (this.#journalFd !== undefined) closeSync(this.#journalFd);
    const journal = join(dir, JOURNAL);
    const truncate = openSync(journal, 'w', 0o600);
    fsyncSync(truncate);
    closeSync(truncate);
    this.#journalFd = openSync(journal, 'a', 0o600);
    fsyncDir(dir);
    this.#journalLines = 0;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
