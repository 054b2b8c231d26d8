// The operator's Prometheus metrics, on a prom-client registry. The names below are a contract: the
// Grafana dashboard and the PrometheusRule are written against them, and a test checks both against
// METRIC_NAMES.
//
// Per-object gauges (ready, synced, per-state counts, certificate validity) are not set by the
// reconcilers: they are computed at scrape time from the objects the informers hold (their status),
// so a series cannot outlive its object or say something its status does not.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { READY_REASONS, type ReadyReason } from '../api/common.ts';
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';

export { Counter, Gauge, Histogram, Registry };

export const METRIC_NAMES = [
  'chaman_certificate_expiration_timestamp_seconds',
  'chaman_certificate_not_before_timestamp_seconds',
  'chaman_resource_ready',
  'chaman_resource_synced',
  'chaman_resources',
  'chaman_reconcile_total',
  'chaman_reconcile_duration_seconds',
  'chaman_api_requests_total',
  'chaman_api_request_duration_seconds',
  'chaman_workqueue_depth',
  'chaman_workqueue_retries_total',
  'chaman_workqueue_queue_duration_seconds',
  'chaman_workqueue_work_duration_seconds',
  'chaman_workqueue_concurrency_limit',
  'chaman_drift_total',
  'chaman_resyncs_total',
  'chaman_watch_restarts_total',
  'chaman_leader',
  'chaman_kube_requests_total',
  'chaman_kube_request_duration_seconds',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The kinds the operator reconciles, used to pre-create `chaman_resources` at zero. */
export const RESOURCE_KINDS = ['ChamanSender', 'ChannelAccount'] as const;

/**
 * Values of the `state` label of `chaman_resources`: `Ready`, the reason of Ready=False (SPEC section 3),
 * or `Unknown` while no Ready condition has been written. Pre-created at 0 so a rate or an alert on
 * one state has a series before the first object enters it; another reason still gets its own series.
 */
export const RESOURCE_STATES = ['Ready', 'Unknown', ...READY_REASONS.filter((r) => r !== 'Available')] as const;
export type ResourceState = 'Ready' | 'Unknown' | Exclude<ReadyReason, 'Available'>;

export type DriftAction = 'corrected' | 'reported';

/** Kubernetes verbs that only read; everything else counted in chaman_kube_requests_total is a write. */
/** How often the event-loop lag histogram samples the loop (see collectDefaultMetrics below). */
export const EVENT_LOOP_SAMPLE_MS = 100;

export const KUBE_READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

/** Where the per-object gauges come from at each scrape: the informer caches. */
export interface ObjectSource {
  senders(): Iterable<ChamanSender>;
  accounts(): Iterable<ChannelAccount>;
}

type ObjectLabels = 'kind' | 'namespace' | 'name';
type CertLabels = 'namespace' | 'account' | 'sender' | 'type' | 'certificate' | 'serial';
type QueueLabels = 'queue';

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly certificateExpiration: Gauge<CertLabels>;
  readonly certificateNotBefore: Gauge<CertLabels>;
  readonly resourceReady: Gauge<ObjectLabels>;
  readonly resourceSynced: Gauge<ObjectLabels>;
  readonly resources: Gauge<'kind' | 'state'>;
  readonly reconcileTotal: Counter<'kind' | 'result'>;
  readonly reconcileDuration: Histogram<'kind'>;
  readonly apiRequests: Counter<'operation' | 'code'>;
  readonly apiRequestDuration: Histogram<'operation'>;
  readonly workqueueDepth: Gauge<QueueLabels>;
  readonly workqueueRetries: Counter<QueueLabels>;
  readonly workqueueQueueDuration: Histogram<QueueLabels>;
  readonly workqueueWorkDuration: Histogram<QueueLabels>;
  readonly workqueueConcurrencyLimit: Gauge<QueueLabels>;
  readonly resyncs: Counter<'outcome'>;
  readonly drift: Counter<'kind' | 'action'>;
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  readonly leader: Gauge;
  readonly kubeRequests: Counter<'verb' | 'resource'>;
  readonly kubeRequestDuration: Histogram<'verb'>;

  /** Per-object gauges are read from `source` at every scrape (replaces an earlier source). */
  observeObjects(source: ObjectSource): void;
  /** Sums of chaman_kube_requests_total split into reads (get/list/watch) and writes. */
  kubeRequestCounts(): Promise<{ reads: number; writes: number; byVerb: Record<string, number> }>;
}

