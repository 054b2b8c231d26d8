// `chaman-operator demo`: the embedded default. A real local control plane (built once from Go
// modules), the Chaman emulator, the operator, and examples/ with certificates made on the fly.
// Waits until everything is Ready, prints the status, and keeps running for kubectl until Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ensureControlPlaneBinary, repoRoot, startControlPlane, type ControlPlane } from '../../scripts/lib/controlplane.ts';
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import { ChamanHttpClient } from '../chaman/http-client.ts';
import { Operator } from '../controller/operator.ts';
import { chamanRequestMetrics, clientFactory } from '../controller/chaman-clients.ts';
import { apply, readManifests, waitForCrdsEstablished } from '../devtools/apply.ts';
import { exampleSecrets } from '../devtools/example-secrets.ts';
import { DEFAULT_SHA1_CUTOFF } from '../domain/types.ts';
import { startEmulator, type RunningEmulator } from '../emulator/server.ts';
import { RESOURCES, createKubeClient, resourcePath, type KubeClient, type KubeList } from '../kube/client.ts';
import { countKubeRequests } from '../kube/index.ts';
import { createLogger } from '../observability/logger.ts';
import { createOperatorMetrics } from '../observability/metrics.ts';
import { startObservabilityServer, type ObservabilityServer } from '../observability/server.ts';
import { accountsTable, sendersTable } from './table.ts';
import { isReadyForGeneration } from '../controller/driver/conditions.ts';

const USAGE = `Usage: chaman-operator demo [--dir DIR] [--timeout 120s]

Starts a local Kubernetes control plane (etcd + kube-apiserver, built once from Go modules), the
Chaman emulator and the operator; applies the CRDs and examples/ with freshly generated certificates;
waits until everything is Ready, prints the status, and keeps running until Ctrl-C.`;

const step = (n: number, text: string) => console.log(`[${n}/6] ${text}`);

async function list<T>(kube: KubeClient, rt: typeof RESOURCES.chamanSenders | typeof RESOURCES.channelAccounts): Promise<T[]> {
  const result = await kube.request<KubeList>({ verb: 'list', resource: rt.plural, method: 'GET', path: resourcePath(rt) });
  return result.items as T[];
}

const isReady = (o: { metadata: { generation?: number }; status?: { conditions?: { type: string; status: string; observedGeneration?: number }[] } }) =>
  isReadyForGeneration(o.status, o.metadata.generation);

export async function runDemoCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, timeout: { type: 'string', default: '120' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const dir = values.dir ?? join(repoRoot, '.demo');
  const timeoutMs = Number.parseInt(values.timeout!, 10) * 1000;
  rmSync(dir, { recursive: true, force: true }); // a fresh cluster and a fresh Chaman each run
  mkdirSync(dir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.log('\nstopping the operator, the emulator and the control plane…');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    step(1, 'local control plane: building if needed (the first build takes a few minutes; later ones are cached)');
    const binary = await ensureControlPlaneBinary({ log: (line) => console.log(`      ${line}`) });
    const controlPlane: ControlPlane = await startControlPlane({ dir: join(dir, 'cluster'), binary, log: () => {} });
    cleanups.push(() => controlPlane.stop());
    console.log(`      ready at ${controlPlane.serverUrl}`);

    step(2, 'Chaman emulator');
    const { emulator, token } = await startChaman(dir);
    cleanups.push(() => emulator.stop());
    console.log(`      ${emulator.url}/api/v1 (bearer token in ${relative(process.cwd(), join(dir, 'chaman-token'))})`);

    step(3, 'CRDs, examples/ and their Secrets (certificates, FTP password, SSH key generated now)');
    const kube = await createKubeClient({ kubeconfig: controlPlane.kubeconfigPath });
    console.log(`      applied ${await applyExamples(kube)} objects`);

    step(4, 'operator');
    const { operator, server, operatorKube } = await createOperator(dir, controlPlane.kubeconfigPath, emulator.url, token);
    cleanups.push(async () => {
      await operator.stop();
      await server.close();
      await operatorKube.close();
      await kube.close();
    });
    await operator.start();
    console.log(`      metrics ${server.metricsUrl}/metrics, logs in ${relative(process.cwd(), join(dir, 'operator.log'))}`);

    step(5, 'waiting until every sender and account is Ready');
    const { senders, accounts, allReady } = await waitUntilReady(kube, timeoutMs);

    step(6, 'status');
    printStatus(senders, accounts, controlPlane, server.metricsUrl);
    console.log('\nThe demo keeps running for kubectl; Ctrl-C stops everything.');
    if (process.env.CHAMAN_DEMO_EXIT === '1') {
      await stopAll();
      return allReady ? 0 : 1;
    }
    await new Promise(() => {}); // until a signal
    return 0;
  } catch (error) {
    console.error(`demo failed: ${(error as Error).message}`);
    await stopAll();
    return 1;
  }
}

