// The scale benchmark (issue 11): N senders × M accounts applied at once with `kubectl apply --server-side`,
// reconciled by `chaman-operator run` as a real process against the emulator. Figures, not a test.
//   node bench/scale.ts --senders 100 --accounts-per-sender 10 [--kubeconfig /tmp/cp/kubeconfig]
//        [--resync-period 60s] [--concurrency 4] [--operator-concurrency adaptive|N] [--chaman-rate-limit 1000] [--senders-per-namespace 10]
//        [--node-options='--max-old-space-size=…'] [--cpu-prof DIR] [--cluster-wide] [--shards N] [--from-source] [--heap-snapshot]
//        [--steady-window DURATION] [--idle-window DURATION] [--ignore-load]
//
// --concurrency is the floor's; the operator adapts its own (its default) unless --operator-concurrency N fixes it.
// The operator runs compiled as the image ships it (bench/lib/operator-entry.ts; --from-source runs src/cli.ts)
// with the Deployment's NODE_OPTIONS unless --node-options says otherwise: memory is measured as deployed.
// It prints:
// - the floor: the apply itself, plus what an ideal operator must do at the same concurrency, measured
//   in the same run before the operator starts: one contact PUT per sender and one create per account
//   (on other sender numbers of the same emulator), and one Kubernetes write per object (ConfigMaps in
//   a scratch namespace); and the ratio (apply → all Ready) / floor;
// - Kubernetes writes per object (the operator's chaman_kube_requests_total, scraped from /metrics);
// - Chaman calls per account to converge (the emulator's request log);
// - the operator's RSS after convergence and its peak (/proc/PID/status), and its V8 heap in use;
//   with --shards N, N operators (--shard-count N --shard-index i) share the work, and these are per
//   shard while the other figures are their sums;
// - CPU and calls over a steady-state window that holds a full resync (--resync-period, default 60 s
//   here so the window stays short; the operator's own default is 10m; --steady-window 0 skips it);
// - with --idle-window, CPU over a window where nothing changes, and the resyncs that fell in it: with
//   --resync-period 1h --steady-window 0, none, so it is what the operator does when idle.
// It refuses to start when the machine is already busy (bench/lib/machine-load.ts): --ignore-load.
// Accounts: per sender 1 SOAP and M−1 REST, each with its own certificate Secret.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { ChamanHttpClient } from '../src/chaman/http-client.ts';
import { apply, readManifests, waitForCrdsEstablished } from '../src/devtools/apply.ts';
import { makeCa, makeCertificate, type MadeCertificate } from '../src/devtools/certificates.ts';
import { parseDuration } from '../src/domain/duration.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { startCensus } from './lib/scale-census.ts';
import { RESOURCES, createKubeClient, resourcePath, type KubeClient, type KubeList, type KubeObject } from '../src/kube/client.ts';
import { HEAP_SNAPSHOT_NODE_OPTION, snapshotLiveBytes } from './lib/heap-snapshot.ts';
import { operatorEntry } from './lib/operator-entry.ts';
import { ScaleOperators, countsBetween, cpuCores, kubeCounts } from './lib/scale-operators.ts';
import { refuseWhenBusy } from './lib/machine-load.ts';
import { fmt, mb, memoryRows, reconcileSummary, sumOf } from './lib/scale-report.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    senders: { type: 'string', default: '100' },
    'accounts-per-sender': { type: 'string', default: '10' },
    'senders-per-namespace': { type: 'string', default: '10' },
    kubeconfig: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    'operator-concurrency': { type: 'string', default: 'adaptive' },
    'chaman-rate-limit': { type: 'string', default: '1000' },
    'resync-period': { type: 'string', default: '60s' },
    'timeout': { type: 'string', default: '3600' },
    'apply-parallelism': { type: 'string', default: '4' },
    'node-options': { type: 'string' },
    'cpu-prof': { type: 'string' },
    // Watch every namespace (one watch per resource) rather than one watch per resource and namespace.
    'cluster-wide': { type: 'boolean', default: false },
    // Operator processes sharing the namespaces by hash, each caching only its own share of the accounts.
    shards: { type: 'string', default: '1' },
    'steady-window': { type: 'string' }, // default: the resync period + 15 s
    'idle-window': { type: 'string', default: '0' },
    'ignore-load': { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    // Each operator's live heap from a V8 heap snapshot, taken once the other figures are read.
    'heap-snapshot': { type: 'boolean', default: false },
  },
});
const SENDERS = Number(values.senders);
const PER_SENDER = Number(values['accounts-per-sender']);
const PER_NAMESPACE = Number(values['senders-per-namespace']);
const CONCURRENCY = Number(values.concurrency);
const SHARDS = Number(values.shards);
const RESYNC_MS = parseDuration(values['resync-period']!);
const ACCOUNTS = SENDERS * PER_SENDER;
const OBJECTS = SENDERS + ACCOUNTS;
const run = randomBytes(3).toString('hex');
const work = mkdtempSync(join(tmpdir(), `chaman-scale-${run}-`));
const cleanups: (() => Promise<unknown>)[] = [];
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(): Promise<void> {
  await refuseWhenBusy(values['ignore-load'], log);
  const { kubeconfig, kubectl } = await controlPlane();
  const kube = await createKubeClient({ kubeconfig });
  cleanups.push(() => kube.close());
  const token = randomBytes(12).toString('hex');
  const emulator = await startEmulator({ tokens: { [token]: '*' } });
  cleanups.push(() => emulator.stop());
  const tokenFile = join(work, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });

  log(`making ${Math.min(PER_SENDER, 10)} certificates (EC P-384, CA-issued, shared round-robin by the accounts)`);
  const ca = await makeCa({ key: 'p384' });
  const certs: MadeCertificate[] = [];
  for (let i = 0; i < Math.min(PER_SENDER, 10); i++) certs.push(await makeCertificate({ ca, key: 'p384', freshKey: true, subject: `O=Bench, CN=bench-${i}` }));

  const namespaces = Array.from({ length: Math.ceil(SENDERS / PER_NAMESPACE) }, (_, i) => `scale-${run}-${i}`);
  // On a control plane of its own, stopping it is the clean-up (deleting 20k objects took 10+ minutes).
  if (values.kubeconfig) cleanups.push(() => deleteEverything(kube, namespaces)); // first, so a failure half-way still cleans up
  await installCrdsAndNamespaces(kube, namespaces);

  // ---- the floor, measured before the operator starts ----
  log(`floor: ${SENDERS} contact PUTs and ${ACCOUNTS} creates on Chaman at concurrency ${CONCURRENCY}`);
  const chamanFloorMs = await floorChaman(emulator.url, token, certs);
  log(`floor: ${OBJECTS} Kubernetes writes at concurrency ${CONCURRENCY}`);
  const kubeFloorMs = await floorKube(kube);

  // ---- the operator, as real processes (one per shard) ----
  const heapDir = join(work, 'heap');
  mkdirSync(heapDir);
  const nodeOptions = `${values['node-options'] ?? deploymentNodeOptions()}${values['heap-snapshot'] ? ` ${HEAP_SNAPSHOT_NODE_OPTION}` : ''}`;
  log(`operator: ${values['from-source'] ? 'src/cli.ts' : 'compiled as deployed'}, ${SHARDS > 1 ? `${SHARDS} shards, ` : ''}NODE_OPTIONS="${nodeOptions}"${values['cpu-prof'] ? `, CPU profile in ${values['cpu-prof']}` : ''}`);
  const operators = await ScaleOperators.start({
    count: SHARDS,
    entry: operatorEntry(values['from-source']!),
    nodeOptions,
    cwd: heapDir,
    ...(values['cpu-prof'] ? { cpuProf: values['cpu-prof'] } : {}),
    args: [
      '--kubeconfig', kubeconfig,
      ...(values['cluster-wide'] ? [] : namespaces.flatMap((n) => ['--namespace', n])),
      '--chaman-url', emulator.url, '--chaman-token-file', tokenFile,
      ...(values['operator-concurrency'] === 'adaptive' ? [] : ['--concurrency', values['operator-concurrency']!]),
      '--chaman-rate-limit', values['chaman-rate-limit']!,
      '--resync-period', values['resync-period']!,
      '--health-addr', '127.0.0.1:0', '--log-level', 'warn',
    ],
  });
  cleanups.push(() => operators.stop());
  const scrape = async () => (await operators.scrape())!;
  await waitFor('the operator to serve /metrics', async () => (await operators.scrape()) !== undefined, 60_000);
  await sleep(2_000); // caches synced, first (empty) lists done

  // ---- apply → all Ready ----
  // kubectl applies one object at a time; a few kubectl processes over parts of the manifest (one
  // namespace each) keep the apply from dominating on a slow machine. Each part has its Secrets first.
  const parallelism = Math.min(Number(values['apply-parallelism']), namespaces.length); // a part per namespace at most: kubectl refuses an empty one
  const all = objects(namespaces, certs);
  const parts = Array.from({ length: parallelism }, (_, k) => join(work, `objects-${k}.yaml`));
  parts.forEach((file, k) =>
    writeFileSync(file, all.filter((o) => namespaces.indexOf(o.metadata.namespace!) % parallelism === k).sort(secretsFirst).map((o) => stringify(o)).join('---\n')),
  );
  const census = await startCensus(kube, namespaces);
  cleanups.push(() => census.stop());
  const kubeBefore = kubeCounts(await scrape());
  const chamanBefore = emulator.requests();
  log(`applying ${SENDERS} senders, ${ACCOUNTS} accounts and ${ACCOUNTS} Secrets with ${parallelism} × kubectl apply --server-side`);
  const t0 = performance.now();
  await Promise.all(parts.map((file) => promisify(execFile)(kubectl, ['apply', '--server-side', '--field-manager', 'bench', '-f', file], { maxBuffer: 64 << 20 })));
  const applyMs = performance.now() - t0;
  log(`applied in ${(applyMs / 1000).toFixed(1)} s; waiting until every object is Ready or stuck (Invalid, Stalled)`);
  let settled = census.count();
  const limits: string[] = []; // the operator's reconciles in flight allowed (per shard), sampled every ~10 s
  // The count reads the census's watches: no request to the API server, so it can run often.
  await waitFor(`all ${OBJECTS} objects Ready or stuck`, async () => (settled = census.count()).ready + settled.stuck.length === OBJECTS, Number(values.timeout) * 1000, 200, async () => {
    const limit = ((await operators.scrapes()) ?? []).map((text) => sumOf(text, 'chaman_workqueue_concurrency_limit')).join('+');
    limits.push(limit);
    log(`  ${settled.ready}/${OBJECTS} Ready, ${settled.stuck.length} stuck, operator RSS ${operators.memory().map((m) => mb(m.VmRSS)).join(' + ')}, concurrency limit ${limit}`);
  });
  const readyMs = performance.now() - t0;
  await sleep(3_000); // the echo of the last status writes, the last events
  const kubeConverged = kubeCounts(await scrape());
  const chamanConverged = emulator.requests();
  const memoryConverged = operators.memory();
  const scrapeStarted = performance.now();
  const shardMetrics = (await operators.scrapes())!;
  const scrapeMs = (performance.now() - scrapeStarted) / SHARDS; // what each Prometheus scrape costs (per-object series are computed then)
  const metricsConverged = shardMetrics.join('\n');
  const resyncsListed = sumOf(metricsConverged, 'chaman_resyncs_total', 'outcome="listed"');

  // ---- steady state over a full resync ----
  const windowMs = values['steady-window'] === undefined ? RESYNC_MS + 15_000 : parseDuration(values['steady-window']);
  if (windowMs > 0) log(`steady state: ${windowMs / 1000} s (resync period ${values['resync-period']})`);
  const cpu0 = operators.cpuSeconds();
  const threads0 = operators.threadCpu();
  await sleep(windowMs);
  const cpuPercent = ((operators.cpuSeconds() - cpu0) / (windowMs / 1000)) * 100;
  const threadPercent = [...operators.threadCpu()]
    .map(([name, sec]) => [name, ((sec - (threads0.get(name) ?? 0)) / (windowMs / 1000)) * 100] as const)
    .filter(([, pct]) => pct >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const memorySteady = operators.memory();
  const shardMetricsSteady = (await operators.scrapes())!;
  const metricsSteady = shardMetricsSteady.join('\n');
  const kubeSteady = kubeCounts(metricsSteady);
  const chamanSteady = emulator.requests();
  // What one resync costs, the figure that scales: CPU over the window per resync that listed.
  const resyncsInWindow = sumOf(metricsSteady, 'chaman_resyncs_total', 'outcome="listed"') - resyncsListed;
  const cpuPerResyncMs = ((cpuPercent / 100) * windowMs) / Math.max(resyncsInWindow, 1);

  // ---- idle: nothing changes; with a resync period longer than the run, no resync either ----
  const idleMs = parseDuration(values['idle-window']!);
  let idleRow: [string, string] | undefined;
  if (idleMs > 0) {
    log(`idle: ${idleMs / 1000} s`);
    const resyncs0 = sumOf(metricsSteady, 'chaman_resyncs_total');
    const cpuIdle0 = operators.cpuSeconds();
    const threadsIdle0 = operators.threadCpu();
    await sleep(idleMs);
    // CPU first: the scrape below is work the operator does for the benchmark.
    const idlePercent = ((operators.cpuSeconds() - cpuIdle0) / (idleMs / 1000)) * 100;
    const idleThreads = [...operators.threadCpu()]
      .map(([name, sec]) => `${name} ${(((sec - (threadsIdle0.get(name) ?? 0)) / (idleMs / 1000)) * 100).toFixed(2)}%`)
      .filter((t) => !t.endsWith(' 0.00%'));
    const text = (await operators.scrape())!;
    const kubeIdle = countsBetween(kubeSteady, kubeCounts(text), [...WRITE_VERBS, 'get', 'list']);
    idleRow = [`idle, ${idleMs / 1000} s after the steady state`, `${idlePercent.toFixed(2)}% CPU (${idleThreads.join(', ')}); ${sumOf(text, 'chaman_resyncs_total') - resyncs0} resyncs inside; Kubernetes ${kubeIdle.total} requests; Chaman ${emulator.requests().total - chamanSteady.total} calls`];
  }

  const live: string[] = [];
  for (const shard of values['heap-snapshot'] ? operators.shards : []) {
    const { total, byKind } = await snapshotLiveBytes(shard.pid, heapDir);
    live.push(`${mb(total / 1024)} (${Object.entries(byKind).map(([kind, bytes]) => `${kind} ${mb(bytes / 1024)}`).join(', ')})`);
  }

  // ---- report ----
  const floorMs = applyMs + chamanFloorMs + kubeFloorMs;
  const writes = countsBetween(kubeBefore, kubeConverged, WRITE_VERBS);
  const steadyWrites = countsBetween(kubeConverged, kubeSteady, WRITE_VERBS);
  const steadyReads = countsBetween(kubeConverged, kubeSteady, ['get', 'list']);
  const ops = (a: typeof chamanBefore, b: typeof chamanBefore) =>
    Object.entries(b.byOperation).map(([op, n]) => [op, n - (a.byOperation[op] ?? 0)] as const).filter(([, n]) => n > 0);
  const converge = ops(chamanBefore, chamanConverged);
  const mutating = chamanConverged.mutating - chamanBefore.mutating;
  const reads = chamanConverged.total - chamanBefore.total - mutating;
  const steady = ops(chamanConverged, chamanSteady);
  const rows: [string, string][] = [
    ['objects', `${SENDERS} senders, ${ACCOUNTS} accounts (1 SOAP + ${PER_SENDER - 1} REST per sender), ${ACCOUNTS} Secrets, ${namespaces.length} namespaces`],
    [settled.stuck.length ? `apply → all Ready or stuck (${settled.stuck.length} stuck)` : 'apply → all Ready', `${s(readyMs)} (floor ${s(floorMs)} = apply ${s(applyMs)} + Chaman ${s(chamanFloorMs)} + Kubernetes ${s(kubeFloorMs)}): ${(readyMs / floorMs).toFixed(2)}×`],
    ['Kubernetes writes per object', `${(writes.total / OBJECTS).toFixed(2)} (${fmt(writes.byVerb, OBJECTS)})`],
    ['Chaman calls per account', `${(mutating / ACCOUNTS).toFixed(2)} mutating, ${(reads / ACCOUNTS).toFixed(2)} reads (${converge.map(([op, n]) => `${op} ${n}`).join(', ')})`],
    // A resync that lists also reads its sender's contact data: at a short --resync-period they fall inside the convergence.
    ['  of which by resyncs', `${((2 * resyncsListed) / ACCOUNTS).toFixed(2)} reads per account (${resyncsListed} resyncs listed; --resync-period ${values['resync-period']})`],
    ...memoryRows(memoryConverged, shardMetrics, memorySteady, shardMetricsSteady),
    ['reconciles to converge', reconcileSummary(metricsConverged)],
    ['concurrency limit (every ~10 s)', `${values['operator-concurrency']}: ${limits.join(', ') || '-'}; ${shardMetrics.map((text) => sumOf(text, 'chaman_workqueue_concurrency_limit')).join('+')} after convergence`],
    [SHARDS > 1 ? 'one /metrics scrape (mean of the shards)' : 'one /metrics scrape', `${scrapeMs.toFixed(0)} ms, ${(metricsConverged.length / SHARDS / 1024).toFixed(0)} KiB`],
    ...(windowMs > 0 ? [[`steady state, ${windowMs / 1000} s with a full resync`, `${cpuPercent.toFixed(1)}% CPU, ${cpuPerResyncMs.toFixed(1)} ms per resync of a sender (${resyncsInWindow} resyncs; ${threadPercent.map(([n, p]) => `${n} ${p.toFixed(1)}%`).join(', ')}); Kubernetes ${steadyWrites.total} writes, ${steadyReads.total} reads; Chaman ${steady.map(([op, n]) => `${op} ${n}`).join(', ') || 'no calls'}`] as [string, string]] : []),
    ...(idleRow ? [idleRow] : []),
    ...(live.length ? [['live heap (heap snapshot, at the end)', live.join('; ')] as [string, string]] : []),
  ];
  console.log(`\nscale benchmark: ${SENDERS}×${PER_SENDER}${SHARDS > 1 ? `, ${SHARDS} shards` : ''}, floor concurrency ${CONCURRENCY}, operator concurrency ${values['operator-concurrency']}, Chaman rate limit ${values['chaman-rate-limit']}/s, NODE_OPTIONS="${nodeOptions}", ${process.platform} ${cpuCores()} cores`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(44)} ${v}`);
  const reasons = new Map<string, number>();
  for (const r of settled.stuck) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  for (const [r, n] of reasons) console.log(`  stuck: ${n} × ${r}`);
  const warnings = operators.stderr.join('').split('\n').filter((l) => l.includes('"level":"warn"') || l.includes('"level":"error"'));
  if (warnings.length) console.log(`\n  operator warnings/errors: ${warnings.length} (first: ${warnings[0]!.slice(0, 300)})`);
}

// ---------------------------------------------------------------------------------------------

async function controlPlane(): Promise<{ kubeconfig: string; kubectl: string }> {
  if (values.kubeconfig) return { kubeconfig: values.kubeconfig, kubectl: join(dirname(values.kubeconfig), 'kubectl') };
  const { startControlPlane } = await import('../scripts/lib/controlplane.ts');
  log('starting a control plane (the first start builds it: minutes)');
  const cp = await startControlPlane({ dir: join(work, 'cluster') });
  cleanups.push(() => cp.stop());
  return { kubeconfig: cp.kubeconfigPath, kubectl: cp.kubectlPath };
}

async function installCrdsAndNamespaces(kube: KubeClient, namespaces: string[]): Promise<void> {
  const crds = readdirSync(join(root, 'crds')).filter((f) => f.startsWith('chaman.io_')).map((f) => join(root, 'crds', f));
  const docs = readManifests(...crds);
  for (const crd of docs) await apply(kube, crd);
  await waitForCrdsEstablished(kube, docs.map((d) => d.metadata.name!));
  for (const n of [...namespaces, `scale-${run}-floor`]) await apply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  // With --require-sender-grant (the default once tenancy lands) the operator acts only for granted senders.
  for (let i = 0; i < SENDERS; i += 1000) {
    await apply(kube, {
      apiVersion: 'chaman.io/v1alpha1',
      kind: 'ChamanSenderGrant',
      metadata: { name: `scale-${run}-${i / 1000}` },
      spec: { senderNumbers: Array.from({ length: Math.min(1000, SENDERS - i) }, (_, k) => senderNumber(i + k)), namespaces },
    });
  }
}

const senderNumber = (i: number) => String(400_000 + i);
const contact = { name: 'Jane Peeters', phone: { countryCode: '+32', number: '0486531619' }, email: 'jane@bench.example', language: 'fr' as const };

function objects(namespaces: string[], certs: MadeCertificate[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; i < SENDERS; i++) {
    const namespace = namespaces[Math.floor(i / PER_NAMESPACE)]!;
    const sender = `sender-${i}`;
    out.push({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChamanSender', metadata: { name: sender, namespace }, spec: { senderNumber: senderNumber(i), contact } });
    for (let j = 0; j < PER_SENDER; j++) {
      const name = `${sender}-${j === 0 ? 'soap' : `rest-${j}`}`;
      const cert = certs[j % certs.length]!;
      out.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-cert`, namespace }, type: 'Opaque', data: { 'tls.crt': Buffer.from(cert.pem).toString('base64') } });
      const spec: Record<string, unknown> = { senderRef: { name: sender }, type: j === 0 ? 'SOAP' : 'REST', certificates: [{ name: 'main', secretRef: { name: `${name}-cert` } }] };
      if (j > 0) spec.permissions = ['DimonaDeclaration'];
      out.push({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name, namespace }, spec });
    }
  }
  return out;
}

