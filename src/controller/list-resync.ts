// Drift found by one list call per sender and resync period, instead of one read per account: the
// operator remembers each account as Chaman last showed it and the digest it last converged to, and a
// resync reconciles only the accounts whose listed state differs from it (or that it has not seen
// converge since it started). Between resyncs, a reconcile woken by an event trusts what was last seen.
import { createHash } from 'node:crypto';
import type { ChannelAccount } from '../api/types.generated.ts';
import type { ChamanAccount, ChamanSenderInfo } from '../chaman/types.ts';
import { ANNOTATIONS } from './annotations.ts';
import { isReadyForGeneration } from './conditions.ts';

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

/** One account as the operator knows it: what Chaman last showed, and the digest it last converged to. */
interface Known {
  seen: ChamanAccount;
  converged?: string;
}

export class ConvergedAccounts {
  private readonly known = new Map<string, Known>();

  private static key(senderNumber: string, accountId: string): string {
    return `${senderNumber}/${accountId}`;
  }

  /** The account matched its spec as Chaman held it then. */
  record(senderNumber: string, account: ChamanAccount): void {
    this.known.set(ConvergedAccounts.key(senderNumber, account.id), { seen: account, converged: accountDigest(account) });
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
  needingReconcile(senderNumber: string, objects: readonly ChannelAccount[], listed: readonly ChamanAccount[]): ChannelAccount[] {
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
      if (known) known.seen = account;
      if (!isReadyForGeneration(object.status as never, object.metadata.generation)) return true;
      return known?.converged !== accountDigest(account);
    });
  }
}

/** Each sender's data as Chaman last showed it (by object uid), until the sender's next resync reads it again. */
export class SeenSenders {
  private readonly seen = new Map<string, ChamanSenderInfo>();

  record(uid: string, info: ChamanSenderInfo): void {
    this.seen.set(uid, info);
  }

  lastSeen(uid: string, senderNumber: string): ChamanSenderInfo | undefined {
    const info = this.seen.get(uid);
    return info?.senderNumber === senderNumber ? info : undefined;
  }

  forget(uid: string): void {
    this.seen.delete(uid);
  }
}
