// The operator's Prometheus metrics. The names below are a contract: the Grafana dashboard and the
// PrometheusRule are written against them, and a test checks both against METRIC_NAMES.
import { Counter, Gauge, Histogram, Registry } from './registry.ts';

export { Counter, Gauge, Histogram, Registry, PROMETHEUS_CONTENT_TYPE } from './registry.ts';
export type { Labels } from './registry.ts';

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
  'chaman_drift_total',
  'chaman_watch_restarts_total',
  'chaman_leader',
  'chaman_kube_requests_total',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The kinds the operator reconciles, used to pre-create `chaman_resources` at zero. */
export const RESOURCE_KINDS = ['ChamanSender', 'ChannelAccount'] as const;

/** Values of the `state` label of `chaman_resources`: `Ready`, or the reason of Ready=False. */
export const RESOURCE_STATES = [
  'Ready',
  'Creating',
  'Updating',
  'Deleting',
  'Invalid',
  'SenderNotReady',
  'AccessDenied',
  'BackendUnavailable',
  'RequiresReplacement',
  'Paused',
] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

export type ReconcileResult = 'success' | 'error' | 'invalid' | 'paused';
export type DriftAction = 'corrected' | 'reported';

/** Kubernetes verbs that only read; everything else counted in chaman_kube_requests_total is a write. */
export const KUBE_READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

type CertLabels = 'namespace' | 'account' | 'sender' | 'type' | 'certificate' | 'serial';

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly certificateExpiration: Gauge<CertLabels>;
  readonly certificateNotBefore: Gauge<CertLabels>;
  readonly resourceReady: Gauge<'kind' | 'namespace' | 'name'>;
  readonly resourceSynced: Gauge<'kind' | 'namespace' | 'name'>;
  readonly resources: Gauge<'kind' | 'state'>;
  readonly reconcileTotal: Counter<'kind' | 'result'>;
  readonly reconcileDuration: Histogram<'kind'>;
  readonly apiRequests: Counter<'operation' | 'code'>;
  readonly apiRequestDuration: Histogram<'operation'>;
  readonly workqueueDepth: Gauge<'queue'>;
  readonly workqueueRetries: Counter<'queue'>;
  readonly drift: Counter<'kind' | 'action'>;
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  readonly leader: Gauge;
  readonly kubeRequests: Counter<'verb' | 'resource'>;

  /**
   * Records a resource's Ready/Synced state: sets chaman_resource_ready/_synced and keeps the
   * per-state counts of chaman_resources consistent (a resource counts in exactly one state).
   * `state` is 'Ready' or the reason of Ready=False.
   */
  setResourceState(kind: string, namespace: string, name: string, state: ResourceState | string, synced: boolean): void;
  /** A resource is gone: removes its series and its count. */
  forgetResource(kind: string, namespace: string, name: string): void;
  /** Replaces the certificate series of one account (removes those no longer present). */
  setAccountCertificates(
    account: { namespace: string; account: string; sender: string; type: string },
    certificates: readonly { name: string; serialNumber: string; notBefore: Date | string; notAfter: Date | string }[],
  ): void;
  /** Sums of chaman_kube_requests_total split into reads (get/list/watch) and writes. */
  kubeRequestCounts(): { reads: number; writes: number; byVerb: Record<string, number> };
}

