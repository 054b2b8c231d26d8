// Drift found by one list call per sender and resync period, instead of one read per account: the
// operator remembers a digest of each account as it last converged, and a resync reconciles only the
// accounts whose listed state differs from it (or that it has not seen converge since it started).
import { createHash } from 'node:crypto';
import type { ChannelAccount } from '../api/types.generated.ts';
import type { ChamanAccount } from '../chaman/types.ts';
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

export class ConvergedAccounts {
  private readonly digests = new Map<string, string>();

  private static key(senderNumber: string, accountId: string): string {
    return `${senderNumber}/${accountId}`;
  }

  /** The account matched its spec as Chaman held it then. */
  record(senderNumber: string, account: ChamanAccount): void {
    this.digests.set(ConvergedAccounts.key(senderNumber, account.id), accountDigest(account));
  }

  forget(senderNumber: string, accountId: string): void {
    this.digests.delete(ConvergedAccounts.key(senderNumber, accountId));
  }

  get size(): number {
    return this.digests.size;
  }

  /**
   * Of a sender's ChannelAccounts, those a resync must reconcile, given what one list of Chaman shows:
   * not Ready for their generation, without an account id yet, gone from the list, or listed in a
   * state other than the one they last converged to.
   */
  needingReconcile(senderNumber: string, objects: readonly ChannelAccount[], listed: readonly ChamanAccount[]): ChannelAccount[] {
    const byId = new Map(listed.map((a) => [a.id, a]));
    return objects.filter((object) => {
      if (object.metadata.deletionTimestamp) return false; // its own reconcile runs until it is gone
      const id = object.metadata.annotations?.[ANNOTATIONS.externalName];
      if (!id || !isReadyForGeneration(object.status as never, object.metadata.generation)) return true;
      const account = byId.get(id);
      if (!account) return true;
      return this.digests.get(ConvergedAccounts.key(senderNumber, id)) !== accountDigest(account);
    });
  }
}
