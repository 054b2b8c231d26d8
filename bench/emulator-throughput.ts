// Throughput and latency of the emulator with the real client, over loopback HTTP.
//   node bench/emulator-throughput.ts [--requests N] [--concurrency C] [--cycles N] [--seconds S]
// Prints figures; not a test. Bounded in count (defaults: 2000 GETs, 200 create+delete cycles) and
// in time (each phase stops after --seconds, default 20). Uses a temporary data dir, so every write
// is fsync'ed exactly as in production use of the emulator.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChamanHttpClient } from '../src/chaman/http-client.ts';
import type { CreateAccountRequest } from '../src/chaman/types.ts';
import { makeCa, makeCertificate } from '../src/devtools/certificates.ts';
import { startEmulator } from '../src/emulator/server.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    cycles: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
  },
});
const REQUESTS = Math.min(100_000, Number(values.requests));
const CONCURRENCY = Math.min(64, Math.max(1, Number(values.concurrency)));
const CYCLES = Math.min(10_000, Number(values.cycles));
const DEADLINE_MS = Math.min(120, Number(values.seconds)) * 1000;

const TOKEN = 'bench-token';
const SENDER = '300010';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Figures {
  name: string;
  count: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

/** Runs `task` `count` times with `concurrency` workers (or until the deadline); latencies in ms. */
async function measure(name: string, count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() - started < DEADLINE_MS) {
      const i = next++;
      const t0 = performance.now();
      await task(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    count: latencies.length,
    seconds: round(seconds),
    perSecond: round(latencies.length / seconds),
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? Number.NaN),
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const dataDir = mkdtempSync(join(tmpdir(), 'chaman-bench-'));
const emulator = await startEmulator({ dataDir, tokens: { [TOKEN]: '*' } });
const client = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token: TOKEN }, connections: CONCURRENCY });
try {
  await client.putContact(SENDER, { name: 'Bench', phone: { countryCode: '+32', number: '0486531619' }, email: 'bench@example.org', language: 'en' });
  // A few accounts so that listAccounts returns something realistic.
  const account: CreateAccountRequest = { type: 'REST', name: 'bench', permissions: ['DimonaDeclaration'], management: 'TechnicalIntermediary', certificates: [] };
  for (let i = 0; i < 5; i++) await client.createAccount(SENDER, { ...account, name: `seed ${i}` }, `seed-${i}`);

  const results: Figures[] = [];
  // warm-up
  await measure('warm-up', 100, CONCURRENCY, () => client.listAccounts(SENDER));
  results.push(await measure(`GET listAccounts (concurrency ${CONCURRENCY})`, REQUESTS, CONCURRENCY, () => client.listAccounts(SENDER)));
  results.push(await measure('GET listAccounts (sequential)', Math.min(REQUESTS, 1000), 1, () => client.listAccounts(SENDER)));
  results.push(
    await measure(`createAccount+deleteAccount cycle (concurrency ${Math.min(CONCURRENCY, 4)})`, CYCLES, Math.min(CONCURRENCY, 4), async (i) => {
      const created = await client.createAccount(SENDER, { ...account, name: `cycle ${i}` }, `cycle-${i}`);
      await client.deleteAccount(SENDER, created.id);
    }),
  );
  // The same with a certificate to inspect and check (R6–R10) on every create.
  const certificate = await makeCertificate({ ca: await makeCa() });
  const withCertificate: CreateAccountRequest = {
    type: 'REST',
    name: 'bench',
    permissions: ['DimonaDeclaration'],
    certificates: [{ name: 'bench', fileName: 'bench.cer', content: Buffer.from(certificate.der).toString('base64') }],
  };
  results.push(
    await measure(`create (REST + 1 certificate)+delete cycle (concurrency ${Math.min(CONCURRENCY, 4)})`, CYCLES, Math.min(CONCURRENCY, 4), async (i) => {
      const created = await client.createAccount(SENDER, { ...withCertificate, name: `cert cycle ${i}` }, `cert-cycle-${i}`);
      await client.deleteAccount(SENDER, created.id);
    }),
  );
  console.log(`Chaman emulator benchmark — Node ${process.version}, loopback HTTP, data dir on ${dataDir} (fsync per write)`);
  console.table(results.map((r) => ({ phase: r.name, calls: r.count, seconds: r.seconds, 'per second': r.perSecond, 'p50 ms': r.p50, 'p99 ms': r.p99, 'max ms': r.max })));
  const requests = emulator.requests();
  console.log(`emulator counted ${requests.total} API requests (${requests.mutating} mutating)`);
} finally {
  await client.close();
  await emulator.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
