// A plan is a dry run of the operator's own reconcile: the same driver (reconcile-driver.ts) and the
// same kinds (preconditions, tenancy, account inputs, planAccountUpdate) run on each object, with a
// Chaman client that reads and records instead of writing, and a KubeStore that keeps what would be
// written. Senders first, so their accounts see them as the operator would once they are Ready.
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import type { ChamanClient } from '../chaman/types.ts';
import { fromChaman } from '../controller/chaman-errors.ts';
import { ChamanSenderKind } from '../controller/chaman-sender/chaman-sender-kind.ts';
import { ChannelAccountKind } from '../controller/channel-account/channel-account-kind.ts';
import { NeedsUserError } from '../controller/driver/error-policy.ts';
import { ConvergedAccounts, SeenSenders } from '../controller/resync/list-resync.ts';
import type { KindContext, Settings } from '../controller/ports.ts';
import { ReconcileDriver, type DriverDeps } from '../controller/driver/reconcile-driver.ts';
import { TenancyGate } from '../controller/grant/tenancy-gate.ts';
import { createLogger } from '../observability/logger.ts';
import { createOperatorMetrics } from '../observability/metrics.ts';
import { keyOf, PlanStore } from './plan-store.ts';
import { ReadCache } from './read-cache.ts';
import { ChamanRecord, RecordingChamanClient } from './recording-chaman.ts';

export interface ObjectRun {
  kind: 'ChamanSender' | 'ChannelAccount';
  key: string;
  /** The object as the reconcile was given it. */
  object: ChamanSender | ChannelAccount;
  record: ChamanRecord;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  /** Annotations the reconcile would write (external name, create guard). */
  annotations: Record<string, string | null>;
  /** The reconcile wrote a status: it stopped on a condition (or, for an object in the input, ended). */
  statusWritten: boolean;
}

export class DryRun {
  readonly store: PlanStore;
  /** Chaman as read once for the whole plan. */
  readonly reads: ReadCache;
  private readonly senderDriver: ReconcileDriver<ChamanSender, unknown>;
  private readonly accountDriver: ReconcileDriver<ChannelAccount, unknown>;
  readonly accountKind: ChannelAccountKind;
  private current: ObjectRun | undefined;

  constructor(store: PlanStore, reader: ChamanClient, settings: Settings, now: Date) {
    this.store = store;
    this.reads = new ReadCache(reader);
    const tenancy = new TenancyGate(store, settings);
    const ctx: KindContext = {
      kube: store,
      chamanFor: async (sender) => {
        const refusal = tenancy.senderRefusal(sender);
        if (refusal) throw new NeedsUserError(refusal.ready.message, { reason: refusal.ready.reason, stalledReason: refusal.ready.reason });
        return new RecordingChamanClient(this.reads, this.run().record);
      },
      catalog: (_client, _signal, type) => this.reads.listPermissions(type),
      converged: new ConvergedAccounts(),
      seenSenders: new SeenSenders(),
      tenancy,
      settings,
    };
    // One per kind: each driver writes the metadata of its own kind of object.
    const deps = <O extends ChamanSender | ChannelAccount>(): DriverDeps<O> => ({
      updateMetadata: async (object, change) => {
        Object.assign(this.run().annotations, change.annotations ?? {});
        return store.updateMetadata(object, change);
      },
      events: {
        normal: (_o, reason, message) => this.run().events.push({ type: 'Normal', reason, message }),
        warning: (_o, reason, message) => this.run().events.push({ type: 'Warning', reason, message }),
      },
      metrics: createOperatorMetrics(),
      logger: createLogger({ level: 'silent' }),
      now: () => now,
      reconcileTimeoutMs: settings.reconcileTimeoutMs,
      stopSignal: new AbortController().signal,
      backoff: () => 60_000,
      translateError: fromChaman,
    });
    this.senderDriver = new ReconcileDriver(new ChamanSenderKind(ctx), deps());
    this.accountKind = new ChannelAccountKind(ctx);
    this.accountDriver = new ReconcileDriver(this.accountKind, deps());
  }

  private run(): ObjectRun {
    if (!this.current) throw new Error('no object is being planned');
    return this.current;
  }

  /** One reconcile of one object; the object must be in the store's world (its status is written there). */
  async reconcile(object: ChamanSender | ChannelAccount): Promise<ObjectRun> {
    const kind = object.kind === 'ChamanSender' ? 'ChamanSender' : 'ChannelAccount';
    const run: ObjectRun = { kind, key: keyOf(object), object: structuredClone(object), record: new ChamanRecord(), events: [], annotations: {}, statusWritten: false };
    this.current = run;
    this.store.statusWritten.delete(run.key);
    try {
      if (kind === 'ChamanSender') await this.senderDriver.reconcile(run.key, object as ChamanSender);
      else await this.accountDriver.reconcile(run.key, object as ChannelAccount);
    } finally {
      this.current = undefined;
    }
    run.statusWritten = this.store.statusWritten.has(run.key);
    return run;
  }
}
