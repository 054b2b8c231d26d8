import { describe, expect, it } from 'vitest';
import { KubeClient, KubeApiError, RESOURCES, type RequestRecord } from '../../../src/kube/client.ts';
import { CONTENT_HASH_ANNOTATION, KubeObjects, jsonEqual } from '../../../src/kube/objects.ts';
import { FakeTransport, jsonResponse } from './fake-transport.ts';

function setup() {
  const transport = new FakeTransport();
  const records: RequestRecord[] = [];
  const client = new KubeClient({ server: 'https://k8s.test', transport, onRequest: (r) => records.push(r) });
  return { transport, records, objects: new KubeObjects(client) };
}

const account = {
  apiVersion: 'chaman.io/v1alpha1',
  kind: 'ChannelAccount',
  metadata: { name: 'dimona', namespace: 'payroll', uid: 'uid-1', resourceVersion: '41', finalizers: ['other'], annotations: { a: '1' } },
  status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
};

describe('KubeObjects', () => {
  it('getSecretData decodes values and returns undefined for a missing Secret', async () => {
    const t = setup();
    t.transport.on((u) => u.pathname === '/api/v1/namespaces/ns/secrets/s', () =>
      jsonResponse(200, { kind: 'Secret', metadata: { name: 's', resourceVersion: '9', uid: 'u' }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from('PEM').toString('base64') } }));
    const s = await t.objects.getSecretData('ns', 's');
    expect(s?.data['tls.crt']?.toString()).toBe('PEM');
    expect(s?.resourceVersion).toBe('9');
    expect(await t.objects.getSecretData('ns', 'missing')).toBeUndefined();
  });

  it('applyStatus skips the write when the status is unchanged', async () => {
    const t = setup();
    expect(await t.objects.applyStatus(RESOURCES.channelAccounts, account, { ...account.status, extra: undefined })).toBeUndefined();
    expect(t.records).toHaveLength(0);
  });

  it('applyStatus sends a server-side apply on the status subresource under one field manager, with the resourceVersion as a precondition', async () => {
    const t = setup();
    t.transport.on(() => true, () => jsonResponse(200, { ...account, status: { observedGeneration: 3 } }));
    await t.objects.applyStatus(RESOURCES.channelAccounts, account, { observedGeneration: 3 });
    const req = t.transport.requests[0]!;
    expect(req.method).toBe('PATCH');
    expect(req.parsed.pathname).toBe('/apis/chaman.io/v1alpha1/namespaces/payroll/channelaccounts/dimona/status');
    expect(Object.fromEntries(req.parsed.searchParams)).toEqual({ fieldManager: 'chaman-operator', force: 'true' });
    expect(req.headers['Content-Type']).toBe('application/apply-patch+yaml');
    expect(JSON.parse(req.body!)).toEqual({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: 'dimona', namespace: 'payroll', resourceVersion: '41' }, status: { observedGeneration: 3 } });
    expect(t.records[0]).toMatchObject({ verb: 'apply', resource: 'channelaccounts/status', status: 200 });
  });

  it('patchMetadata skips no-op changes and sends only the delta, with a resourceVersion precondition for finalizers', async () => {
    const t = setup();
    expect(await t.objects.patchMetadata(RESOURCES.channelAccounts, account, { finalizers: ['other'], annotations: { a: '1', gone: null } })).toBeUndefined();
    expect(await t.objects.addFinalizer(RESOURCES.channelAccounts, account, 'other')).toBeUndefined();
    expect(await t.objects.removeFinalizer(RESOURCES.channelAccounts, account, 'absent')).toBeUndefined();
    expect(t.records).toHaveLength(0);
    t.transport.on(() => true, () => jsonResponse(200, account));
    await t.objects.patchMetadata(RESOURCES.channelAccounts, account, { finalizers: ['other', 'chaman.io/finalizer'], annotations: { a: '1', b: '2', c: null } });
    const req = t.transport.requests[0]!;
    expect(req.headers['Content-Type']).toBe('application/merge-patch+json');
    expect(JSON.parse(req.body!)).toEqual({ metadata: { finalizers: ['other', 'chaman.io/finalizer'], resourceVersion: '41', annotations: { b: '2' } } });
    t.transport.on(() => true, () => jsonResponse(200, account));
    await t.objects.patchMetadata(RESOURCES.channelAccounts, account, { annotations: { a: null } });
    expect(JSON.parse(t.transport.requests[1]!.body!)).toEqual({ metadata: { annotations: { a: null } } });
  });

  it('removeFinalizer treats a vanished object as done and surfaces a conflict', async () => {
    const t = setup();
    t.transport.on(() => true, () => jsonResponse(404, { kind: 'Status', reason: 'NotFound' }));
    expect(await t.objects.removeFinalizer(RESOURCES.channelAccounts, account, 'other')).toBeUndefined();
    t.transport.on(() => true, () => jsonResponse(409, { kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }));
    await expect(t.objects.removeFinalizer(RESOURCES.channelAccounts, account, 'other')).rejects.toMatchObject({ status: 409, reason: 'Conflict' });
  });

  it('ensureOwnedConfigMap creates, then costs nothing while unchanged, updates on change, refuses a foreign ConfigMap', async () => {
    const t = setup();
    const target = { namespace: 'payroll', name: 'dimona-client' };
    t.transport.on((u, r) => r.method === 'GET', () => jsonResponse(404, { kind: 'Status', reason: 'NotFound' }));
    let created: any;
    t.transport.on((u, r) => r.method === 'POST', (r) => {
      created = JSON.parse(r.body!);
      return jsonResponse(201, created);
    });
    expect(await t.objects.ensureOwnedConfigMap(account, target, { clientId: 'self_service_chaman_300010_abc' })).toBe('created');
    expect(created.metadata.ownerReferences).toEqual([{ apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', name: 'dimona', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
    const hash = created.metadata.annotations[CONTENT_HASH_ANNOTATION];
    // the informer's metadata-only copy is enough to know nothing changed: no request
    const before = t.records.length;
    const cached = { metadata: { ...created.metadata, resourceVersion: '5' } };
    expect(await t.objects.ensureOwnedConfigMap(account, target, { clientId: 'self_service_chaman_300010_abc' }, cached)).toBe('unchanged');
    expect(t.records.length).toBe(before);
    // without the cache: one GET, no write
    t.transport.on((u, r) => r.method === 'GET', () => jsonResponse(200, { ...created, metadata: { ...created.metadata, resourceVersion: '5' } }));
    expect(await t.objects.ensureOwnedConfigMap(account, target, { clientId: 'self_service_chaman_300010_abc' })).toBe('unchanged');
    // changed content: PUT with the resourceVersion
    t.transport.on((u, r) => r.method === 'GET', () => jsonResponse(200, { ...created, metadata: { ...created.metadata, resourceVersion: '5' } }));
    let put: any;
    t.transport.on((u, r) => r.method === 'PUT', (r) => {
      put = JSON.parse(r.body!);
      return jsonResponse(200, put);
    });
    expect(await t.objects.ensureOwnedConfigMap(account, target, { clientId: 'new' }, cached)).toBe('updated');
    expect(put.data).toEqual({ clientId: 'new' });
    expect(put.metadata.resourceVersion).toBe('5');
    expect(put.metadata.annotations[CONTENT_HASH_ANNOTATION]).not.toBe(hash);
    // someone else's ConfigMap
    t.transport.on((u, r) => r.method === 'GET', () => jsonResponse(200, { kind: 'ConfigMap', metadata: { name: 'dimona-client', namespace: 'payroll', resourceVersion: '1' }, data: { x: 'y' } }));
    expect(await t.objects.ensureOwnedConfigMap(account, target, { clientId: 'new' })).toBe('conflict');
    expect(t.transport.requests.filter((r) => r.method !== 'GET')).toHaveLength(2);
  });

  it('maps API errors to KubeApiError with reason and Retry-After, and network failures to status 0', async () => {
    const t = setup();
    t.transport.on(() => true, () => jsonResponse(429, { kind: 'Status', reason: 'TooManyRequests', message: 'slow down', details: { retryAfterSeconds: 3 } }, { 'retry-after': '4' }));
    const err = await t.objects.get(RESOURCES.secrets, 'ns', 'x').catch((e) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 429, reason: 'TooManyRequests', retryAfterMs: 4000 });
    t.transport.on(() => true, () => {
      throw Object.assign(new Error('connect ECONNREFUSED with Authorization: Bearer abc'), { code: 'ECONNREFUSED' });
    });
    const net = await t.objects.get(RESOURCES.secrets, 'ns', 'x').catch((e) => e);
    expect(net).toMatchObject({ status: 0, reason: 'NetworkError' });
    expect(net.message).not.toContain('Bearer');
    expect(t.records.map((r) => r.status)).toEqual([429, 0]);
  });
});

describe('jsonEqual', () => {
  it('compares JSON values, ignoring undefined members', () => {
    expect(jsonEqual({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: null }, { a: undefined })).toBe(false);
  });
});