/** One contact PUT per sender and one create per account, on sender numbers the operator never sees. */
async function floorChaman(url: string, token: string, certs: MadeCertificate[]): Promise<number> {
  const client = new ChamanHttpClient({ baseUrl: url, auth: { kind: 'token', token }, rateLimit: { ratePerSecond: Number(values['chaman-rate-limit']) } });
  const started = performance.now();
  await pool(SENDERS, async (i) => {
    const number = String(500_000 + i);
    await client.putContact(number, contact);
    for (let j = 0; j < PER_SENDER; j++) {
      const content = Buffer.from(certs[j % certs.length]!.der).toString('base64');
      await client.createAccount(
        number,
        { type: j === 0 ? 'SOAP' : 'REST', name: `floor-${i}-${j}`, permissions: j === 0 ? [] : ['DimonaDeclaration'], certificates: [{ name: 'main', fileName: 'main.cer', content }] },
        `floor-${run}-${i}-${j}`,
      );
    }
  });
  const ms = performance.now() - started;
  await client.close();
  return ms;
}

/** One Kubernetes write per object: a ConfigMap each, in a scratch namespace the operator does not watch. */
async function floorKube(kube: KubeClient): Promise<number> {
  const namespace = `scale-${run}-floor`;
  const started = performance.now();
  await pool(OBJECTS, (i) =>
    kube.request({ verb: 'create', resource: 'configmaps', method: 'POST', path: resourcePath(RESOURCES.configMaps, namespace), body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `floor-${i}` }, data: { i: String(i) } } }),
  );
  return performance.now() - started;
}