/** Buckets of the work-queue histograms: a key may wait minutes behind a backlog of 10k accounts. */
const QUEUE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

/**
 * A registry that writes the samples of the per-object families itself, right after their `# TYPE`
 * line, in prom-client's own text format: prom-client hashes and formats the labels of every sample
 * (about 50 µs each), which made one scrape take 0.5 s at 10k accounts (bench/metrics-scrape.ts).
 */
class ObjectSeriesRegistry extends Registry {
  private readonly compute: () => Snapshot;
  /** The walk over the caches of the scrape in progress, shared by every per-object family. */
  private current: Snapshot | undefined;

  constructor(compute: () => Snapshot) {
    super();
    this.compute = compute;
  }

  snapshot(): Snapshot {
    return this.current ?? this.compute();
  }

  override async metrics(): Promise<string> {
    const current = (this.current = this.compute());
    try {
      const families = renderObjectFamilies(current);
      const text = await super.metrics();
      // One join of every piece: concatenating 5 MB of samples piece by piece costs more than making them.
      const parts: string[] = [];
      let done = 0;
      for (const match of text.matchAll(/^# TYPE (\S+) gauge\n/gm)) {
        const samples = families.get(match[1]!);
        if (!samples) continue;
        const end = match.index + match[0].length;
        parts.push(text.slice(done, end));
        for (const line of samples) parts.push(line);
        done = end;
      }
      parts.push(text.slice(done));
      return parts.join('');
    } finally {
      this.current = undefined;
    }
  }
}

export function createOperatorMetrics(): OperatorMetrics {
  let source: ObjectSource | undefined;
  const registry = new ObjectSeriesRegistry(() => (source ? snapshotObjects(source) : EMPTY_SNAPSHOT));
  const snapshot = () => registry.snapshot();
  const registers = [registry];
  const certLabels = ['namespace', 'account', 'sender', 'type', 'certificate', 'serial'] as const;
  const objectLabels = ['kind', 'namespace', 'name'] as const;

  const m = {
    registry,
    certificateExpiration: new Gauge({
      name: 'chaman_certificate_expiration_timestamp_seconds',
      help: 'Expiry (notAfter) of a certificate held by Chaman for an account, as a Unix timestamp (from status.certificates).',
      labelNames: certLabels,
      registers, // samples: renderObjectFamilies
    }),
    certificateNotBefore: new Gauge({
      name: 'chaman_certificate_not_before_timestamp_seconds',
      help: 'Start of validity (notBefore) of a certificate held by Chaman for an account, as a Unix timestamp (from status.certificates).',
      labelNames: certLabels,
      registers, // samples: renderObjectFamilies
    }),
    resourceReady: new Gauge({
      name: 'chaman_resource_ready',
      help: '1 when the resource status has Ready=True, else 0.',
      labelNames: objectLabels,
      registers, // samples: renderObjectFamilies
    }),
    resourceSynced: new Gauge({
      name: 'chaman_resource_synced',
      help: '1 when the resource status has Synced=True (its last reconcile succeeded), else 0.',
      labelNames: objectLabels,
      registers, // samples: renderObjectFamilies
    }),
    resources: new Gauge({
      name: 'chaman_resources',
      help: 'Number of resources per Ready state (Ready, the reason of Ready=False, or Unknown before the first status).',
      labelNames: ['kind', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const kind of RESOURCE_KINDS) for (const state of RESOURCE_STATES) this.set({ kind, state }, 0);
        for (const o of snapshot().objects) this.inc({ kind: o.labels.kind, state: o.state });
      },
    }),
    reconcileTotal: new Counter({
      name: 'chaman_reconcile_total',
      help: 'Reconciles by kind and result (success, error, invalid, paused).',
      labelNames: ['kind', 'result'] as const,
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'chaman_reconcile_duration_seconds',
      help: 'Duration of reconciles by kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    apiRequests: new Counter({
      name: 'chaman_api_requests_total',
      help: 'Requests to the Chaman backend by operation and HTTP status code ("error" for a network failure).',
      labelNames: ['operation', 'code'] as const,
      registers,
    }),
    apiRequestDuration: new Histogram({
      name: 'chaman_api_request_duration_seconds',
      help: 'Duration of requests to the Chaman backend by operation.',
      labelNames: ['operation'] as const,
      registers,
    }),
    workqueueDepth: new Gauge({
      name: 'chaman_workqueue_depth',
      help: 'Keys waiting in the work queue (not yet being processed).',
      labelNames: ['queue'] as const,
      registers,
    }),
    workqueueRetries: new Counter({
      name: 'chaman_workqueue_retries_total',
      help: 'Keys requeued with backoff after a failed reconcile.',
      labelNames: ['queue'] as const,
      registers,
    }),
    workqueueQueueDuration: new Histogram({
      name: 'chaman_workqueue_queue_duration_seconds',
      help: 'How long a key waited in the work queue before a worker started processing it.',
      labelNames: ['queue'] as const,
      buckets: QUEUE_BUCKETS,
      registers,
    }),
    workqueueWorkDuration: new Histogram({
      name: 'chaman_workqueue_work_duration_seconds',
      help: 'How long a worker took to process a key.',
      labelNames: ['queue'] as const,
      buckets: QUEUE_BUCKETS,
      registers,
    }),
    workqueueConcurrencyLimit: new Gauge({
      name: 'chaman_workqueue_concurrency_limit',
      help: 'Reconciles allowed in flight now: adaptive (from Kubernetes latencies and 429s, up to --max-concurrency), or --concurrency when set.',
      labelNames: ['queue'] as const,
      registers,
    }),
    resyncs: new Counter({
      name: 'chaman_resyncs_total',
      help: 'Periodic resyncs of a sender by outcome: listed (one list of its accounts and one read of its contact data), skipped (Chaman was read within the last half period), failed.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    drift: new Counter({
      name: 'chaman_drift_total',
      help: 'Differences found between Chaman and the spec, corrected (Manage) or reported (Observe).',
      labelNames: ['kind', 'action'] as const,
      registers,
    }),
    watchRestarts: new Counter({
      name: 'chaman_watch_restarts_total',
      help: 'Watch restarts by resource and reason (closed, expired = 410 relist, error, stalled = watchdog).',
      labelNames: ['resource', 'reason'] as const,
      registers,
    }),
    leader: new Gauge({ name: 'chaman_leader', help: '1 when this replica holds the leader lease, else 0.', registers }),
    kubeRequests: new Counter({
      name: 'chaman_kube_requests_total',
      help: 'Requests made by the operator to the Kubernetes API server, by verb and resource.',
      labelNames: ['verb', 'resource'] as const,
      registers,
    }),
    kubeRequestDuration: new Histogram({
      name: 'chaman_kube_request_duration_seconds',
      help: 'Duration of requests to the Kubernetes API server by verb (watches: until their headers).',
      labelNames: ['verb'] as const,
      registers,
    }),
  };
  m.leader.set(0);
  // process_* and nodejs_*: heap, RSS, event-loop lag, GC, handles — the operator runs near its memory limit at scale.
  // The lag percentiles come from a timer that samples the loop; at prom-client's default of every
  // 10 ms it woke the idle operator 100 times a second, 0.3 % of a core (more than half of the idle
  // goal, issue 19). Every 100 ms costs a tenth of that and still sees any block of the loop longer
  // than that. The percentiles are of the time between two samples: the period plus the lag.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

