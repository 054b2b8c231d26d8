// Wires the operator: informers → event handlers → keyed work queue → reconcile drivers, with
// resync, leader election, metrics, health and a bounded graceful shutdown.
import type { Logger } from 'pino';
import type { ChamanSender, ChamanSenderGrant, ChannelAccount } from '../api/types.generated.ts';
import type { ChamanClient, ChamanSenderInfo } from '../chaman/types.ts';
import { RESOURCES, type KubeClient } from '../kube/client.ts';
import { EventRecorder } from '../kube/events.ts';
import { Informer } from '../kube/informer.ts';
import { LeaderElector } from '../kube/leader-election.ts';
import { KubeObjects } from '../kube/objects.ts';
import { queueMetricsHooks } from '../kube/index.ts';
import { WorkQueue, objectKey, parseObjectKey, type WorkResult } from '../kube/work-queue.ts';
import { fixedConcurrency, type ConcurrencySource } from '../kube/concurrency-limit.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { ChamanClients, CatalogCache, type ClientFactory } from './chaman-clients.ts';
import { fromChaman } from './chaman-errors.ts';
import { ChamanSenderKind } from './chaman-sender/chaman-sender-kind.ts';
import type { HeldAccount } from './channel-account/channel-account-external.ts';
import { ChannelAccountKind } from './channel-account/channel-account-kind.ts';
import { isReadyForGeneration } from './driver/conditions.ts';
import { wireEventHandlers } from './event-handlers.ts';
import { InformerKubeStore, createInformers, type Informers } from './kube-store.ts';
import { ConvergedAccounts, SeenSenders } from './resync/list-resync.ts';
import { NewSenderWaits, WAIT_MS as NEW_SENDER_WAIT_MS } from './new-sender-waits.ts';
import { OwnWrites } from './own-writes.ts';
import type { KindContext, Settings } from './ports.ts';
import type { EventSink } from './driver/managed.ts';
import { ReconcileDriver, type DriverDeps } from './driver/reconcile-driver.ts';
import { leaseName, ownsNamespace, shardAgreement, type Shard } from './sharding.ts';
import { startOrder, type Queued } from './start-order.ts';
import { grantStatus } from './grant/grant-status.ts';
import { TenancyGate, refusedError } from './grant/tenancy-gate.ts';
import { SenderResync } from './sender-resync.ts';

export interface OperatorOptions {
  kube: KubeClient;
  chaman: ChamanClient | undefined;
  clientFactory: ClientFactory;
  namespaces: string[];
  /** Reconciles in flight: fixed, or an adaptive limit (src/kube/concurrency-limit.ts). */
  concurrency: number | ConcurrencySource;
  settings: Settings;
  metrics: OperatorMetrics;
  logger: Logger;
  /** Pod name or host name: the Event reportingInstance and the lease identity. */
  identity: string;
  leaderElection?: { namespace: string; name: string };
  /**
   * Write each grant's status (claims, Ready). Default: when watching every namespace, since the claims
   * of an operator confined to some namespaces would be partial (and its RBAC reads grants only).
   */
  writeGrantStatus?: boolean;
  /**
   * Replica I of N works on the namespaces whose hash modulo N is I, and caches only their accounts,
   * Secrets and ConfigMaps (senders, grants and namespaces stay cluster-wide, for tenancy).
   */
  shard?: Shard;
  /**
   * Watch only the Secrets with these labels (e.g. `chaman.io/watch=true`). A referenced Secret without
   * them is still read when its account reconciles, but a change to it waits for the next resync.
   */
  secretLabelSelector?: string;
  /** How long stop() lets reconciles in flight finish before it cuts them short. Default 20 s. */
  shutdownTimeoutMs?: number;
  /** Leadership was lost: the operator has stopped its work; the process should exit so a fresh replica campaigns. */
  onLostLeadership?: () => void;
  now?: () => Date;
}

