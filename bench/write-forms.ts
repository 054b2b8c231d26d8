// What each form of a write costs the API server (issue 19 item 2): the status of a ChannelAccount
// written by server-side apply (the operator's form), by a JSON merge patch and by an update (PUT);
// its finalizer and annotations by a merge patch (the operator's form) and by server-side apply; and
// an Event. Every form carries the resourceVersion read last, and the benchmark first checks that
// each one is refused (409) on a stale copy, the guarantee of docs/reliability.md that a cheaper form
// must keep. Rounds interleave the forms, so a noisy machine slows them alike. Figures, not a test.
//
//   node bench/write-forms.ts [--kubeconfig K] [--objects 2000] [--writes 300] [--concurrency 8] [--rounds 3]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { apply, readManifests, waitForCrdsEstablished } from '../src/devtools/apply.ts';
import { RESOURCES, createKubeClient, resourcePath, type KubeClient, type KubeObject } from '../src/kube/client.ts';
import { APPLY_PATCH, FIELD_MANAGER, MERGE_PATCH } from '../src/kube/objects.ts';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    objects: { type: 'string', default: '2000' },
    writes: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
  },
});
const OBJECTS = Number(values.objects);
const WRITES = Math.min(Number(values.writes), OBJECTS);
const CONCURRENCY = Number(values.concurrency);
const root = join(import.meta.dirname, '..');
const rt = RESOURCES.channelAccounts;
const namespace = `writes-${randomBytes(3).toString('hex')}`;
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** The last copy seen of each object: the resourceVersion each write sends. */
const current = new Map<string, KubeObject>();
let tick = 0;

function status(name: string): Record<string, unknown> {
  const now = new Date(Date.UTC(2026, 11, 7, 4, 0, tick++ % 60)).toISOString().replace('.000', '');
  const condition = (type: string) => ({ type, status: 'True', observedGeneration: 1, lastTransitionTime: now, reason: 'Available', message: `account acc-${name} is in Chaman (${tick})` });
  return {
    observedGeneration: 1,
    externalId: `acc-${name}`,
    clientId: `client-${name}`,
    certificates: [{ name: 'main', fileName: 'tls.crt', subject: 'CN=bench, O=Bench', organization: 'Bench', issuer: 'CN=Test Issuing CA', serialNumber: '01AB', notBefore: '2026-01-01T00:00:00Z', notAfter: '2027-01-01T00:00:00Z', sha256Fingerprint: 'AB:'.repeat(31) + 'AB', keyAlgorithm: 'EC P-384', signatureAlgorithm: 'ecdsa-with-SHA384', selfSigned: false }],
    nextCertificateExpiry: '2027-01-01T00:00:00Z',
    lastSyncTime: now,
    conditions: [condition('Ready'), condition('Synced')],
  };
}

type Form = (kube: KubeClient, o: KubeObject) => Promise<KubeObject>;
const meta = (o: KubeObject) => ({ name: o.metadata.name, namespace, resourceVersion: o.metadata.resourceVersion });
const path = (o: KubeObject, sub?: string) => resourcePath(rt, namespace, o.metadata.name!, sub);
const patch = (resource: string, p: string, contentType: string, body: unknown, force = false, manager = FIELD_MANAGER): Parameters<KubeClient['request']>[0] => ({
  verb: 'patch', resource, method: 'PATCH', path: p, contentType, body, query: { fieldManager: manager, ...(force ? { force: true } : {}) },
});

const FORMS: Record<string, Form> = {
  'status: server-side apply (operator)': (kube, o) =>
    kube.request(patch('channelaccounts/status', path(o, 'status'), APPLY_PATCH, { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: meta(o), status: status(o.metadata.name!) }, true)),
  'status: merge patch': (kube, o) => kube.request(patch('channelaccounts/status', path(o, 'status'), MERGE_PATCH, { metadata: { resourceVersion: o.metadata.resourceVersion }, status: status(o.metadata.name!) })),
  'status: update (PUT)': (kube, o) =>
    kube.request({ verb: 'update', resource: 'channelaccounts/status', method: 'PUT', path: path(o, 'status'), query: { fieldManager: FIELD_MANAGER }, body: { ...o, metadata: { ...o.metadata, managedFields: undefined }, status: status(o.metadata.name!) } }),
  'metadata: merge patch (operator)': (kube, o) =>
    kube.request(patch('channelaccounts', path(o), MERGE_PATCH, { metadata: { resourceVersion: o.metadata.resourceVersion, finalizers: tick++ % 2 ? ['chaman.io/finalizer'] : ['chaman.io/finalizer', 'bench/x'], annotations: { 'chaman.io/create-pending': String(tick) } } })),
  'metadata: server-side apply': (kube, o) =>
    kube.request(patch('channelaccounts', path(o), APPLY_PATCH, { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { ...meta(o), finalizers: tick++ % 2 ? ['chaman.io/finalizer'] : ['chaman.io/finalizer', 'bench/x'], annotations: { 'chaman.io/create-pending': String(tick) } } }, true)),
};

