// The scale benchmark (issue 11): N senders × M accounts applied at once with `kubectl apply
// --server-side`, reconciled by `chaman-operator run` as a real process against the emulator. Figures,
// not a test: keep it out of npm test.
//
//   node bench/scale.ts --senders 100 --accounts-per-sender 10 [--kubeconfig /tmp/cp/kubeconfig]
//        [--resync-period 60s] [--concurrency 4] [--operator-concurrency adaptive|N] [--chaman-rate-limit 1000] [--senders-per-namespace 10]
//        [--node-options='--max-old-space-size=…'] [--cpu-prof DIR] [--cluster-wide]
//
// --concurrency is the floor's; the operator adapts its own (its default) unless --operator-concurrency N fixes it.
// The operator runs with the NODE_OPTIONS of manifests/base/deployment.yaml unless --node-options
// says otherwise, so memory is measured as deployed. --cpu-prof writes a V8 CPU profile of it.
//
// It prints:
// - the floor: the apply itself, plus what an ideal operator must do at the same concurrency, measured
//   in the same run before the operator starts: one contact PUT per sender and one create per account
//   (on other sender numbers of the same emulator), and one Kubernetes write per object (ConfigMaps in
//   a scratch namespace); and the ratio (apply → all Ready) / floor;
// - Kubernetes writes per object (the operator's chaman_kube_requests_total, scraped from /metrics);
// - Chaman calls per account to converge (the emulator's request log);
// - the operator's RSS after convergence and its peak (/proc/PID/status), and its V8 heap in use;
// - CPU and calls over a steady-state window that holds a full resync (--resync-period, default 60 s
//   here so the window stays short; the operator's own default is 10m).
// Accounts: per sender 1 SOAP and M−1 REST, each with its own certificate Secret.
import 'reflect-metadata';
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { ChamanHttpClient } from '../src/chaman/http-client.ts';
import { apply, readManifests, waitForCrdsEstablished } from '../src/devtools/apply.ts';
import { makeCa, makeCertificate, type MadeCertificate } from '../src/devtools/certificates.ts';
import { parseDuration } from '../src/domain/duration.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { RESOURCES, createKubeClient, resourcePath, type KubeClient, type KubeList, type KubeObject } from '../src/kube/client.ts';
import { freePort } from '../src/devtools/free-port.ts';
import { sampleSum } from '../src/devtools/metrics-text.ts';

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
  },
});
const SENDERS = Number(values.senders);
const PER_SENDER = Number(values['accounts-per-sender']);
const PER_NAMESPACE = Number(values['senders-per-namespace']);
const CONCURRENCY = Number(values.concurrency);
const RESYNC_MS = parseDuration(values['resync-period']!);
const ACCOUNTS = SENDERS * PER_SENDER;
const OBJECTS = SENDERS + ACCOUNTS;
const run = randomBytes(3).toString('hex');
const work = mkdtempSync(join(tmpdir(), `chaman-scale-${run}-`));
const cleanups: (() => Promise<unknown>)[] = [];
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(): Promise<void> {
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

  // ---- the operator, as a real process ----
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const nodeOptions = values['node-options'] ?? deploymentNodeOptions();
  log(`operator: NODE_OPTIONS="${nodeOptions}"${values['cpu-prof'] ? `, CPU profile in ${values['cpu-prof']}` : ''}`);
  const operator = spawn(
    process.execPath,
    [
      ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []),
      join(root, 'src', 'cli.ts'), 'run', '--kubeconfig', kubeconfig,
      ...(values['cluster-wide'] ? [] : namespaces.flatMap((n) => ['--namespace', n])),
      '--chaman-url', emulator.url, '--chaman-token-file', tokenFile,
      ...(values['operator-concurrency'] === 'adaptive' ? [] : ['--concurrency', values['operator-concurrency']!]),
      '--chaman-rate-limit', values['chaman-rate-limit']!,
      '--resync-period', values['resync-period']!,
      '--metrics-addr', `127.0.0.1:${metricsPort}`, '--health-addr', '127.0.0.1:0', '--log-level', 'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: nodeOptions } },
  );
  const stderr: string[] = [];
  operator.stderr!.on('data', (d) => stderr.push(String(d)));
  const exited = new Promise((resolve) => operator.once('exit', resolve));
  cleanups.push(async () => {
    operator.kill('SIGTERM');
    await Promise.race([exited, sleep(25_000).then(() => operator.kill('SIGKILL'))]);
  });
  await waitFor('the operator to serve /metrics', async () => (await scrapeKube(metricsUrl)) !== undefined, 60_000);
  await sleep(2_000); // caches synced, first (empty) lists done

  // ---- apply → all Ready ----
  // kubectl applies one object at a time; a few kubectl processes over parts of the manifest (one
  // namespace each) keep the apply from dominating on a slow machine. Each part has its Secrets first.
  const parallelism = Number(values['apply-parallelism']);
  const all = objects(namespaces, certs);
  const parts = Array.from({ length: parallelism }, (_, k) => join(work, `objects-${k}.yaml`));
  parts.forEach((file, k) =>
    writeFileSync(file, all.filter((o) => namespaces.indexOf(o.metadata.namespace!) % parallelism === k).sort(secretsFirst).map((o) => stringify(o)).join('---\n')),
  );
  const kubeBefore = (await scrapeKube(metricsUrl))!;
  const chamanBefore = emulator.requests();
  log(`applying ${SENDERS} senders, ${ACCOUNTS} accounts and ${ACCOUNTS} Secrets with ${parallelism} × kubectl apply --server-side`);
  const t0 = performance.now();
  await Promise.all(parts.map((file) => promisify(execFile)(kubectl, ['apply', '--server-side', '--field-manager', 'bench', '-f', file], { maxBuffer: 64 << 20 })));
  const applyMs = performance.now() - t0;
  log(`applied in ${(applyMs / 1000).toFixed(1)} s; waiting until every object is Ready or stuck (Invalid, Stalled)`);
  let settled = await census(kube, namespaces);
  const limits: number[] = []; // the operator's reconciles in flight allowed, sampled every ~10 s
  // Listing every object costs the API server too (at 10k, ~20 MB of JSON): 1 ms per object between
  // two counts, so the count itself stays a small share of the API server's work.
  const censusEveryMs = Math.max(1_000, Math.min(15_000, OBJECTS));
  await waitFor(`all ${OBJECTS} objects Ready or stuck`, async () => (settled = await census(kube, namespaces)).ready + settled.stuck.length === OBJECTS, Number(values.timeout) * 1000, censusEveryMs, async () => {
    const limit = sumOf(await (await fetch(metricsUrl)).text(), 'chaman_workqueue_concurrency_limit');
    limits.push(limit);
    log(`  ${settled.ready}/${OBJECTS} Ready, ${settled.stuck.length} stuck, operator RSS ${mb(procStatus(operator.pid!).VmRSS)}, concurrency limit ${limit}`);
  });
  const readyMs = performance.now() - t0;
  await sleep(3_000); // the echo of the last status writes, the last events
  const kubeConverged = (await scrapeKube(metricsUrl))!;
  const chamanConverged = emulator.requests();
  const status = procStatus(operator.pid!);
  const scrapeStarted = performance.now();
  const metricsConverged = await (await fetch(metricsUrl)).text();
  const scrapeMs = performance.now() - scrapeStarted; // what each Prometheus scrape costs (per-object series are computed then)
  const heapConverged = sumOf(metricsConverged, 'nodejs_heap_size_used_bytes');
  const heapTotalConverged = sumOf(metricsConverged, 'nodejs_heap_size_total_bytes');
  const resyncsListed = sumOf(metricsConverged, 'chaman_resyncs_total', 'outcome="listed"');

  // ---- steady state over a full resync ----
  const windowMs = RESYNC_MS + 15_000;
  log(`steady state: ${windowMs / 1000} s (resync period ${values['resync-period']})`);
  const cpu0 = cpuSeconds(operator.pid!);
  const threads0 = threadCpu(operator.pid!);
  await sleep(windowMs);
  const cpuPercent = ((cpuSeconds(operator.pid!) - cpu0) / (windowMs / 1000)) * 100;
  const threadPercent = [...threadCpu(operator.pid!)]
    .map(([name, sec]) => [name, ((sec - (threads0.get(name) ?? 0)) / (windowMs / 1000)) * 100] as const)
    .filter(([, pct]) => pct >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const kubeSteady = (await scrapeKube(metricsUrl))!;
  const chamanSteady = emulator.requests();
  const statusSteady = procStatus(operator.pid!);
  const metricsSteady = await (await fetch(metricsUrl)).text();
  const heapSteady = sumOf(metricsSteady, 'nodejs_heap_size_used_bytes');
  // What one resync costs, the figure that scales: CPU over the window per resync that listed.
  const resyncsInWindow = sumOf(metricsSteady, 'chaman_resyncs_total', 'outcome="listed"') - resyncsListed;
  const cpuPerResyncMs = ((cpuPercent / 100) * windowMs) / Math.max(resyncsInWindow, 1);

  // ---- report ----
  const floorMs = applyMs + chamanFloorMs + kubeFloorMs;
  const writes = diff(kubeBefore, kubeConverged, WRITE_VERBS);
  const steadyWrites = diff(kubeConverged, kubeSteady, WRITE_VERBS);
  const steadyReads = diff(kubeConverged, kubeSteady, ['get', 'list']);
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
    ['operator RSS after convergence', `${mb(status.VmRSS)} (peak ${mb(status.VmHWM)}, V8 heap in use ${mb(heapConverged / 1024)} of ${mb(heapTotalConverged / 1024)}); after the steady window ${mb(statusSteady.VmRSS)} (heap ${mb(heapSteady / 1024)})`],
    ['reconciles to converge', reconcileSummary(metricsConverged)],
    ['concurrency limit (every ~10 s)', `${values['operator-concurrency']}: ${limits.join(', ') || '-'}; ${sumOf(metricsConverged, 'chaman_workqueue_concurrency_limit')} after convergence`],
    ['one /metrics scrape', `${scrapeMs.toFixed(0)} ms, ${(metricsConverged.length / 1024).toFixed(0)} KiB`],
    [`steady state, ${windowMs / 1000} s with a full resync`, `${cpuPercent.toFixed(1)}% CPU, ${cpuPerResyncMs.toFixed(1)} ms per resync of a sender (${resyncsInWindow} resyncs; ${threadPercent.map(([n, p]) => `${n} ${p.toFixed(1)}%`).join(', ')}); Kubernetes ${steadyWrites.total} writes, ${steadyReads.total} reads; Chaman ${steady.map(([op, n]) => `${op} ${n}`).join(', ') || 'no calls'}`],
  ];
  console.log(`\nscale benchmark: ${SENDERS}×${PER_SENDER}, floor concurrency ${CONCURRENCY}, operator concurrency ${values['operator-concurrency']}, Chaman rate limit ${values['chaman-rate-limit']}/s, NODE_OPTIONS="${nodeOptions}", ${process.platform} ${navigatorCores()} cores`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(44)} ${v}`);
  const reasons = new Map<string, number>();
  for (const r of settled.stuck) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  for (const [r, n] of reasons) console.log(`  stuck: ${n} × ${r}`);
  const warnings = stderr.join('').split('\n').filter((l) => l.includes('"level":"warn"') || l.includes('"level":"error"'));
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

type Condition = { type: string; status: string; reason?: string; message?: string; observedGeneration?: number };
type Status = KubeObject & { metadata: { generation?: number }; status?: { conditions?: Condition[] } };

/** Objects Ready for their generation, and the reasons of those stuck (Invalid or Stalled, for their generation). */
async function census(kube: KubeClient, namespaces: string[]): Promise<{ ready: number; stuck: string[] }> {
  let ready = 0;
  const stuck: string[] = [];
  for (const namespace of namespaces) {
    for (const rt of [RESOURCES.chamanSenders, RESOURCES.channelAccounts]) {
      const list = await kube.request<KubeList<Status>>({ verb: 'list', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace) });
      for (const o of list.items) {
        const current = (type: string) => o.status?.conditions?.find((c) => c.type === type && c.status === 'True' && c.observedGeneration === o.metadata.generation);
        if (current('Ready')) ready++;
        else {
          const why = current('Invalid') ?? current('Stalled');
          if (why) stuck.push(`${rt.kind} ${why.type}/${why.reason}: ${(why.message ?? '').replace(/\(sender \d+\)|sender \d+|\(acc[^)]*\)?/g, '…').slice(0, 140)}`);
        }
      }
    }
  }
  return { ready, stuck };
}

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
type KubeCounts = Record<string, number>;

/** NODE_OPTIONS as the Deployment sets them (the V8 heap limit the memory figures depend on). */
function deploymentNodeOptions(): string {
  const docs = parseAllDocuments(readFileSync(join(root, 'manifests', 'base', 'deployment.yaml'), 'utf8')).map((d) => d.toJS());
  const env = docs.find((d) => d?.kind === 'Deployment')?.spec.template.spec.containers[0].env as { name: string; value?: string }[];
  return env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
}

const sumOf = (text: string, name: string, having = ''): number => sampleSum(text, name, having) ?? 0;

/** Reconciles per kind, their mean duration, and the mean wait in the work queue, from /metrics. */
function reconcileSummary(text: string): string {
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

/** chaman_kube_requests_total by verb (the operator's own count of its Kubernetes requests). */
async function scrapeKube(url: string): Promise<KubeCounts | undefined> {
  try {
    const text = await (await fetch(url)).text();
    const counts: KubeCounts = {};
    for (const line of text.split('\n')) {
      const m = /^chaman_kube_requests_total\{([^}]*)\} ([0-9.e+]+)$/.exec(line);
      if (!m) continue;
      const verb = /verb="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
      const resource = /resource="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
      const key = `${verb} ${resource}`;
      counts[key] = (counts[key] ?? 0) + Number(m[2]);
    }
    return counts;
  } catch {
    return undefined;
  }
}

function diff(a: KubeCounts, b: KubeCounts, verbs: string[]): { total: number; byVerb: Record<string, number> } {
  const byVerb: Record<string, number> = {};
  let total = 0;
  for (const [key, n] of Object.entries(b)) {
    if (!verbs.includes(key.split(' ')[0]!)) continue;
    const d = n - (a[key] ?? 0);
    if (d <= 0) continue;
    byVerb[key] = d;
    total += d;
  }
  return { total, byVerb };
}

const fmt = (byVerb: Record<string, number>, per: number) =>
  Object.entries(byVerb).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${(n / per).toFixed(2)}`).join(', ');

/** VmRSS and VmHWM (peak) in kB. */
function procStatus(pid: number): { VmRSS: number; VmHWM: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { VmRSS: kb('VmRSS'), VmHWM: kb('VmHWM') };
}

/** User + system CPU seconds of a process or thread (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number, task?: string): number {
  const stat = readFileSync(task ? `/proc/${pid}/task/${task}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds by thread name (the main thread is "node"; V8's GC and compiler helpers, libuv's pool). */
function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      byName.set(name, (byName.get(name) ?? 0) + cpuSeconds(pid, task));
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

function navigatorCores(): number {
  return existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length : 0;
}

const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;
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
