// Accounts applied together with their sender (issue 19 item 1). With many reconciles in flight, a new
// sender and its new accounts start at once; each account would find the sender not Ready yet, write
// SenderNotReady, and write again once the sender is Ready: two status writes where one does. So a
// new account (no status) whose sender is not Ready and is queued or reconciling waits; the sender's
// next change of readiness wakes it, and the account looks again after WAIT_MS at the latest (a
// sender whose reconcile changes nothing must not leave it without a status). Pure: the
// operator says whether the sender is Ready and busy, and enqueues what `release` returns.

/** The longest an account waits for its sender before it reconciles anyway (and says SenderNotReady). */
export const WAIT_MS = 2_000;

/** What the decision reads of an account and of its sender. */
interface Waiter {
  status?: unknown;
  metadata: { deletionTimestamp?: string };
}
/** What the operator knows of the sender now. */
interface SenderNow {
  /** Ready for its generation */
  ready: boolean;
  /** queued or being reconciled */
  busy: boolean;
}

export class NewSenderWaits {
  /** Account keys waiting, by the key of their sender. */
  readonly #waiting = new Map<string, Set<string>>();

  /**
   * Whether the account waits for its sender instead of reconciling now (then run it again after
   * WAIT_MS); if so it is recorded, to be returned by `release(senderKey)`. A deleted account, one
   * with a status, or a sender missing, Ready or idle never make it wait (nothing would wake it).
   */
  wait(accountKey: string, account: Waiter, senderKey: string, sender: SenderNow | undefined): boolean {
    if (account.status || account.metadata.deletionTimestamp) return false;
    if (!sender || sender.ready || !sender.busy) return false;
    let keys = this.#waiting.get(senderKey);
    if (!keys) this.#waiting.set(senderKey, (keys = new Set()));
    keys.add(accountKey);
    return true;
  }

  /** The accounts waiting for this sender, forgotten here: its readiness changed (or it went). */
  release(senderKey: string): string[] {
    const keys = this.#waiting.get(senderKey);
    if (!keys) return [];
    this.#waiting.delete(senderKey);
    return [...keys];
  }

  /** Senders with accounts waiting (for tests and metrics). */
  get size(): number {
    return this.#waiting.size;
  }
}