const SENDER = 'ChamanSender';
const ACCOUNT = 'ChannelAccount';
/** The periodic resync of one sender's accounts, by one list call: its own key, spread over the period. */
const RESYNC = 'Resync';
const GRANT = 'ChamanSenderGrant';

/**
 * What the kinds need. The one way to a Chaman client for a sender is `chamanFor`: a sender the
 * tenancy check refuses gets none, on every path (sender, account, resync, deletion), whatever its
 * last written status says.
 */
function kindContext(o: OperatorOptions, store: InformerKubeStore, clients: ChamanClients, memory: Pick<KindContext, 'converged' | 'seenSenders'>): KindContext {
  const catalog = new CatalogCache(o.settings.resyncPeriodMs);
  const tenancy = new TenancyGate(store, o.settings);
  return {
    kube: store,
    chamanFor: (sender) => {
      const refusal = tenancy.senderRefusal(sender);
      if (refusal) return Promise.reject(refusedError(refusal));
      return clients.forSender(sender);
    },
    catalog: (client, signal, type) => catalog.get(client, signal, type),
    ...memory,
    tenancy,
    settings: o.settings,
  };
}

export class Operator {
  private readonly o: OperatorOptions;
  readonly informers: Informers;
  readonly queue: WorkQueue;
  private readonly store: InformerKubeStore;
  private readonly objects: KubeObjects;
  private readonly senderDriver: ReconcileDriver<ChamanSender, ChamanSenderInfo>;
  private readonly accountDriver: ReconcileDriver<ChannelAccount, HeldAccount>;
  private readonly elector: LeaderElector | undefined;
  private readonly converged = new ConvergedAccounts();
  private readonly seenSenders = new SeenSenders();
  /** New accounts waiting for their new sender's first status (src/controller/new-sender-waits.ts). */
  private readonly newSenderWaits = new NewSenderWaits();
  private readonly now: () => Date;
  /**
   * The resourceVersions of the metadata writes of reconciles (guard, record, finalizer): their echoes
   * from the watch need no new reconcile.
   */
  private readonly ownWrites = new OwnWrites();
  private readonly clients: ChamanClients;
  /** The periodic resync of each sender, a small controller of its own in the same queue. */
  private readonly resyncs: SenderResync;
  /** Aborted when the work must stop at once: shutdown past its deadline, or leadership lost. */
  private readonly work = new AbortController();
  private working = false;
  private stopping = false;

