// Wires the operator: informers → event handlers → keyed work queue → reconcilers, with resync,
// leader election, metrics, health and graceful shutdown.
import type { Logger } from 'pino';
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import type { ChamanClient } from '../chaman/types.ts';
import { RESOURCES, apiVersionOf, type KubeClient, type KubeObject, type ResourceType } from '../kube/client.ts';
import { EventRecorder } from '../kube/events.ts';
import { Informer } from '../kube/informer.ts';
import { LeaderElector } from '../kube/leader-election.ts';
import { KubeObjects } from '../kube/objects.ts';
import { informerMetricsHooks, queueMetricsHooks } from '../kube/index.ts';
import { WorkQueue, objectKey, parseObjectKey, retryAfterHint } from '../kube/work-queue.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { referencedSecrets } from './account-inputs.ts';
import { MANAGED_BY_LABEL } from './annotations.ts';
import { ChamanClients, CatalogCache, type ClientFactory } from './chaman-clients.ts';
import { ChamanSenderReconciler } from './chaman-sender-reconciler.ts';
import { ChannelAccountReconciler, RetryableReconcileError } from './channel-account-reconciler.ts';
import { InformerKubeStore, type Informers } from './kube-store.ts';
import type { EventSink, ReconcileContext, Settings } from './ports.ts';

export interface OperatorOptions {
  kube: KubeClient;
  chaman: ChamanClient | undefined;
  clientFactory: ClientFactory;
  namespaces: string[];
  concurrency: number;
  settings: Settings;
  metrics: OperatorMetrics;
  logger: Logger;
  /** Pod name or host name: the Event reportingInstance and the lease identity. */
  identity: string;
  leaderElection?: { namespace: string; name: string };
  now?: () => Date;
}

const SENDER = 'ChamanSender';
const ACCOUNT = 'ChannelAccount';

/** Objects in lists come without apiVersion and kind; owner references and status applies need them. */
function typed<T extends KubeObject>(rt: ResourceType) {
  return (obj: T): T => {
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    if (obj.metadata.managedFields) delete obj.metadata.managedFields;
    return obj;
  };
}

/** A change the reconciler must act on: the spec (generation), annotations (pause, adoption, requests) or deletion. */
function specOrIntentChanged(old: KubeObject, next: KubeObject): boolean {
  return (
    old.metadata.generation !== next.metadata.generation ||
    old.metadata.deletionTimestamp !== next.metadata.deletionTimestamp ||
    JSON.stringify(old.metadata.annotations ?? {}) !== JSON.stringify(next.metadata.annotations ?? {})
  );
}

/** What accounts wait on: whether their sender is Ready for its generation. */
function readiness(s: ChamanSender): string {
  const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
  return `${ready?.status}/${ready?.observedGeneration === s.metadata.generation}`;
}

export class Operator {
  private readonly o: OperatorOptions;
  readonly informers: Informers;
  readonly queue: WorkQueue;
  private readonly store: InformerKubeStore;
  private readonly senderReconciler: ChamanSenderReconciler;
  private readonly accountReconciler: ChannelAccountReconciler;
  private readonly elector: LeaderElector | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private working = false;
  private stopping = false;

