// The scale benchmark's figures out of the operators' scrapes: sums over a text (several shards'
// scrapes joined sum over the shards), the memory rows (per shard), the reconcile summary.
import { sampleSum } from '../../src/devtools/metrics-text.ts';

export const sumOf = (text: string, name: string, having = ''): number => sampleSum(text, name, having) ?? 0;

/** RSS after convergence (peak, V8 heap) and after the steady window: one row, or with shards one per shard. */
export function memoryRows(converged: Mem[], metrics: string[], steady: Mem[], metricsSteady: string[]): [string, string][] {
  const heap = (text: string, name = 'nodejs_heap_size_used_bytes') => mb(sumOf(text, name) / 1024);
  const row = (i: number) =>
    `${mb(converged[i]!.VmRSS)} (peak ${mb(converged[i]!.VmHWM)}, V8 heap in use ${heap(metrics[i]!)} of ${heap(metrics[i]!, 'nodejs_heap_size_total_bytes')}); after the steady window ${mb(steady[i]!.VmRSS)} (heap ${heap(metricsSteady[i]!)})`;
  if (converged.length === 1) return [['operator RSS after convergence', row(0)]];
  return converged.map((_, i) => [`shard ${i} RSS after convergence`, row(i)]);
}
export type Mem = { VmRSS: number; VmHWM: number };

/** Reconciles per kind, their mean duration, and the mean wait in the work queue, from /metrics. */
export function reconcileSummary(text: string): string {
  const parts = ['ChannelAccount', 'ChamanSender'].map((kind) => {
    const n = sumOf(text, 'chaman_reconcile_duration_seconds_count', `kind="${kind}"`);
    const ms = (sumOf(text, 'chaman_reconcile_duration_seconds_sum', `kind="${kind}"`) / Math.max(n, 1)) * 1000;
    return `${kind} ${n} (mean ${ms.toFixed(0)} ms)`;
  });
  const latency = ['get', 'patch', 'apply', 'create'].map((verb) => {
    const n = sumOf(text, 'chaman_kube_request_duration_seconds_count', `verb="${verb}"`);
    return `${verb} ${((sumOf(text, 'chaman_kube_request_duration_seconds_sum', `verb="${verb}"`) / Math.max(n, 1)) * 1000).toFixed(0)} ms`;
  });
  const chaman = ((sumOf(text, 'chaman_api_request_duration_seconds_sum', 'operation="createAccount"') / Math.max(sumOf(text, 'chaman_api_request_duration_seconds_count', 'operation="createAccount"'), 1)) * 1000).toFixed(0);
  const waits = sumOf(text, 'chaman_workqueue_queue_duration_seconds_count');
  const waitMs = (sumOf(text, 'chaman_workqueue_queue_duration_seconds_sum') / Math.max(waits, 1)) * 1000;
  return `${parts.join(', ')}; mean wait in the queue ${waitMs.toFixed(0)} ms; mean Kubernetes request ${latency.join(', ')}; mean Chaman create ${chaman} ms`;
}

export const fmt = (byVerb: Record<string, number>, per: number) =>
  Object.entries(byVerb).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${(n / per).toFixed(2)}`).join(', ');

export const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;