  const kubeRequestCounts: OperatorMetrics['kubeRequestCounts'] = async () => {
    let reads = 0;
    let writes = 0;
    const byVerb: Record<string, number> = {};
    for (const { labels, value } of (await m.kubeRequests.get()).values) {
      const verb = String(labels.verb);
      byVerb[verb] = (byVerb[verb] ?? 0) + value;
      if (KUBE_READ_VERBS.has(verb)) reads += value;
      else writes += value;
    }
    return { reads, writes, byVerb };
  };

  return {
    ...m,
    observeObjects: (s) => void (source = s),
    kubeRequestCounts,
  };
}

interface ObjectSeries {
  labels: { kind: string; namespace: string; name: string };
  ready: boolean;
  synced: boolean;
  state: string;
}

interface CertificateSeries {
  labels: { namespace: string; account: string; sender: string; type: string; certificate: string; serial: string };
  notAfter: number;
  notBefore: number;
}

interface Snapshot {
  objects: ObjectSeries[];
  certificates: CertificateSeries[];
}

const EMPTY_SNAPSHOT: Snapshot = { objects: [], certificates: [] };

type Condition = { type: string; status: string; reason: string };

/** Ready/Synced exactly as the object's status says them; no Ready condition yet is state Unknown. */
function objectSeries(kind: string, obj: ChamanSender | ChannelAccount): ObjectSeries {
  const conditions: readonly Condition[] = obj.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const synced = conditions.find((c) => c.type === 'Synced');
  return {
    labels: { kind, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name },
    ready: ready?.status === 'True',
    synced: synced?.status === 'True',
    state: ready?.status === 'True' ? 'Ready' : ready?.reason || 'Unknown',
  };
}