/** Step 2: the emulator, with a fresh token written beside it. */
async function startChaman(dir: string): Promise<{ emulator: RunningEmulator; token: string }> {
  const token = randomBytes(18).toString('base64url');
  writeFileSync(join(dir, 'chaman-token'), token, { mode: 0o600 });
  const emulator = await startEmulator({
    dataDir: join(dir, 'emulator'),
    tokens: { [token]: '*' },
    organizations: { '300010': { kind: 'Enterprise', name: 'APK Recycling' } },
    logger: pino({ level: 'info' }, pino.destination({ dest: join(dir, 'emulator.log'), sync: false })),
  });
  return { emulator, token };
}

/** Step 3: the CRDs, then examples/ with their Secrets (namespaces first). Returns how many objects were applied. */
async function applyExamples(kube: KubeClient): Promise<number> {
  const crdFiles = readdirSync(join(repoRoot, 'crds')).filter((f) => f.startsWith('chaman.io_')).map((f) => join(repoRoot, 'crds', f));
  for (const crd of readManifests(...crdFiles)) await apply(kube, crd);
  await waitForCrdsEstablished(kube, ['chamansenders.chaman.io', 'channelaccounts.chaman.io', 'chamansendergrants.chaman.io']);
  const examples = readManifests(...readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(repoRoot, 'examples', f)));
  const ordered = [...examples.filter((o) => o.kind === 'Namespace'), ...(await exampleSecrets()), ...examples.filter((o) => o.kind !== 'Namespace')];
  for (const object of ordered) await apply(kube, object);
  return ordered.length;
}

/** Step 4: the operator on the emulator, with its metrics and health server (not started yet). */
async function createOperator(dir: string, kubeconfig: string, chamanUrl: string, token: string) {
  const metrics = createOperatorMetrics();
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: join(dir, 'operator.log'), sync: false }) });
  const operatorKube = await createKubeClient({ kubeconfig });
  countKubeRequests(operatorKube, metrics);
  const factory = clientFactory({
    baseUrl: chamanUrl,
    rateLimit: { ratePerSecond: 20, burst: 40 },
    onRequest: chamanRequestMetrics(metrics),
  });
  const operator = new Operator({
    kube: operatorKube,
    chaman: factory({ kind: 'token', token }) as ChamanHttpClient,
    clientFactory: factory,
    namespaces: [],
    concurrency: 4,
    settings: { defaultDeletionPolicy: 'Delete', certExpiryWarningMs: 30 * 86_400_000, resyncPeriodMs: 600_000, sha1Cutoff: DEFAULT_SHA1_CUTOFF, reconcileTimeoutMs: 60_000, requireSenderGrant: true },
    metrics,
    logger,
    identity: `demo-${process.pid}`,
  });
  const server: ObservabilityServer = await startObservabilityServer({
    registry: metrics.registry,
    metricsAddr: '127.0.0.1:0',
    healthAddr: '127.0.0.1:0',
    readiness: { informers: () => operator.synced() || 'caches not synced yet' },
  });
  return { operator, server, operatorKube };
}

/** Step 5: polls until every sender and account is Ready, or the timeout; says who is still waiting every 5 s. */
async function waitUntilReady(kube: KubeClient, timeoutMs: number): Promise<{ senders: ChamanSender[]; accounts: ChannelAccount[]; allReady: boolean }> {
  const started = Date.now();
  let senders: ChamanSender[] = [];
  let accounts: ChannelAccount[] = [];
  let lastReport = 0;
  for (;;) {
    senders = await list<ChamanSender>(kube, RESOURCES.chamanSenders);
    accounts = await list<ChannelAccount>(kube, RESOURCES.channelAccounts);
    const waiting = [...senders, ...accounts].filter((o) => !isReady(o)).map((o) => `${o.kind}/${o.metadata.name}`);
    if (waiting.length === 0) break;
    if (Date.now() - started > timeoutMs) {
      console.log(`      not Ready after ${timeoutMs / 1000} s: ${waiting.join(', ')}`);
      break;
    }
    if (Date.now() - lastReport > 5000) {
      console.log(`      ${waiting.length} not Ready yet (${((Date.now() - started) / 1000).toFixed(0)} s): ${waiting.join(', ')}`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const allReady = [...senders, ...accounts].every(isReady);
  if (allReady) console.log(`      all Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { senders, accounts, allReady };
}

/** Step 6: the tables kubectl would print, and what to try next. */
function printStatus(senders: ChamanSender[], accounts: ChannelAccount[], controlPlane: ControlPlane, metricsUrl: string): void {
  console.log(`\n$ kubectl get chamansenders -A\n${sendersTable(senders)}\n`);
  console.log(`$ kubectl get channelaccounts -A\n${accountsTable(accounts)}\n`);
  const kubectl = relative(process.cwd(), controlPlane.kubectlPath) || controlPlane.kubectlPath;
  console.log(`kubeconfig: ${controlPlane.kubeconfigPath}`);
  console.log(`try:        ${kubectl} get ca -n payroll -o wide`);
  console.log(`            ${kubectl} describe channelaccount dimona-rest -n payroll`);
  console.log(`            ${kubectl} get configmap dimona-client -n payroll -o yaml`);
  console.log(`            curl -s ${metricsUrl}/metrics | grep chaman_certificate_expiration`);
}
