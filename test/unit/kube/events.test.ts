import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kube/clock.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { EventRecorder, microTime, sanitizeNote } from '../../../src/kube/events.ts';
import { FakeTransport, jsonResponse } from './fake-transport.ts';

const obj = { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: 'dimona', namespace: 'payroll', uid: 'u1', resourceVersion: '3' } };

function setup() {
  const clock = new ManualClock();
  const transport = new FakeTransport();
  transport.on(() => true, (r) => jsonResponse(r.method === 'POST' ? 201 : 200, r.body ? JSON.parse(r.body) : {}), false);
  const client = new KubeClient({ server: 'https://k8s.test', transport });
  const errors: unknown[] = [];
  const rec = new EventRecorder({ client, instance: 'pod-1', clock, seriesUpdateIntervalMs: 60_000, onError: (e) => errors.push(e) });
  return { clock, transport, rec, errors };
}

describe('EventRecorder', () => {
  it('creates an events.k8s.io/v1 Event with stable fields', async () => {
    const t = setup();
    await t.rec.warning(obj, 'InvalidCertificate', 'Reconcile', 'spec.certificates[0]: R6 key RSA-1024 is not allowed');
    const req = t.transport.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.parsed.pathname).toBe('/apis/events.k8s.io/v1/namespaces/payroll/events');
    const body = JSON.parse(req.body!);
    expect(body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      type: 'Warning',
      reason: 'InvalidCertificate',
      action: 'Reconcile',
      reportingController: 'chaman.io/chaman-operator',
      reportingInstance: 'pod-1',
      eventTime: microTime(t.clock.now()),
      regarding: { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', name: 'dimona', namespace: 'payroll', uid: 'u1' },
    });
    expect(body.metadata.name).toMatch(/^dimona\.[0-9a-f]+$/);
    expect(body.eventTime).toMatch(/\.\d{6}Z$/);
  });

  it('de-duplicates repeats: counts in memory, patches the series at most once per interval', async () => {
    const t = setup();
    for (let i = 0; i < 50; i++) await t.rec.warning(obj, 'BackendUnavailable', 'Reconcile', 'Chaman answered 503');
    expect(t.transport.requests).toHaveLength(1);
    expect(t.rec.count(obj, { type: 'Warning', reason: 'BackendUnavailable', action: 'Reconcile', note: 'Chaman answered 503' })).toBe(50);
    await t.clock.advance(60_000);
    await t.rec.warning(obj, 'BackendUnavailable', 'Reconcile', 'Chaman answered 503');
    expect(t.transport.requests).toHaveLength(2);
    const patch = t.transport.requests[1]!;
    expect(patch.method).toBe('PATCH');
    expect(patch.headers['Content-Type']).toBe('application/merge-patch+json');
    expect(JSON.parse(patch.body!)).toEqual({ series: { count: 51, lastObservedTime: microTime(t.clock.now()) } });
    // a different reason is a different event
    await t.rec.normal(obj, 'Ready', 'Reconcile', 'account is ready');
    expect(t.transport.requests.at(-1)!.method).toBe('POST');
  });

  it('starts a new Event when the old one expired on the server', async () => {
    const t = setup();
    await t.rec.normal(obj, 'Created', 'Create', 'created');
    await t.clock.advance(60_000);
    t.transport.first((u, r) => r.method === 'PATCH', () => jsonResponse(404, { kind: 'Status', reason: 'NotFound' }));
    await t.rec.normal(obj, 'Created', 'Create', 'created');
    expect(t.transport.requests.map((r) => r.method)).toEqual(['POST', 'PATCH', 'POST']);
    expect(t.errors).toEqual([]);
  });

  it('never throws, and scrubs private keys and over-long notes', async () => {
    const t = setup();
    t.transport.first(() => true, () => jsonResponse(403, { kind: 'Status', reason: 'Forbidden' }));
    await expect(t.rec.normal(obj, 'X', 'Y', 'z')).resolves.toBeUndefined();
    expect(t.errors).toHaveLength(1);
    expect(sanitizeNote('a -----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY----- b')).toBe('a [private key redacted] b');
    expect(sanitizeNote('x'.repeat(5000))).toHaveLength(1024);
  });
});