const unixSeconds = (rfc3339: string) => Math.floor(Date.parse(rfc3339) / 1000);

/**
 * The certificates Chaman holds for an account, from status.certificates. An account being deleted
 * (deletionTimestamp set) exports none: its Chaman account is going away or being orphaned, so it
 * is no longer the operator's to renew, and an expiry alert on it would ask for work nobody should do.
 * Its ready/synced series stay until the object is gone, so a deletion stuck on its finalizer shows.
 */
function certificateSeries(account: ChannelAccount): CertificateSeries[] {
  if (account.metadata.deletionTimestamp) return [];
  const scope = {
    namespace: account.metadata.namespace ?? 'default',
    account: account.metadata.name,
    sender: account.spec.senderRef.name,
    type: account.spec.type,
  };
  return (account.status?.certificates ?? [])
    .map((c) => ({ labels: { ...scope, certificate: c.name, serial: c.serialNumber }, notAfter: unixSeconds(c.notAfter), notBefore: unixSeconds(c.notBefore) }))
    .filter((c) => Number.isFinite(c.notAfter) && Number.isFinite(c.notBefore));
}

function snapshotObjects(source: ObjectSource): Snapshot {
  const objects: ObjectSeries[] = [];
  const certificates: CertificateSeries[] = [];
  for (const s of source.senders()) objects.push(objectSeries('ChamanSender', s));
  for (const a of source.accounts()) {
    objects.push(objectSeries('ChannelAccount', a));
    certificates.push(...certificateSeries(a));
  }
  return { objects, certificates };
}

/** prom-client's escaping of a label value. */
const labelValue = (v: string): string => (/[\\\n"]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v);

/** The sample lines of the per-object families (each with its newline), by family name. */
function renderObjectFamilies(s: Snapshot): Map<string, string[]> {
  const ready: string[] = [];
  const synced: string[] = [];
  for (const { labels: l, ready: r, synced: y } of s.objects) {
    const labels = `{kind="${labelValue(l.kind)}",namespace="${labelValue(l.namespace)}",name="${labelValue(l.name)}"}`;
    ready.push(`chaman_resource_ready${labels} ${r ? 1 : 0}\n`);
    synced.push(`chaman_resource_synced${labels} ${y ? 1 : 0}\n`);
  }
  const notAfter: string[] = [];
  const notBefore: string[] = [];
  for (const { labels: l, notAfter: a, notBefore: b } of s.certificates) {
    const labels = `{namespace="${labelValue(l.namespace)}",account="${labelValue(l.account)}",sender="${labelValue(l.sender)}",type="${labelValue(l.type)}",certificate="${labelValue(l.certificate)}",serial="${labelValue(l.serial)}"}`;
    notAfter.push(`chaman_certificate_expiration_timestamp_seconds${labels} ${a}\n`);
    notBefore.push(`chaman_certificate_not_before_timestamp_seconds${labels} ${b}\n`);
  }
  return new Map([
    ['chaman_resource_ready', ready],
    ['chaman_resource_synced', synced],
    ['chaman_certificate_expiration_timestamp_seconds', notAfter],
    ['chaman_certificate_not_before_timestamp_seconds', notBefore],
  ]);
}