export function createOperatorMetrics(): OperatorMetrics {
  const registry = new Registry();
  const certLabels = ['namespace', 'account', 'sender', 'type', 'certificate', 'serial'] as const;
  const m = {
    registry,
    certificateExpiration: registry.gauge({
      name: 'chaman_certificate_expiration_timestamp_seconds',
      help: 'Expiry (notAfter) of a certificate held by Chaman for an account, as a Unix timestamp.',
      labelNames: certLabels,
    }),
    certificateNotBefore: registry.gauge({
      name: 'chaman_certificate_not_before_timestamp_seconds',
      help: 'Start of validity (notBefore) of a certificate held by Chaman for an account, as a Unix timestamp.',
      labelNames: certLabels,
    }),
    resourceReady: registry.gauge({
      name: 'chaman_resource_ready',
      help: '1 when the resource has Ready=True, else 0.',
      labelNames: ['kind', 'namespace', 'name'] as const,
    }),
    resourceSynced: registry.gauge({
      name: 'chaman_resource_synced',
      help: '1 when the last reconcile of the resource succeeded (Synced=True), else 0.',
      labelNames: ['kind', 'namespace', 'name'] as const,
    }),
    resources: registry.gauge({
      name: 'chaman_resources',
      help: 'Number of resources per Ready state (Ready, or the reason of Ready=False).',
      labelNames: ['kind', 'state'] as const,
    }),
    reconcileTotal: registry.counter({
      name: 'chaman_reconcile_total',
      help: 'Reconciles by kind and result (success, error, invalid, paused).',
      labelNames: ['kind', 'result'] as const,
    }),
    reconcileDuration: registry.histogram({
      name: 'chaman_reconcile_duration_seconds',
      help: 'Duration of reconciles by kind.',
      labelNames: ['kind'] as const,
    }),
    apiRequests: registry.counter({
      name: 'chaman_api_requests_total',
      help: 'Requests to the Chaman backend by operation and HTTP status code ("error" for a network failure).',
      labelNames: ['operation', 'code'] as const,
    }),
    apiRequestDuration: registry.histogram({
      name: 'chaman_api_request_duration_seconds',
      help: 'Duration of requests to the Chaman backend by operation.',
      labelNames: ['operation'] as const,
    }),
    workqueueDepth: registry.gauge({
      name: 'chaman_workqueue_depth',
      help: 'Keys waiting in the work queue (not yet being processed).',
      labelNames: ['queue'] as const,
    }),
    workqueueRetries: registry.counter({
      name: 'chaman_workqueue_retries_total',
      help: 'Keys requeued with backoff after a failed reconcile.',
      labelNames: ['queue'] as const,
    }),
    drift: registry.counter({
      name: 'chaman_drift_total',
      help: 'Differences found between Chaman and the spec, corrected (Manage) or reported (Observe).',
      labelNames: ['kind', 'action'] as const,
    }),
    watchRestarts: registry.counter({
      name: 'chaman_watch_restarts_total',
      help: 'Watch restarts by resource and reason (closed, expired = 410 relist, error, stalled = watchdog).',
      labelNames: ['resource', 'reason'] as const,
    }),
    leader: registry.gauge({ name: 'chaman_leader', help: '1 when this replica holds the leader lease, else 0.' }),
    kubeRequests: registry.counter({
      name: 'chaman_kube_requests_total',
      help: 'Requests made by the operator to the Kubernetes API server, by verb and resource.',
      labelNames: ['verb', 'resource'] as const,
    }),
  };

  m.leader.set({}, 0);
  for (const kind of RESOURCE_KINDS) for (const state of RESOURCE_STATES) m.resources.set({ kind, state }, 0);

  const stateOf = new Map<string, { kind: string; state: string }>();
  const resKey = (kind: string, ns: string, name: string) => `${kind}\u0000${ns}\u0000${name}`;

  const setResourceState: OperatorMetrics['setResourceState'] = (kind, namespace, name, state, synced) => {
    const k = resKey(kind, namespace, name);
    const prev = stateOf.get(k);
    if (prev?.state !== state) {
      if (prev) m.resources.dec({ kind, state: prev.state });
      m.resources.inc({ kind, state });
      stateOf.set(k, { kind, state });
    }
    m.resourceReady.set({ kind, namespace, name }, state === 'Ready' ? 1 : 0);
    m.resourceSynced.set({ kind, namespace, name }, synced ? 1 : 0);
  };

  const forgetResource: OperatorMetrics['forgetResource'] = (kind, namespace, name) => {
    const k = resKey(kind, namespace, name);
    const prev = stateOf.get(k);
    if (prev) m.resources.dec({ kind, state: prev.state });
    stateOf.delete(k);
    m.resourceReady.remove({ kind, namespace, name });
    m.resourceSynced.remove({ kind, namespace, name });
  };

  const seconds = (d: Date | string) => Math.floor((typeof d === 'string' ? Date.parse(d) : d.getTime()) / 1000);

  const setAccountCertificates: OperatorMetrics['setAccountCertificates'] = (account, certificates) => {
    const scope = { namespace: account.namespace, account: account.account };
    m.certificateExpiration.removeMatching(scope);
    m.certificateNotBefore.removeMatching(scope);
    for (const c of certificates) {
      const labels = { ...account, certificate: c.name, serial: c.serialNumber };
      m.certificateExpiration.set(labels, seconds(c.notAfter));
      m.certificateNotBefore.set(labels, seconds(c.notBefore));
    }
  };

  const kubeRequestCounts: OperatorMetrics['kubeRequestCounts'] = () => {
    let reads = 0;
    let writes = 0;
    const byVerb: Record<string, number> = {};
    for (const labels of m.kubeRequests.labelSets()) {
      const n = m.kubeRequests.get(labels);
      byVerb[labels.verb] = (byVerb[labels.verb] ?? 0) + n;
      if (KUBE_READ_VERBS.has(labels.verb)) reads += n;
      else writes += n;
    }
    return { reads, writes, byVerb };
  };

  return { ...m, setResourceState, forgetResource, setAccountCertificates, kubeRequestCounts };
}
