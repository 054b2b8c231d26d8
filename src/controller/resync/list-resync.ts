// Drift found by one list call per sender and resync period, instead of one read per account: the
// operator remembers each account as Chaman last showed it and the digest it last converged to, and a
// resync reconciles only the accounts whose listed state differs from it (or that it has not seen
// converge since it started). Between resyncs, a reconcile woken by an event trusts what was last seen.
import { createHash } from 'node:crypto';
import type { ChannelAccount } from '../../api/types.generated.ts';
import type { ChamanAccount, ChamanSenderInfo } from '../../chaman/types.ts';
import { ANNOTATIONS } from '../../domain/annotations.ts';
import { isReadyForGeneration } from '../driver/conditions.ts';

/** What identifies an account's state in Chaman, for comparison only (no secret is ever in it). */
export function accountDigest(account: ChamanAccount): string {
  const stable = {
    id: account.id,
    type: account.type,
    name: account.name,
    permissions: [...account.permissions].sort(),
    management: account.management ?? null,
    username: account.username ?? null,
    clientId: account.clientId ?? null,
    sshPublicKey: account.sshPublicKey ?? null,
    certificates: account.certificates.map((c) => [c.id, c.name, c.fileName, c.sha256Fingerprint]).sort(),
  };
  return createHash('sha256').update(JSON.stringify(stable)).digest('base64url').slice(0, 22);
}

/** One account as the operator knows it: what Chaman last showed and when, and the digest it last converged to. */
interface Known {
  seen: ChamanAccount;
  seenAt: number;
  converged?: string;
}

export class ConvergedAccounts {
  private readonly known = new Map<string, Known>();

  private static key(senderNumber: string, accountId: string): string {
    return `${senderNumber}/${accountId}`;
  }

  /**
   * The account matched its spec as Chaman held it at `nowMs`. Given back what `lastSeen` answered (the
   * same object), nothing was read: it was seen no later than before.
   */
  record(senderNumber: string, account: ChamanAccount, nowMs: number): void {
    const key = ConvergedAccounts.key(senderNumber, account.id);
    const known = this.known.get(key);
    const seenAt = known?.seen === account ? known.seenAt : nowMs;
    this.known.set(key, { seen: account, seenAt, converged: accountDigest(account) });
  }

  /** Whether Chaman showed every one of these accounts at `sinceMs` or later (a resync then has nothing to learn). */
  allSeenSince(senderNumber: string, accountIds: readonly (string | undefined)[], sinceMs: number): boolean {
    return accountIds.every((id) => id !== undefined && (this.known.get(ConvergedAccounts.key(senderNumber, id))?.seenAt ?? -Infinity) >= sinceMs);
  }

  /**
   * What Chaman last showed of an account (a create's answer, a read, a resync's list), until a write
   * or a list makes it unknown. A reconcile woken by an event may conclude from it that nothing needs
   * doing; a write is always planned from a fresh read.
   */
  lastSeen(senderNumber: string, accountId: string): ChamanAccount | undefined {
    return this.known.get(ConvergedAccounts.key(senderNumber, accountId))?.seen;
  }

  forget(senderNumber: string, accountId: string): void {
    this.known.delete(ConvergedAccounts.key(senderNumber, accountId));
  }

  get size(): number {
    return this.known.size;
  }

  /**
   * Of a sender's ChannelAccounts, those a resync must reconcile, given what one list of Chaman shows:
   * not Ready for their generation, without an account id yet, gone from the list, or listed in a
   * state other than the one they last converged to. What the list shows becomes what was last seen.
   */
  needingReconcile(senderNumber: string, objects: readonly ChannelAccount[], listed: readonly ChamanAccount[], nowMs: number): ChannelAccount[] {
    const byId = new Map(listed.map((a) => [a.id, a]));
    return objects.filter((object) => {
      if (object.metadata.deletionTimestamp) return false; // its own reconcile runs until it is gone
      const id = object.metadata.annotations?.[ANNOTATIONS.externalName];
      if (!id) return true;
      const key = ConvergedAccounts.key(senderNumber, id);
      const account = byId.get(id);
      const known = this.known.get(key);
      if (!account) {
        this.known.delete(key); // its reconcile reads it again and finds it gone
        return true;
      }
      if (known) Object.assign(known, { seen: account, seenAt: nowMs });
      if (!isReadyForGeneration(object.status, object.metadata.generation)) return true;
      return known?.converged !== accountDigest(account);
    });
  }
}

/** Each sender's data as Chaman last showed it (by object uid) and when, until the sender's next resync reads it again. */
export class SeenSenders {
  private readonly seen = new Map<string, { info: ChamanSenderInfo; seenAt: number }>();

  /** As ConvergedAccounts.record: given back what `lastSeen` answered, it was seen no later than before. */
  record(uid: string, info: ChamanSenderInfo, nowMs: number): void {
    const known = this.seen.get(uid);
    this.seen.set(uid, { info, seenAt: known?.info === info ? known.seenAt : nowMs });
  }

  lastSeen(uid: string, senderNumber: string): ChamanSenderInfo | undefined {
    const known = this.seen.get(uid);
    return known?.info.senderNumber === senderNumber ? known.info : undefined;
  }

  seenSince(uid: string, senderNumber: string, sinceMs: number): boolean {
    const known = this.seen.get(uid);
    return known !== undefined && known.info.senderNumber === senderNumber && known.seenAt >= sinceMs;
  }

  forget(uid: string): void {
    this.seen.delete(uid);
  }
}