async function pool(n: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await task(next++);
  }));
}

const secretsFirst = (a: KubeObject, b: KubeObject) => Number(b.kind === 'Secret') - Number(a.kind === 'Secret');


/** Objects Ready for their generation, and the reasons of those stuck (Invalid or Stalled, for their generation). */
async function deleteEverything(kube: KubeClient, namespaces: string[]): Promise<void> {
  log('cleaning up: finalizers off (the operator is stopped), namespaces and grants deleted');
  for (const namespace of namespaces) {
    for (const rt of [RESOURCES.channelAccounts, RESOURCES.chamanSenders]) {
      const list = await kube.request<KubeList>({ verb: 'list', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace) });
      await pool(list.items.length, (i) =>
        kube.request({ verb: 'patch', resource: rt.plural, method: 'PATCH', path: resourcePath(rt, namespace, list.items[i]!.metadata.name), contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } }),
      );
    }
  }
  for (const n of [...namespaces, `scale-${run}-floor`]) await kube.request({ verb: 'delete', resource: 'namespaces', method: 'DELETE', path: resourcePath(RESOURCES.namespaces, undefined, n) }).catch(() => {});
  for (let i = 0; i < SENDERS; i += 1000) {
    await kube.request({ verb: 'delete', resource: 'chamansendergrants', method: 'DELETE', path: resourcePath(RESOURCES.chamanSenderGrants, undefined, `scale-${run}-${i / 1000}`) }).catch(() => {});
  }
}

const WRITE_VERBS = ['create', 'update', 'patch', 'apply', 'delete'];

/** NODE_OPTIONS as the Deployment sets them (the V8 heap limit the memory figures depend on). */
function deploymentNodeOptions(): string {
  const docs = parseAllDocuments(readFileSync(join(root, 'manifests', 'base', 'deployment.yaml'), 'utf8')).map((d) => d.toJS());
  const env = docs.find((d) => d?.kind === 'Deployment')?.spec.template.spec.containers[0].env as { name: string; value?: string }[];
  return env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number, everyMs = 250, progress?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProgress = Date.now();
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    if (progress && Date.now() - lastProgress > 10_000) {
      lastProgress = Date.now();
      await progress();
    }
    await sleep(everyMs);
  }
}

// Last, so every declaration above is initialised before main runs. Ctrl-C still cleans up.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch((err) => console.error('cleanup:', (err as Error).message));
}
try {
  await main();
} finally {
  await cleanup();
}
