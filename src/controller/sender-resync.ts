// The periodic resync of one sender: one list call finds which of its accounts differ from how they
// last converged, and only those are reconciled; the sender itself is reconciled too (its contact
// data). A small controller of its own, keyed `Resync/ns/name` in the shared work queue, which owns
// its retry and backoff.
import type { Logger } from 'pino';
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import type { ChamanClient } from '../chaman/types.ts';
import { ANNOTATIONS } from '../domain/annotations.ts';
import type { WorkResult } from '../kube/work-queue.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { referencedSecrets } from './channel-account/account-inputs.ts';
import { isReadyForGeneration } from './driver/conditions.ts';
import type { KubeStore, Tenancy } from './ports.ts';
import type { ConvergedAccounts, SeenSenders } from './resync/list-resync.ts';
import { deadline } from '../util/deadline.ts';

export interface SenderResyncDeps {
  kube: KubeStore;
  converged: ConvergedAccounts;
  seenSenders: SeenSenders;
  tenancy: Tenancy;
  chamanFor(sender: ChamanSender): Promise<ChamanClient>;
  /** Whether the metadata cache holds this Secret (outside --secret-label-selector it does not). */
  watchesSecret(namespace: string, name: string): boolean;
  enqueueSender(namespace: string, name: string): void;
  enqueueAccount(account: ChannelAccount): void;
  /** The queue's next backoff of this key (it is failing now). */
  nextBackoff(key: string): number;
  resyncPeriodMs: number;
  reconcileTimeoutMs: number;
  /** Aborted when the work must stop at once. */
  stopSignal: AbortSignal;
  metrics: OperatorMetrics;
  logger: Logger;
  now(): Date;
}

export class SenderResync {
  private readonly d: SenderResyncDeps;

  constructor(deps: SenderResyncDeps) {
    this.d = deps;
  }

  /** When the first resync of a sender falls: at a random point of the period at start, so resyncs are spread; a period away for a sender just added. */
  firstDelayMs(first: 'spread' | 'period'): number {
    const period = this.d.resyncPeriodMs;
    return first === 'spread' ? Math.random() * period : period * (0.9 + Math.random() * 0.2);
  }

  /**
   * One sender's resync. Skipped while Chaman showed the sender and all its accounts within the last
   * half period (they were just created or read): it would learn nothing.
   */
  async resync(key: string, sender: ChamanSender): Promise<WorkResult> {
    const { d } = this;
    const next = d.resyncPeriodMs * (0.9 + Math.random() * 0.2);
    const { uid = '', namespace = 'default', name } = sender.metadata;
    const number = sender.spec.senderNumber;
    const accounts = d.kube.accountsOfSender(namespace, name);
    // Secrets outside --secret-label-selector are not watched: their accounts look at them at each resync.
    for (const a of accounts) if (referencedSecrets(a.spec).some((secret) => !d.watchesSecret(namespace, secret))) d.enqueueAccount(a);
    const nowMs = d.now().getTime();
    const since = nowMs - d.resyncPeriodMs / 2;
    if (d.seenSenders.seenSince(uid, number, since) && d.converged.allSeenSince(number, accounts.map((a) => a.metadata.annotations?.[ANNOTATIONS.externalName]), since)) {
      d.metrics.resyncs.inc({ outcome: 'skipped' });
      d.logger.debug({ object: key }, 'resync skipped: Chaman was read within the last half period');
      return { requeueAfterMs: next };
    }
    d.seenSenders.forget(uid); // its contact data is read again
    d.enqueueSender(namespace, name);
    if (accounts.length === 0 || !isReadyForGeneration(sender.status, sender.metadata.generation)) return { requeueAfterMs: next };
    if (d.tenancy.senderRefusal(sender)) return { requeueAfterMs: next }; // its reconcile, queued above, says why
    const timeLimit = deadline(d.reconcileTimeoutMs, d.stopSignal);
    try {
      const client = (await d.chamanFor(sender)).withSignal(timeLimit.signal);
      const listed = await client.listAccounts(number);
      const stale = d.converged.needingReconcile(number, accounts, listed, nowMs);
      for (const a of stale) d.enqueueAccount(a);
      d.metrics.resyncs.inc({ outcome: 'listed' });
      d.logger.debug({ object: key, accounts: accounts.length, reconciling: stale.length }, 'resynced by list');
      return { requeueAfterMs: next };
    } catch (error) {
      if (d.stopSignal.aborted) return undefined;
      d.metrics.resyncs.inc({ outcome: 'failed' });
      d.logger.warn({ object: key, err: error }, 'resync by list failed; will retry');
      return { requeueAfterMs: Math.min(next, d.nextBackoff(key)), failed: true };
    } finally {
      timeLimit.dispose();
    }
  }
}
