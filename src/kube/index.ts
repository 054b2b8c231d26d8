// The Kubernetes adapters in one import, plus the wiring of their hooks to the operator's metrics.
// Reconcilers see keys, cached objects and intention-revealing writes — never HTTP or watches.
export * from './client.ts';
export * from './clock.ts';
export * from './events.ts';
export * from './informer.ts';
export * from './leader-election.ts';
export * from './objects.ts';
export * from './work-queue.ts';

import type { KubeClient } from './client.ts';
import type { InformerHooks } from './informer.ts';
import type { WorkQueueHooks } from './work-queue.ts';

/** The slice of OperatorMetrics (src/observability/metrics.ts) the adapters report to. */
export interface KubeMetricsSink {
  kubeRequests: { inc(labels: { verb: string; resource: string }): void };
  kubeRequestDuration: { observe(labels: { verb: string }, seconds: number): void };
  watchRestarts: { inc(labels: { resource: string; reason: string }): void };
  workqueueDepth: { set(labels: { queue: string }, v: number): void };
  workqueueRetries: { inc(labels: { queue: string }): void };
  workqueueQueueDuration: { observe(labels: { queue: string }, seconds: number): void };
  workqueueWorkDuration: { observe(labels: { queue: string }, seconds: number): void };
}

/** Counts every request of `client` in chaman_kube_requests_total{verb, resource}. */
export function countKubeRequests(client: KubeClient, metrics: KubeMetricsSink): void {
  client.onRequest((r) => {
    metrics.kubeRequests.inc({ verb: r.verb, resource: r.resource });
    metrics.kubeRequestDuration.observe({ verb: r.verb }, r.durationMs / 1000);
  });
}

/** Informer hooks feeding chaman_watch_restarts_total{resource, reason}. */
export function informerMetricsHooks(metrics: KubeMetricsSink, resource: string, extra: InformerHooks = {}): InformerHooks {
  return {
    onRestart: (reason, err) => {
      metrics.watchRestarts.inc({ resource, reason });
      extra.onRestart?.(reason, err);
    },
    onRelist: () => extra.onRelist?.(),
  };
}

/**
 * Work-queue hooks feeding chaman_workqueue_depth{queue}, chaman_workqueue_retries_total{queue}, and the
 * controller-runtime pair chaman_workqueue_queue_duration_seconds (wait before a worker takes the key)
 * and chaman_workqueue_work_duration_seconds (time the worker spent on it).
 */
export function queueMetricsHooks(metrics: KubeMetricsSink, queue: string, extra: WorkQueueHooks = {}): WorkQueueHooks {
  metrics.workqueueDepth.set({ queue }, 0);
  return {
    onDepth: (d) => {
      metrics.workqueueDepth.set({ queue }, d);
      extra.onDepth?.(d);
    },
    onRetry: (key, delay, err) => {
      metrics.workqueueRetries.inc({ queue });
      extra.onRetry?.(key, delay, err);
    },
    onError: extra.onError,
    onStart: (key, waitedMs) => {
      metrics.workqueueQueueDuration.observe({ queue }, waitedMs / 1000);
      extra.onStart?.(key, waitedMs);
    },
    onDone: (key, durationMs) => {
      metrics.workqueueWorkDuration.observe({ queue }, durationMs / 1000);
      extra.onDone?.(key, durationMs);
    },
  };
}