  constructor(o: OperatorOptions) {
    this.o = o;
    const restart = (resource: string) => informerMetricsHooks(o.metrics, resource);
    const common = { client: o.kube, namespaces: o.namespaces, logger: o.logger };
    this.informers = {
      senders: new Informer({ ...common, resource: RESOURCES.chamanSenders, transform: typed(RESOURCES.chamanSenders), hooks: restart('chamansenders') }),
      accounts: new Informer({ ...common, resource: RESOURCES.channelAccounts, transform: typed(RESOURCES.channelAccounts), hooks: restart('channelaccounts') }),
      secrets: new Informer({ ...common, resource: RESOURCES.secrets, metadataOnly: true, hooks: restart('secrets') }),
      configMaps: new Informer({
        ...common,
        resource: RESOURCES.configMaps,
        metadataOnly: true,
        labelSelector: Object.entries(MANAGED_BY_LABEL).map(([k, v]) => `${k}=${v}`).join(','),
        hooks: restart('configmaps'),
      }),
    } as Informers;
    const objects = new KubeObjects(o.kube);
    this.store = new InformerKubeStore(this.informers, objects);
    const recorder = new EventRecorder({
      client: o.kube,
      instance: o.identity,
      onError: (err) => o.logger.warn({ err }, 'could not record an event'),
    });
    // Every event is also a log line: the notable transitions, in the logs as in `kubectl describe`.
    const at = (obj: ChamanSender | ChannelAccount) => ({ kind: obj.kind, object: `${obj.metadata.namespace}/${obj.metadata.name}` });
    const events: EventSink = {
      normal: (obj, reason, message) => {
        o.logger.info({ ...at(obj), reason }, message);
        void recorder.normal(obj as never, reason, 'Reconcile', message);
      },
      warning: (obj, reason, message) => {
        o.logger.warn({ ...at(obj), reason }, message);
        void recorder.warning(obj as never, reason, 'Reconcile', message);
      },
    };
    const clients = new ChamanClients(o.chaman, o.clientFactory, this.store);
    const catalog = new CatalogCache(o.settings.resyncPeriodMs);
    const ctx: ReconcileContext = {
      kube: this.store,
      chamanFor: (sender) => clients.forSender(sender),
      catalog: (client, type) => catalog.get(client, type),
      events,
      metrics: o.metrics,
      settings: o.settings,
      now: o.now ?? (() => new Date()),
    };
    this.senderReconciler = new ChamanSenderReconciler(ctx);
    this.accountReconciler = new ChannelAccountReconciler(ctx);
    this.queue = new WorkQueue({
      name: 'chaman',
      concurrency: o.concurrency,
      handler: (key) => this.process(key),
      hooks: queueMetricsHooks(o.metrics, 'chaman', {
        // `object`, not `key`: the logger redacts fields named key.
        onRetry: (object, delayMs, error) => o.logger.info({ object, delayMs, err: error }, 'reconcile will be retried'),
      }),
    });
    this.wireEvents();
    if (o.leaderElection) {
      this.elector = new LeaderElector({
        client: o.kube,
        namespace: o.leaderElection.namespace,
        name: o.leaderElection.name,
        identity: o.identity,
        onStartedLeading: () => {
          o.metrics.leader.set({}, 1);
          o.logger.info('became leader');
          this.startWork();
        },
        onStoppedLeading: () => {
          o.metrics.leader.set({}, 0);
          if (this.stopping) return; // we released the Lease ourselves
          o.logger.error('lost leadership: exiting so a fresh replica takes over');
          process.exit(1);
        },
        onError: (err) => o.logger.warn({ err }, 'leader election error'),
      });
    }
  }

  /** Readiness: every informer has listed once. */
  synced(): boolean {
    return Object.values(this.informers).every((i: Informer) => i.hasSynced());
  }

  async start(): Promise<void> {
    for (const informer of Object.values(this.informers) as Informer[]) informer.start();
    await Promise.all((Object.values(this.informers) as Informer[]).map((i) => i.waitForSync()));
    this.o.logger.info({ namespaces: this.o.namespaces.length ? this.o.namespaces : 'all' }, 'caches synced');
    if (this.elector) this.elector.start();
    else {
      this.o.metrics.leader.set({}, 1);
      this.startWork();
    }
  }

  private startWork(): void {
    if (this.working) return;
    this.working = true;
    this.queue.start();
    this.enqueueAll();
    const period = this.o.settings.resyncPeriodMs;
    const tick = () => {
      this.enqueueAll();
      this.resyncTimer = setTimeout(tick, period * (0.9 + Math.random() * 0.2));
    };
    this.resyncTimer = setTimeout(tick, period);
  }