async function event(kube: KubeClient, o: KubeObject): Promise<void> {
  const now = new Date().toISOString();
  await kube.request({
    verb: 'create', resource: 'events', method: 'POST', path: `/api/v1/namespaces/${namespace}/events`,
    body: { apiVersion: 'v1', kind: 'Event', metadata: { generateName: `${o.metadata.name}.`, namespace }, involvedObject: { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', name: o.metadata.name, namespace, uid: o.metadata.uid }, reason: 'Created', message: `account acc-${o.metadata.name} created in Chaman`, type: 'Normal', source: { component: FIELD_MANAGER }, firstTimestamp: now, lastTimestamp: now, count: 1 },
  });
}

/** Runs `write` once on each of the first WRITES objects, CONCURRENCY at a time; per-request latencies in ms. */
async function timed(write: (o: KubeObject) => Promise<unknown>): Promise<number[]> {
  const names = [...current.keys()].slice(0, WRITES);
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < names.length) {
      const name = names[next++]!;
      const t = performance.now();
      const written = await write(current.get(name)!);
      latencies.push(performance.now() - t);
      if (written && typeof written === 'object' && 'metadata' in written) current.set(name, written as KubeObject);
    }
  }));
  return latencies;
}

async function refusesStale(kube: KubeClient, label: string, form: Form): Promise<void> {
  const o = current.get([...current.keys()][0]!)!;
  current.set(o.metadata.name!, await form(kube, o));
  try {
    await form(kube, o); // o's resourceVersion is now one write old
  } catch (err) {
    if ((err as { status?: number }).status === 409) return;
    throw err;
  }
  throw new Error(`${label}: a write with a stale resourceVersion was accepted; this form cannot replace the operator's`);
}

async function main(): Promise<void> {
  let stopControlPlane = async () => {};
  const kubeconfig = values.kubeconfig ?? (await (async () => {
    const { startControlPlane } = await import('../scripts/lib/controlplane.ts');
    const cp = await startControlPlane({ dir: mkdtempSync(join(tmpdir(), 'chaman-write-forms-')) });
    stopControlPlane = () => cp.stop();
    return cp.kubeconfigPath;
  })());
  try {
    await measure(kubeconfig);
  } finally {
    await stopControlPlane();
  }
}

async function measure(kubeconfig: string): Promise<void> {
  const kube = await createKubeClient({ kubeconfig });
  const crds = readManifests(...readdirSync(join(root, 'crds')).filter((f) => f.startsWith('chaman.io_')).map((f) => join(root, 'crds', f)));
  for (const crd of crds) await apply(kube, crd);
  await waitForCrdsEstablished(kube, crds.map((d) => d.metadata.name!));
  await apply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });

  log(`creating ${OBJECTS} ChannelAccounts in ${namespace}, each with the operator's status`);
  let made = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (made < OBJECTS) {
      const name = `account-${made++}`;
      const spec = { senderRef: { name: 'sender' }, type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: `${name}-cert` } }] };
      const created = await kube.request<KubeObject>(patch('channelaccounts', resourcePath(rt, namespace, name), APPLY_PATCH, { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name, namespace }, spec }, true, 'bench'));
      current.set(name, await FORMS['status: server-side apply (operator)']!(kube, created));
    }
  }));

  for (const [label, form] of Object.entries(FORMS)) await refusesStale(kube, label, form);
  log('each form is refused (409) on a stale resourceVersion');

  const all = new Map<string, number[]>();
  const rounds = Number(values.rounds);
  for (let r = 0; r < rounds; r++) {
    const order = [...Object.entries(FORMS).map(([label, form]) => [label, (o: KubeObject) => form(kube, o)] as const), ['event: create', (o: KubeObject) => event(kube, o)] as const];
    if (r % 2) order.reverse();
    for (const [label, write] of order) all.set(label, [...(all.get(label) ?? []), ...(await timed(write))]);
    log(`round ${r + 1}/${rounds} done`);
  }

  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: s[Math.floor(s.length / 2)]!, p95: s[Math.floor(s.length * 0.95)]! };
  };
  const baseline = (prefix: string) => stat(all.get([...all.keys()].find((k) => k.startsWith(prefix) && k.includes('(operator)'))!)!).mean;
  console.log(`\nwrite forms: ${OBJECTS} ChannelAccounts, ${WRITES} writes per form and round, ${rounds} rounds, concurrency ${CONCURRENCY}`);
  for (const [label, xs] of all) {
    const s = stat(xs);
    const prefix = label.split(':')[0]!;
    const ratio = prefix === 'event' ? '' : `  ${(s.mean / baseline(prefix)).toFixed(2)}× the operator's form`;
    console.log(`  ${label.padEnd(40)} mean ${s.mean.toFixed(1)} ms, p50 ${s.p50.toFixed(1)}, p95 ${s.p95.toFixed(1)}${ratio}`);
  }
  await kube.close();
}

await main();
