// Bytes of V8 heap per cached ChannelAccount (issue 19 item 3): what the informer keeps of one
// account as the scale benchmark makes it (server-side apply) and as `kubectl apply` or Argo CD make it
// (client-side apply: a last-applied-configuration annotation), after the operator has written it.
//
//   node --expose-gc bench/cache-bytes.ts [--count 5000]
import { parseArgs } from 'node:util';
import { RESOURCES, type KubeObject } from '../src/kube/client.ts';
import { Informer } from '../src/kube/informer.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '5000' } } });
const COUNT = Number(values.count);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** One REST account as the API server sends it once the operator has created it in Chaman. */
function account(i: number, clientSideApply: boolean): KubeObject {
  const name = `sender-${i >> 4}-rest-${i & 15}`;
  const namespace = `scale-ab12cd-${i >> 8}`;
  const spec = { senderRef: { name: `sender-${i >> 4}` }, type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: `${name}-cert` } }] };
  const applied = { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name, namespace }, spec };
  const time = '2026-12-02T08:04:31Z';
  const fields = (manager: string, operation: string, subresource?: string) => ({ manager, operation, apiVersion: 'chaman.io/v1alpha1', time, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:chaman.io/external-name': {} } }, 'f:spec': { '.': {}, 'f:type': {} } }, ...(subresource ? { subresource } : {}) });
  const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', observedGeneration: 1, lastTransitionTime: time, reason, message });
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChannelAccount',
    metadata: {
      name, namespace, uid: `6f1c2d7e-3b4a-4c5d-8e9f-${String(i).padStart(12, '0')}`, resourceVersion: String(100_000 + i), generation: 1, creationTimestamp: time,
      finalizers: ['chaman.io/finalizer'],
      annotations: {
        'chaman.io/external-name': `acc-${String(i).padStart(8, '0')}`,
        'chaman.io/create-succeeded': time,
        ...(clientSideApply ? { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n` } : {}),
      },
      managedFields: [fields(clientSideApply ? 'kubectl-client-side-apply' : 'bench', clientSideApply ? 'Update' : 'Apply'), fields('chaman-operator', 'Update'), fields('chaman-operator', 'Apply', 'status')],
    },
    spec,
    status: {
      observedGeneration: 1, externalId: `acc-${String(i).padStart(8, '0')}`, clientId: `client-${i}`, lastSyncTime: time, nextCertificateExpiry: '2027-12-02T08:00:00Z',
      certificates: [{ name: 'main', fileName: 'main.cer', subject: `CN=bench-${i % 10}, O=Bench`, organization: 'Bench', issuer: 'Bench CA', serialNumber: `19549660508991702${i}`, notBefore: time, notAfter: '2027-12-02T08:00:00Z', sha256Fingerprint: '3A:'.repeat(31) + '3A', keyAlgorithm: 'EC-P384', signatureAlgorithm: 'SHA-384', selfSigned: false }],
      conditions: [condition('Ready', 'Available', 'The account exists in Chaman and matches the spec.'), condition('Synced', 'ReconcileSuccess', 'Last reconcile succeeded.')],
    },
  } as KubeObject;
}

/** Heap bytes per object held, each parsed from its own JSON text as a watch delivers it. */
function bytesPer(make: (i: number) => KubeObject, prepare: (o: KubeObject) => KubeObject): number {
  const texts = Array.from({ length: COUNT }, (_, i) => JSON.stringify(make(i)));
  gc!();
  const before = process.memoryUsage().heapUsed;
  const held = texts.map((t) => prepare(JSON.parse(t) as KubeObject));
  gc!();
  const after = process.memoryUsage().heapUsed;
  if (held.length !== COUNT) throw new Error('unreachable');
  return (after - before) / COUNT;
}

const informer = new Informer({ client: undefined as never, resource: RESOURCES.channelAccounts });
// No keep option: every object is cached.
const cached = (o: KubeObject) => informer.prepare(o)!;
const withoutManagedFields = (o: KubeObject) => {
  delete o.metadata.managedFields;
  return o;
};
const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
for (const [label, clientSide] of [['server-side apply (the scale benchmark)', false], ['client-side apply (kubectl apply, Argo CD)', true]] as const) {
  const make = (i: number) => account(i, clientSide);
  console.log(`${label}: as received ${kb(bytesPer(make, (o) => o))}, managedFields dropped ${kb(bytesPer(make, withoutManagedFields))}, cached now ${kb(bytesPer(make, cached))}`);
}