  constructor(o: OperatorOptions) {
    this.o = o;
    this.now = o.now ?? (() => new Date());
    this.informers = createInformers(o.kube, o.namespaces, o.metrics, o.logger, {
      requireSenderGrant: o.settings.requireSenderGrant,
      ...(o.secretLabelSelector ? { secretLabelSelector: o.secretLabelSelector } : {}),
      ...(o.shard ? { shard: o.shard } : {}),
    });
    this.objects = new KubeObjects(o.kube);
    this.store = new InformerKubeStore(this.informers, this.objects);
    const recorder = new EventRecorder({
      client: o.kube,
      instance: o.identity,
      onError: (err) => o.logger.warn({ err }, 'could not record an event'),
    });
    const events: EventSink = {
      normal: (obj, reason, message) => void recorder.normal(obj, reason, 'Reconcile', message),
      warning: (obj, reason, message) => void recorder.warning(obj, reason, 'Reconcile', message),
    };
    const clients = (this.clients = new ChamanClients(o.chaman, o.clientFactory, this.store, o.settings.chamanCredentialsSecret));
    // A deleted sender or Secret takes its Chaman client, and the credential in it, along (issue 16 item 8).
    this.informers.senders.on('delete', (s) => clients.forgetSender(s.metadata));
    this.informers.secrets.on('delete', (s) => clients.forgetSecret(s.metadata));
    const kinds = kindContext(o, this.store, clients, { converged: this.converged, seenSenders: this.seenSenders });
    this.resyncs = new SenderResync({
      ...kinds,
      chamanFor: kinds.chamanFor,
      watchesSecret: (namespace, name) => this.informers.secrets.get(namespace, name) !== undefined,
      enqueueSender: (namespace, name) => this.enqueueSender(namespace, name),
      enqueueAccount: (account) => this.enqueueAccount(account),
      nextBackoff: (key) => this.queue.nextBackoff(key),
      resyncPeriodMs: o.settings.resyncPeriodMs,
      reconcileTimeoutMs: o.settings.reconcileTimeoutMs,
      stopSignal: this.work.signal,
      metrics: o.metrics,
      logger: o.logger,
      now: this.now,
    });
    const concurrency = typeof o.concurrency === 'number' ? fixedConcurrency(o.concurrency) : o.concurrency;
    o.metrics.workqueueConcurrencyLimit.set({ queue: 'chaman' }, concurrency.limit);
    concurrency.onChange((limit) => o.metrics.workqueueConcurrencyLimit.set({ queue: 'chaman' }, limit));
    this.queue = new WorkQueue({
      name: 'chaman',
      concurrency,
      handler: (key) => this.process(key),
      hooks: queueMetricsHooks(o.metrics, 'chaman', {
        // `object`, not `key`: the logger redacts fields named key.
        onRetry: (object, delayMs, error) => o.logger.info({ object, delayMs, err: error }, 'reconcile will be retried'),
      }),
    });
    this.senderDriver = new ReconcileDriver(new ChamanSenderKind(kinds), this.driverDeps(events));
    this.accountDriver = new ReconcileDriver(new ChannelAccountKind(kinds), this.driverDeps(events));
    this.wireEvents();
    // Each shard exports the objects it works on, so a sum over the replicas counts each object once:
    // its accounts are all it caches; its senders are among every namespace's.
    const senders = o.shard && o.shard.count > 1 ? () => [...this.informers.senders.values()].filter((s) => this.owns(s.metadata.namespace)) : () => this.informers.senders.values();
    o.metrics.observeObjects({ senders, accounts: () => this.informers.accounts.values() });
    if (o.leaderElection) this.elector = this.createElector(o.leaderElection);
  }
  /** The driver's ports: metadata writes (their echoes marked as own writes), events, metrics, the queue's backoff. */
  private driverDeps<O extends ChamanSender | ChannelAccount>(events: EventSink): DriverDeps<O> {
    return {
      updateMetadata: async (object, change) => {
        const uid = object.metadata.uid ?? '';
        let written: O | undefined;
        this.ownWrites.begin(uid);
        try {
          written = await this.store.updateMetadata(object, change);
          return written;
        } finally {
          this.ownWrites.end(uid, written?.metadata.resourceVersion);
        }
      },
      events,
      metrics: this.o.metrics,
      logger: this.o.logger,
      now: this.now,
      reconcileTimeoutMs: this.o.settings.reconcileTimeoutMs,
      stopSignal: this.work.signal,
      translateError: fromChaman,
      backoff: (key, hintMs) => this.queue.nextBackoff(key, hintMs),
    };
  }

  /** The Lease (per shard) that decides which replica works; losing it stops all work at once. */
  private createElector(leaderElection: NonNullable<OperatorOptions['leaderElection']>): LeaderElector {
    return new LeaderElector({
      client: this.o.kube,
      namespace: leaderElection.namespace,
      name: leaseName(leaderElection.name, this.o.shard),
      agreement: shardAgreement(leaderElection.name, this.o.shard),
      identity: this.o.identity,
      onStartedLeading: () => {
        this.o.metrics.leader.set({}, 1);
        this.o.logger.info('became leader');
        this.startWork();
      },
      onStoppedLeading: () => {
        this.o.metrics.leader.set({}, 0);
        if (this.stopping) return; // we released the Lease ourselves
        // Stop acting at once: another replica may take the Lease once it expires.
        this.o.logger.error('lost leadership: stopping all work');
        this.work.abort(new Error('leadership lost'));
        void this.queue.shutdown({ drain: false });
        this.o.onLostLeadership?.();
      },
      onError: (err) => this.o.logger.warn({ err }, 'leader election error'),
    });
  }