  /** Graceful shutdown: stop taking work, let reconciles in flight finish, release the lease. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    await this.queue.shutdown({ drain: true });
    await Promise.all((Object.values(this.informers) as Informer[]).map((i) => i.stop()));
    if (this.elector) await this.elector.stop({ release: true });
  }

  private enqueueAll(): void {
    for (const s of this.informers.senders.list()) this.queue.add(objectKey(s.metadata.namespace, s.metadata.name, SENDER));
    for (const a of this.informers.accounts.list()) this.queue.add(objectKey(a.metadata.namespace, a.metadata.name, ACCOUNT));
  }

  private enqueueSender(namespace: string | undefined, name: string): void {
    if (this.working) this.queue.add(objectKey(namespace, name, SENDER));
  }

  private enqueueAccount(a: ChannelAccount): void {
    if (this.working) this.queue.add(objectKey(a.metadata.namespace, a.metadata.name, ACCOUNT));
  }

  private accountsOf(namespace: string | undefined, senderName: string): ChannelAccount[] {
    return this.informers.accounts.list(namespace).filter((a) => a.spec.senderRef.name === senderName);
  }

  private wireEvents(): void {
    const { senders, accounts, secrets, configMaps } = this.informers;
    const wakeAccountsOf = (s: ChamanSender) => {
      for (const a of this.accountsOf(s.metadata.namespace, s.metadata.name)) this.enqueueAccount(a);
    };
    const onSender = (s: ChamanSender) => {
      this.enqueueSender(s.metadata.namespace, s.metadata.name);
      wakeAccountsOf(s); // accounts wait for their sender (SenderNotReady)
    };
    senders
      .on('add', onSender)
      .on('update', (old, s) => {
        if (specOrIntentChanged(old, s)) this.enqueueSender(s.metadata.namespace, s.metadata.name);
        if (readiness(old) !== readiness(s)) wakeAccountsOf(s);
      })
      .on('delete', onSender);

    const onAccountAddedOrGone = (a: ChannelAccount) => {
      this.enqueueAccount(a);
      this.enqueueSender(a.metadata.namespace, a.spec.senderRef.name); // counts, finalizer release
      // R2: when a singleton rival comes or goes, the others may proceed.
      for (const rival of this.accountsOf(a.metadata.namespace, a.spec.senderRef.name)) {
        if (rival.spec.type === a.spec.type && rival.metadata.uid !== a.metadata.uid) this.enqueueAccount(rival);
      }
    };
    accounts
      .on('add', onAccountAddedOrGone)
      .on('update', (old, a) => {
        // Our own status writes come back as updates: they need no reconcile (and would cost a Chaman read).
        if (old.metadata.deletionTimestamp !== a.metadata.deletionTimestamp) onAccountAddedOrGone(a);
        else if (specOrIntentChanged(old, a)) this.enqueueAccount(a);
      })
      .on('delete', (a) => {
        onAccountAddedOrGone(a);
        this.o.metrics.forgetResource(ACCOUNT, a.metadata.namespace ?? 'default', a.metadata.name);
      });

    const onSecret = (s: KubeObject) => {
      const namespace = s.metadata.namespace;
      const name = s.metadata.name;
      for (const a of accounts.list(namespace)) if (referencedSecrets(a.spec).includes(name ?? '')) this.enqueueAccount(a);
      for (const sender of senders.list(namespace)) {
        if (sender.spec.credentialsSecretRef?.name === name) onSender(sender);
      }
    };
    secrets
      .on('add', onSecret)
      .on('update', (old, s) => {
        if (old.metadata.resourceVersion !== s.metadata.resourceVersion) onSecret(s);
      })
      .on('delete', (s) => {
        this.store.forgetSecret(s.metadata.namespace ?? 'default', s.metadata.name ?? '');
        onSecret(s);
      });

    const onConfigMap = (cm: KubeObject) => {
      for (const ref of cm.metadata.ownerReferences ?? []) {
        if (ref.kind !== ACCOUNT) continue;
        const owner = accounts.get(cm.metadata.namespace, ref.name);
        if (owner) this.enqueueAccount(owner);
      }
    };
    configMaps.on('update', (_old, cm) => onConfigMap(cm)).on('delete', onConfigMap);
  }

  private async process(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const { kind, namespace, name } = parseObjectKey(key);
    const started = performance.now();
    try {
      if (kind === SENDER) {
        const sender = this.informers.senders.get(namespace, name);
        if (!sender) return;
        return await this.senderReconciler.reconcile(structuredClone(sender));
      }
      const account = this.informers.accounts.get(namespace, name);
      if (!account) return;
      return await this.accountReconciler.reconcile(structuredClone(account));
    } catch (error) {
      if (!(error instanceof RetryableReconcileError)) {
        this.o.metrics.reconcileTotal.inc({ kind: kind ?? 'unknown', result: 'error' });
        this.o.logger.warn({ object: key, err: error }, 'reconcile failed');
      }
      const hint = retryAfterHint(error);
      throw hint === undefined ? error : Object.assign(error as object, { retryAfterMs: hint });
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.o.metrics.reconcileDuration.observe({ kind: kind ?? 'unknown' }, seconds);
      this.o.logger.debug({ object: key, durationMs: Math.round(seconds * 1000) }, 'reconciled');
    }
  }
}
