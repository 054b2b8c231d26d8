// Counts what one account costs: Kubernetes API requests (reads, writes) and Chaman calls, from
// `kubectl apply` to Ready, then during an idle steady state. Figures, not a test.
//
//   node bench/operator-counts.ts --kubeconfig /tmp/cp/kubeconfig [--idle 300] [--resync 10m] [--leader-elect]
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { clientFactory } from '../src/controller/chaman-clients.ts';
import { Operator } from '../src/controller/operator.ts';
import { apply } from '../src/devtools/apply.ts';
import { makeCa, makeCertificate } from '../src/devtools/certificates.ts';
import { parseDuration } from '../src/domain/duration.ts';
import { DEFAULT_SHA1_CUTOFF } from '../src/domain/types.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { RESOURCES, createKubeClient, resourcePath, type KubeObject, type ResourceType } from '../src/kube/client.ts';
import { countKubeRequests } from '../src/kube/index.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createOperatorMetrics } from '../src/observability/metrics.ts';

const { values } = parseArgs({
  options: { kubeconfig: { type: 'string' }, idle: { type: 'string', default: '300' }, resync: { type: 'string', default: '10m' }, 'leader-elect': { type: 'boolean' } },
});
if (!values.kubeconfig) throw new Error('--kubeconfig is required (e.g. npm run controlplane -- --dir /tmp/cp)');
const idleSeconds = Number(values.idle);
const namespace = `bench-${randomBytes(3).toString('hex')}`;
const token = randomBytes(12).toString('hex');
const emulator = await startEmulator({ tokens: { [token]: '*' } });
const kube = await createKubeClient({ kubeconfig: values.kubeconfig });
const metrics = createOperatorMetrics();
const operatorKube = await createKubeClient({ kubeconfig: values.kubeconfig });
countKubeRequests(operatorKube, metrics);
const chamanCalls = new Map<string, number>();
const factory = clientFactory({ baseUrl: emulator.url, onRequest: (e) => chamanCalls.set(e.operation, (chamanCalls.get(e.operation) ?? 0) + 1) });

await apply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
if (values['leader-elect']) await apply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${namespace}-system` } });
const operator = new Operator({
  kube: operatorKube,
  chaman: factory({ kind: 'token', token }),
  clientFactory: factory,
  namespaces: [namespace],
  concurrency: 4,
  settings: { defaultDeletionPolicy: 'Delete', certExpiryWarningMs: 30 * 86_400_000, resyncPeriodMs: parseDuration(values.resync!), sha1Cutoff: DEFAULT_SHA1_CUTOFF, reconcileTimeoutMs: 60_000, requireSenderGrant: false },
  metrics,
  logger: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) }),
  identity: 'bench',
  ...(values['leader-elect'] ? { leaderElection: { namespace: `${namespace}-system`, name: 'chaman-operator' } } : {}),
});
await operator.start();

const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
const put = (o: Record<string, unknown>) => apply(kube, { ...o, metadata: { ...(o.metadata as object), namespace } } as KubeObject);
await put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert' }, data: { 'tls.crt': Buffer.from(cert.pem).toString('base64') } });
await put({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChamanSender', metadata: { name: 'apk' }, spec: { senderNumber: '300010', contact: { name: 'Jane', phone: { countryCode: '+32', number: '0486531619' }, email: 'jane@apk.example', language: 'fr' } } });
await waitReady(RESOURCES.chamanSenders, 'apk');

const snapshot = async () => ({ kube: await metrics.kubeRequestCounts(), chaman: new Map(chamanCalls), emulator: emulator.requests() });
const before = await snapshot();
const started = performance.now();
await put({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: 'rest' }, spec: { senderRef: { name: 'apk' }, type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'cert' } }] } });
await waitReady(RESOURCES.channelAccounts, 'rest');
const readyMs = performance.now() - started;
await new Promise((r) => setTimeout(r, 2000)); // what follows Ready (events, the echo of the status write)
const ready = await snapshot();
report(`one REST account, apply → Ready (${readyMs.toFixed(0)} ms, plus 2 s of settling)`, before, ready);

console.log(`\nidling ${idleSeconds} s (resync ${values.resync}${values['leader-elect'] ? ', leader election on' : ''})…`);
await new Promise((r) => setTimeout(r, idleSeconds * 1000));
report(`${idleSeconds} s of steady state`, ready, await snapshot());

await operator.stop();
await apply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }).catch(() => {});
await kube.request({ verb: 'delete', resource: 'namespaces', method: 'DELETE', path: resourcePath(RESOURCES.namespaces, undefined, namespace) });
await emulator.stop();
await operatorKube.close();
await kube.close();

async function waitReady(rt: ResourceType, name: string): Promise<void> {
  for (;;) {
    const o = await kube.request<{ metadata: { generation: number }; status?: { conditions?: { type: string; status: string; observedGeneration: number }[] } }>({ verb: 'get', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace, name) });
    if (o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === o.metadata.generation)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function report(title: string, a: Awaited<ReturnType<typeof snapshot>>, b: Awaited<ReturnType<typeof snapshot>>): void {
  const verbs = Object.keys({ ...a.kube.byVerb, ...b.kube.byVerb });
  const kubeByVerb = verbs.map((v) => `${v} ${(b.kube.byVerb[v] ?? 0) - (a.kube.byVerb[v] ?? 0)}`).filter((s) => !s.endsWith(' 0'));
  const ops = [...b.chaman.keys()].map((op) => `${op} ${(b.chaman.get(op) ?? 0) - (a.chaman.get(op) ?? 0)}`).filter((s) => !s.endsWith(' 0'));
  console.log(`\n${title}`);
  console.log(`  Kubernetes API: ${b.kube.reads - a.kube.reads} reads, ${b.kube.writes - a.kube.writes} writes (${kubeByVerb.join(', ') || 'none'})`);
  console.log(`  Chaman: ${b.emulator.total - a.emulator.total} calls, ${b.emulator.mutating - a.emulator.mutating} mutating (${ops.join(', ') || 'none'})`);
}