  /** Readiness: every informer has listed once. */
  synced(): boolean {
    return Object.values(this.informers).every((i: Informer) => i.hasSynced());
  }

  async start(): Promise<void> {
    for (const informer of Object.values(this.informers) as Informer[]) informer.start();
    await Promise.all((Object.values(this.informers) as Informer[]).map((i) => i.waitForSync()));
    // What each cache holds once listed: a shard's share of the accounts shows here (and in its memory).
    const cached = Object.fromEntries(Object.entries(this.informers).map(([name, i]: [string, Informer]) => [name, i.size]));
    this.o.logger.info({ namespaces: this.o.namespaces.length ? this.o.namespaces : 'all', cached }, 'caches synced');
    if (this.elector) this.elector.start();
    else {
      this.o.metrics.leader.set({}, 1);
      this.startWork();
    }
  }

  private startWork(): void {
    if (this.working || this.work.signal.aborted) return;
    this.working = true;
    this.queue.start();
    this.enqueueAll();
    this.enqueueGrants();
    this.informers.senders.forEach((s) => this.scheduleResync(s, 'spread'));
  }

  /**
   * At start, the first resync of each sender falls at a random point of the period, so resyncs are
   * spread, not bunched. A sender added later was just reconciled: its first resync is a period away.
   */
  private scheduleResync(s: ChamanSender, first: 'spread' | 'period'): void {
    if (this.working && this.owns(s.metadata.namespace)) this.queue.addAfter(objectKey(s.metadata.namespace, s.metadata.name, RESYNC), this.resyncs.firstDelayMs(first));
  }

  /**
   * Graceful shutdown within the Pod's grace period: stop taking work, give reconciles in flight
   * `shutdownTimeoutMs` to finish, then cut them short (a create in flight keeps its guard, so the
   * next leader looks it up), and release the Lease.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue.shutdown({ drain: true, timeoutMs: this.o.shutdownTimeoutMs ?? 20_000 });
    if (this.queue.processingCount > 0) {
      this.o.logger.warn({ inFlight: this.queue.processingCount }, 'shutdown deadline reached: cutting reconciles in flight short');
      this.work.abort(new Error('shutting down'));
      await this.queue.shutdown({ drain: true, timeoutMs: 2_000 });
    }
    await Promise.all((Object.values(this.informers) as Informer[]).map((i) => i.stop()));
    if (this.elector) await this.elector.stop({ release: true });
    await this.clients.close();
  }

  /** Every object, in random order with urgent work first: repeated crashes cannot starve the same objects. */
  private enqueueAll(): void {
    const items: Queued[] = [];
    this.informers.senders.forEach((s) => {
      if (this.owns(s.metadata.namespace)) items.push({ key: objectKey(s.metadata.namespace, s.metadata.name, SENDER), metadata: s.metadata });
    });
    // The accounts cache holds this shard's only.
    this.informers.accounts.forEach((a) => items.push({ key: objectKey(a.metadata.namespace, a.metadata.name, ACCOUNT), metadata: a.metadata }));
    for (const key of startOrder(items)) this.queue.add(key);
  }

  /** Whether this replica's shard works on that namespace. */
  private owns(namespace: string | undefined): boolean {
    return ownsNamespace(this.o.shard, namespace);
  }

  private enqueueSender(namespace: string | undefined, name: string, afterMs = 0): void {
    if (this.working && this.owns(namespace)) this.queue.addAfter(objectKey(namespace, name, SENDER), afterMs);
  }

