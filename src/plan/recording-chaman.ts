// The Chaman client `plan` gives the reconciler: reads go to Chaman, writes are recorded and never
// sent. Each write answers what Chaman would plausibly answer, so the reconcile runs to its end and
// the record is the list of calls the operator would make. Request bodies stay in memory (a password
// may be among them) and are only read to describe the change, never printed.
import { ConflictError } from '../chaman/errors.ts';
import type { CertificateUpload, ChamanAccount, ChamanCertificate, ChamanClient, ChamanSenderInfo, CreateAccountRequest, EditAccountRequest } from '../chaman/types.ts';
import type { ChannelType, Contact, Permission } from '../domain/types.ts';
import { credentialKind, isSingletonType } from '../domain/index.ts';
import type { Reads } from './read-cache.ts';
import type { PlannedRequest } from './types.ts';

export type RecordedWrite = PlannedRequest &
  (
    | { operation: 'putContact'; senderNumber: string; contact: Contact }
    | { operation: 'createAccount'; senderNumber: string; request: CreateAccountRequest }
    | { operation: 'editAccount'; senderNumber: string; accountId: string; request: EditAccountRequest }
    | { operation: 'deleteAccount'; senderNumber: string; accountId: string }
    | { operation: 'addCertificate'; senderNumber: string; accountId: string; certificate: CertificateUpload }
    | { operation: 'replaceCertificate'; senderNumber: string; accountId: string; certificateId: string; certificate: CertificateUpload }
    | { operation: 'removeCertificate'; senderNumber: string; accountId: string; certificateId: string }
  );

/** The id a planned create answers with: the real one is known only once Chaman made it. */
export const NEW_ACCOUNT_ID = '(new)';

const path = (n: string, ...rest: string[]) => ['/api/v1/senders', encodeURIComponent(n), ...rest.map(encodeURIComponent)].join('/');

/** What one object's reconcile read and would have written; shared by the views withSignal makes. */
export class ChamanRecord {
  writes: RecordedWrite[] = [];
  /** Every account read, by id: what the plan compares the writes with. */
  readonly accounts = new Map<string, ChamanAccount>();
  readonly senders = new Map<string, ChamanSenderInfo>();
  /** A read that failed: the plan cannot be trusted and says so. */
  readErrors: unknown[] = [];
}

export class RecordingChamanClient implements ChamanClient {
  private readonly reader: Reads;
  readonly record: ChamanRecord;

  constructor(reader: Reads, record = new ChamanRecord()) {
    this.reader = reader;
    this.record = record;
  }

  /** The reads are shared by the whole plan (read-cache.ts): they stay bounded by the HTTP client's own timeouts. */
  withSignal(): ChamanClient {
    return this;
  }

  close(): Promise<void> {
    return Promise.resolve(); // the reader belongs to the caller
  }

  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.record.readErrors.push(error);
      throw error;
    }
  }

  listPermissions(channelType?: ChannelType): Promise<Permission[]> {
    return this.read(() => this.reader.listPermissions(channelType));
  }

  async getSender(senderNumber: string): Promise<ChamanSenderInfo> {
    const info = await this.read(() => this.reader.getSender(senderNumber));
    this.record.senders.set(senderNumber, info);
    return info;
  }

  async listAccounts(senderNumber: string): Promise<ChamanAccount[]> {
    const accounts = await this.read(() => this.reader.listAccounts(senderNumber));
    for (const a of accounts) this.record.accounts.set(a.id, a);
    return accounts;
  }

  async getAccount(senderNumber: string, accountId: string): Promise<ChamanAccount> {
    const account = await this.read(() => this.reader.getAccount(senderNumber, accountId));
    this.record.accounts.set(account.id, account);
    return account;
  }

  downloadCertificate(senderNumber: string, accountId: string, certificateId: string): Promise<Uint8Array> {
    return this.read(() => this.reader.downloadCertificate(senderNumber, accountId, certificateId));
  }

  async putContact(senderNumber: string, contact: Contact): Promise<ChamanSenderInfo> {
    this.record.writes.push({ method: 'PUT', operation: 'putContact', path: path(senderNumber, 'contact'), senderNumber, contact });
    const before = this.record.senders.get(senderNumber);
    return { senderNumber, organization: before?.organization ?? null, contact };
  }

  /** Chaman refuses a second FTP, SFTP or SOAP account (R2): the plan shows what the operator would then say. */
  async createAccount(senderNumber: string, request: CreateAccountRequest): Promise<ChamanAccount> {
    if (isSingletonType(request.type)) {
      const deleted = new Set(this.record.writes.flatMap((w) => (w.operation === 'deleteAccount' ? [w.accountId] : [])));
      const held = (await this.listAccounts(senderNumber)).find((a) => a.type === request.type && !deleted.has(a.id));
      if (held) throw new ConflictError('CHANNEL_ALREADY_EXISTS', `sender ${senderNumber} already has a ${request.type} account (${held.id}).`);
    }
    this.record.writes.push({ method: 'POST', operation: 'createAccount', path: path(senderNumber, 'accounts'), senderNumber, request });
    const now = new Date().toISOString();
    return {
      id: NEW_ACCOUNT_ID,
      type: request.type,
      name: request.name,
      permissions: request.permissions,
      ...(request.management ? { management: request.management } : {}),
      ...(request.username !== undefined ? { username: `EXP${request.username}` } : {}),
      ...(credentialKind(request.type) === 'clientId' && request.management !== 'TechnicalIntermediary' ? { clientId: '(assigned by Chaman)' } : {}),
      certificates: [],
      createdAt: now,
      updatedAt: now,
    };
  }

  async editAccount(senderNumber: string, accountId: string, request: EditAccountRequest): Promise<ChamanAccount> {
    this.record.writes.push({ method: 'PATCH', operation: 'editAccount', path: path(senderNumber, 'accounts', accountId), senderNumber, accountId, request });
    const before = this.record.accounts.get(accountId)!;
    return { ...before, ...request, ...(request.username !== undefined ? { username: `EXP${request.username}` } : {}) };
  }

  async deleteAccount(senderNumber: string, accountId: string): Promise<void> {
    this.record.writes.push({ method: 'DELETE', operation: 'deleteAccount', path: path(senderNumber, 'accounts', accountId), senderNumber, accountId });
  }

  async addCertificate(senderNumber: string, accountId: string, certificate: CertificateUpload): Promise<ChamanCertificate> {
    this.record.writes.push({ method: 'POST', operation: 'addCertificate', path: path(senderNumber, 'accounts', accountId, 'certificates'), senderNumber, accountId, certificate });
    return { id: NEW_ACCOUNT_ID, name: certificate.name, fileName: certificate.fileName } as ChamanCertificate;
  }

  async replaceCertificate(senderNumber: string, accountId: string, certificateId: string, certificate: CertificateUpload): Promise<ChamanCertificate> {
    const where = path(senderNumber, 'accounts', accountId, 'certificates', certificateId);
    this.record.writes.push({ method: 'PUT', operation: 'replaceCertificate', path: where, senderNumber, accountId, certificateId, certificate });
    return { id: certificateId, name: certificate.name, fileName: certificate.fileName } as ChamanCertificate;
  }

  async removeCertificate(senderNumber: string, accountId: string, certificateId: string): Promise<void> {
    const where = path(senderNumber, 'accounts', accountId, 'certificates', certificateId);
    this.record.writes.push({ method: 'DELETE', operation: 'removeCertificate', path: where, senderNumber, accountId, certificateId });
  }
}
