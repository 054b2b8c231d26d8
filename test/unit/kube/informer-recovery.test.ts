// How an informer behaves when list/watch fails: what it logs (issue 9 item 6) and how soon it
// comes back after an API-server outage (issue 9 item 12). The fake transport stands in for the
// network; the real API server is exercised in test/integration/informer-recovery.test.ts.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks } from '../../../src/kube/clock.ts';
import { KubeClient, RESOURCES, type KubeObject } from '../../../src/kube/client.ts';
import { Informer, type InformerOptions } from '../../../src/kube/informer.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { FakeTransport, WatchStreamResponse, isList, isWatch, jsonResponse, list, stoppedAfterEach } from './fake-transport.ts';

const informers = stoppedAfterEach<Informer>();

function setup(extra: Partial<InformerOptions<KubeObject>> = {}) {
  const clock = new ManualClock();
  const transport = new FakeTransport();
  const client = new KubeClient({ server: 'https://k8s.test', transport, clock, probeIntervalMs: 2_000 });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write: (chunk, _e, done) => {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  });
  const inf = new Informer({ client, resource: RESOURCES.configMaps, clock, random: () => 0, backoff: { baseMs: 1_000, capMs: 8_000, jitter: 0 }, logger, ...extra });
  informers.push(inf);
  return { clock, transport, client, inf, lines, warnings: () => lines.filter((l) => l.level === 'warn') };
}

const refused = () => {
  throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
};

describe('Informer failure logs', () => {
  it('a resource the API server does not serve (CRDs not installed) logs the resource, the status and "install the CRDs"', async () => {
    const t = setup({ resource: RESOURCES.channelAccounts });
    // What kube-apiserver answers for a group it does not serve.
    const notFound = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 };
    t.transport.on(isList, () => jsonResponse(404, notFound), false);
    t.inf.start();
    await flushMicrotasks();
    await t.clock.advance(1_000);
    const [first, second] = t.warnings();
    expect(first?.msg).toBe(
      'list channelaccounts.chaman.io (chaman.io/v1alpha1) failed: HTTP 404 NotFound; the API server does not serve channelaccounts.chaman.io: install the CRDs (kubectl apply -f crds/); retrying in 1 s',
    );
    expect(first).toMatchObject({ resource: 'channelaccounts.chaman.io', verb: 'list', status: 404, reason: 'NotFound', failures: 1, retryInMs: 1_000 });
    expect((first?.err as { message?: string }).message).toBe('list channelaccounts: the server could not find the requested resource');
    expect(second?.msg).toContain('retrying in 2 s');
    expect(JSON.stringify(t.lines)).not.toContain('[object Object]');
  });

  it('403 names the RBAC to apply, and a network failure says the API server cannot be reached', async () => {
    const t = setup({ resource: RESOURCES.secrets, namespaces: ['payroll'] });
    t.transport.on(isList, () => jsonResponse(403, { kind: 'Status', code: 403, reason: 'Forbidden', message: 'secrets is forbidden' }));
    t.transport.on(isList, refused);
    t.inf.start();
    await flushMicrotasks();
    await t.clock.advance(1_000);
    const [forbidden, down] = t.warnings().map((l) => l.msg);
    expect(forbidden).toBe(
      'list secrets (v1) in namespace payroll failed: HTTP 403 Forbidden; the operator may not list and watch secrets: apply its RBAC (kubectl apply -k manifests/), or limit it to namespaces it may read with --namespace; retrying in 1 s',
    );
    expect(down).toBe(
      'list secrets (v1) in namespace payroll failed: no answer from the API server (NetworkError); check that the API server is up and reachable from the operator; retrying in 2 s',
    );
  });
});

describe('Informer recovery after an API-server outage', () => {
  it('a watch whose backoff reached its cap resumes within one probe interval of the API server coming back', async () => {
    const t = setup({ backoff: { baseMs: 1_000, capMs: 30_000, jitter: 0 } });
    let down = false;
    t.transport.on(isList, () => jsonResponse(200, list([], '7')));
    const w1 = new WatchStreamResponse();
    t.transport.on(isWatch, () => w1);
    t.transport.on((u) => down && (isWatch(u) || u.pathname === '/readyz'), refused, false);
    t.transport.on((u) => u.pathname === '/readyz', () => jsonResponse(200, 'ok'), false);
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();

    down = true;
    w1.fail(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    // Failures at 0, 1, 3, 7, 15, 31 and 61 s: at 70 s the loop is 9 s into a 30 s (capped) backoff.
    await t.clock.advance(70_000);
    expect(t.warnings().map((l) => l.retryInMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    const watchesDuringOutage = t.transport.watches().length;
    const probes = t.transport.requests.filter((r) => r.parsed.pathname === '/readyz').length;
    expect(probes).toBeGreaterThan(0);

    const w2 = new WatchStreamResponse();
    t.transport.first(isWatch, () => w2);
    down = false;
    await t.clock.advance(2_000); // one probe interval, not the 21 s left of the backoff
    expect(t.transport.watches()).toHaveLength(watchesDuringOutage + 1);
    expect(t.transport.watches().at(-1)!.parsed.searchParams.get('resourceVersion')).toBe('7');
    expect(t.transport.lists().filter((r) => r.parsed.pathname !== '/readyz')).toHaveLength(1); // resumed, no relist
    w2.push('ADDED', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'a', name: 'after', resourceVersion: '8' } });
    await flushMicrotasks();
    expect(t.inf.get('a', 'after')).toBeDefined();
  });

  it('any answer from the API server wakes the watches in backoff at once, and probing stops when nobody waits', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(200, list([], '7')));
    t.transport.on(isWatch, refused);
    t.transport.on(isWatch, refused);
    t.transport.on((u) => u.pathname === '/readyz', refused, false);
    t.inf.start();
    await t.inf.waitForSync();
    // Refused at 0 s (1 s backoff) and at 1 s: at 2.5 s the loop is in the second half of a 2 s
    // backoff, the part a sign of life may cut short.
    await t.clock.advance(2_500);
    expect(t.transport.watches()).toHaveLength(2);
    const w = new WatchStreamResponse();
    t.transport.on(isWatch, () => w);
    // Another request of the same client gets an answer (a reconciler's write, a Lease renewal).
    t.transport.on((u) => u.pathname.endsWith('/leases/x'), () => jsonResponse(200, {}));
    await t.client.request({ verb: 'get', resource: 'leases', method: 'GET', path: '/apis/coordination.k8s.io/v1/namespaces/a/leases/x' });
    await flushMicrotasks();
    expect(t.transport.watches()).toHaveLength(3);
    const probes = t.transport.requests.filter((r) => r.parsed.pathname === '/readyz').length;
    await t.clock.advance(10_000);
    expect(t.transport.requests.filter((r) => r.parsed.pathname === '/readyz')).toHaveLength(probes);
  });

  it('a watch stream that breaks while the API server answers waits its full backoff, not in a hot loop', async () => {
    const t = setup();
    t.transport.on(isList, () => jsonResponse(200, list([], '7')));
    const streams = [new WatchStreamResponse(), new WatchStreamResponse(), new WatchStreamResponse()];
    for (const s of streams) t.transport.on(isWatch, () => s);
    t.inf.start();
    await t.inf.waitForSync();
    await flushMicrotasks();
    streams[0]!.fail(new Error('other side closed'));
    await t.clock.advance(999);
    expect(t.transport.watches()).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.transport.watches()).toHaveLength(2);
  });
});
