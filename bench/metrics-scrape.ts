// What one Prometheus scrape of /metrics costs as the number of objects grows: the per-object series
// (ready, synced, certificate validity) are computed from the informer caches at scrape time.
//
//   node bench/metrics-scrape.ts [--accounts 10000] [--scrapes 5]
//
// Prints the mean time of registry.metrics() and the size of its text, in one run for 1k and for
// the given number of accounts (10 accounts per sender), so the ratio between them is comparable.
import { parseArgs } from 'node:util';
import type { ChamanSender, ChannelAccount } from '../src/api/types.generated.ts';
import { createOperatorMetrics } from '../src/observability/metrics.ts';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '10000' }, scrapes: { type: 'string', default: '5' } } });

function objects(accounts: number): { senders: ChamanSender[]; accounts: ChannelAccount[] } {
  const condition = (type: string) => ({ type, status: 'True', observedGeneration: 1, lastTransitionTime: '2026-12-02T06:41:10Z', reason: 'Available', message: 'Chaman matches the spec.' });
  const status = { observedGeneration: 1, conditions: ['Ready', 'Synced', 'Invalid', 'CertExpiring', 'Stalled'].map(condition) };
  const senders = Array.from({ length: Math.ceil(accounts / 10) }, (_, i) => ({ metadata: { name: `sender-${i}`, namespace: `ns-${Math.floor(i / 10)}`, generation: 1 }, spec: { senderNumber: String(400000 + i) }, status }) as unknown as ChamanSender);
  const list = Array.from({ length: accounts }, (_, i) => ({
    metadata: { name: `sender-${Math.floor(i / 10)}-rest-${i % 10}`, namespace: `ns-${Math.floor(i / 100)}`, generation: 1 },
    spec: { senderRef: { name: `sender-${Math.floor(i / 10)}` }, type: 'REST' },
    status: { ...status, certificates: [{ name: 'main', serialNumber: `5f3a9c1d2e4b${i}`, notBefore: '2026-12-02T06:00:00Z', notAfter: '2027-12-02T06:00:00Z' }] },
  }) as unknown as ChannelAccount);
  return { senders, accounts: list };
}

async function scrape(accounts: number): Promise<{ ms: number; kib: number }> {
  const metrics = createOperatorMetrics();
  const o = objects(accounts);
  metrics.observeObjects({ senders: () => o.senders, accounts: () => o.accounts });
  await metrics.registry.metrics(); // warm-up
  const n = Number(values.scrapes);
  let text = '';
  const started = performance.now();
  for (let i = 0; i < n; i++) text = await metrics.registry.metrics();
  return { ms: (performance.now() - started) / n, kib: text.length / 1024 };
}

const small = await scrape(1000);
const large = await scrape(Number(values.accounts));
console.log(`one scrape, 1,000 accounts: ${small.ms.toFixed(0)} ms, ${small.kib.toFixed(0)} KiB`);
console.log(`one scrape, ${Number(values.accounts).toLocaleString('en')} accounts: ${large.ms.toFixed(0)} ms, ${large.kib.toFixed(0)} KiB (${(large.ms / small.ms).toFixed(1)}× the time for ${(Number(values.accounts) / 1000).toFixed(0)}× the objects)`);