  /** Grants are cluster-scoped: the first shard writes their status (see writeGrantStatus). */
  private enqueueGrant(name: string): void {
    const writes = this.o.writeGrantStatus ?? this.o.namespaces.length === 0;
    // A second later: a burst of sender changes (a team applying 100 senders) costs one status write, not 100.
    if (this.working && writes && (this.o.shard?.index ?? 0) === 0) this.queue.addAfter(objectKey(undefined, name, GRANT), 1000);
  }

  private enqueueGrants(): void {
    this.informers.grants?.forEach((g) => this.enqueueGrant(g.metadata.name));
  }

  /** A grant's status: the senders it covers, and Ready. */
  private async writeGrantStatus(grant: ChamanSenderGrant): Promise<WorkResult> {
    const status = grantStatus(grant, [...this.informers.senders.values()], (ns) => this.store.namespaceLabels(ns), this.now());
    await this.objects.applyStatus(RESOURCES.chamanSenderGrants, grant, status);
    return undefined;
  }

  /** Every account comes from the accounts cache, which holds this shard's only. */
  private enqueueAccount(a: ChannelAccount): void {
    if (this.working) this.queue.add(objectKey(a.metadata.namespace, a.metadata.name, ACCOUNT));
  }

  private wireEvents(): void {
    wireEventHandlers(this.informers, {
      enqueueSender: (namespace, name, afterMs) => this.enqueueSender(namespace, name, afterMs),
      enqueueAccount: (a) => this.enqueueAccount(a),
      enqueueGrant: (name) => this.enqueueGrant(name),
      enqueueGrants: () => this.enqueueGrants(),
      scheduleResync: (sender) => this.scheduleResync(sender, 'period'),
      releaseAccountsWaitingFor: (sender) => this.releaseAccountsWaitingFor(sender),
      ownWrites: this.ownWrites,
      seenSenders: this.seenSenders,
      converged: this.converged,
    });
  }

  /**
   * Reconciles a given copy of an account, as the work queue does a cached one: a copy that may be
   * stale (a lagging watch). Tests use it to show that the create guard refuses to act on one.
   */
  reconcileCopy(account: ChannelAccount): Promise<WorkResult> {
    return this.accountDriver.reconcile(objectKey(account.metadata.namespace, account.metadata.name, ACCOUNT), account);
  }

  private async process(key: string): Promise<WorkResult> {
    const { kind, namespace, name } = parseObjectKey(key);
    if (kind === GRANT) {
      const grant = this.informers.grants?.get(undefined, name);
      return grant ? this.writeGrantStatus(grant) : undefined;
    }
    if (kind === RESYNC) {
      const sender = this.informers.senders.get(namespace, name);
      return sender ? this.resyncs.resync(key, sender) : undefined;
    }
    if (kind === SENDER) {
      const sender = this.informers.senders.get(namespace, name);
      return sender ? this.senderDriver.reconcile(key, sender) : undefined;
    }
    const account = this.informers.accounts.get(namespace, name);
    if (!account) return undefined;
    // A new account of a sender being reconciled waits for the sender's status: one write, not two.
    const senderKey = objectKey(namespace, account.spec.senderRef.name, SENDER);
    const sender = this.informers.senders.get(namespace, account.spec.senderRef.name);
    const senderNow = sender && { ready: isReadyForGeneration(sender.status, sender.metadata.generation), busy: this.queue.isQueued(senderKey) || this.queue.isProcessing(senderKey) };
    if (this.newSenderWaits.wait(key, account, senderKey, senderNow)) return { requeueAfterMs: NEW_SENDER_WAIT_MS };
    return this.accountDriver.reconcile(key, account);
  }

  private releaseAccountsWaitingFor(s: ChamanSender): void {
    // Woken by the sender now: their safety-net run after NEW_SENDER_WAIT_MS would be a second one.
    for (const key of this.newSenderWaits.release(objectKey(s.metadata.namespace, s.metadata.name, SENDER))) {
      this.queue.cancelAfter(key);
      this.queue.add(key);
    }
  }
}
