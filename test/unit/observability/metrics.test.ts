import { describe, expect, it } from 'vitest';
import type { ChamanSender, ChannelAccount } from '../../../src/api/types.generated.ts';
import { ManualClock } from '../../../src/kube/clock.ts';
import { queueMetricsHooks } from '../../../src/kube/index.ts';
import { WorkQueue } from '../../../src/kube/work-queue.ts';
import { EVENT_LOOP_SAMPLE_MS, Gauge, METRIC_NAMES, Registry, createOperatorMetrics, type ObjectSource } from '../../../src/observability/metrics.ts';

type Conditions = { type: string; status: 'True' | 'False' | 'Unknown'; reason: string }[];

function conditions(list: Conditions) {
  return list.map((c) => ({ ...c, message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }));
}

function sender(name: string, list: Conditions): ChamanSender {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChamanSender',
    metadata: { name, namespace: 'payroll' },
    spec: { senderNumber: '300010' } as ChamanSender['spec'],
    status: { conditions: conditions(list) },
  };
}

function account(name: string, list: Conditions, certificates: { name: string; serial: string; notBefore: string; notAfter: string }[] = []): ChannelAccount {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChannelAccount',
    metadata: { name, namespace: 'payroll' },
    spec: { senderRef: { name: 'apk' }, type: 'REST' } as ChannelAccount['spec'],
    status: {
      conditions: conditions(list),
      certificates: certificates.map((c) => ({
        name: c.name,
        serialNumber: c.serial,
        notBefore: c.notBefore,
        notAfter: c.notAfter,
        fileName: `${c.name}.cer`,
        subject: 'CN=x',
        organization: 'X',
        issuer: 'CN=ca',
        sha256Fingerprint: 'AB',
        keyAlgorithm: 'RSA-2048',
        signatureAlgorithm: 'SHA-256',
        selfSigned: false,
      })),
    },
  };
}

/** A stand-in for the informer caches: the test edits the maps between scrapes. */
function fakeCaches() {
  const senders = new Map<string, ChamanSender>();
  const accounts = new Map<string, ChannelAccount>();
  const source: ObjectSource = { senders: () => senders.values(), accounts: () => accounts.values() };
  return { senders, accounts, source };
}

/** The sample lines of one metric in a scrape, without HELP/TYPE. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

const READY: Conditions = [
  { type: 'Ready', status: 'True', reason: 'Available' },
  { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
];

describe('createOperatorMetrics', () => {
  it('exports METRIC_NAMES and the default process and Node.js metrics on one registry', async () => {
    const m = createOperatorMetrics();
    const names = m.registry.getMetricsAsArray().map((x) => x.name);
    expect(names.filter((n) => n.startsWith('chaman_')).sort()).toEqual([...METRIC_NAMES].sort());
    for (const n of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
      expect(names).toContain(n);
    }
    const text = await m.registry.metrics();
    for (const name of METRIC_NAMES) expect(text).toContain(`# TYPE ${name} `);
    expect(m.registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('samples the event loop every EVENT_LOOP_SAMPLE_MS (100 ms), not every 10 ms: the idle operator woke 100 times a second for it', async () => {
    expect(EVENT_LOOP_SAMPLE_MS).toBe(100);
    const m = createOperatorMetrics();
    await new Promise((r) => setTimeout(r, 450));
    // The histogram holds the times between two samples: never much under the sampling period.
    const min = Number(samples(await m.registry.metrics(), 'nodejs_eventloop_lag_min_seconds')[0]!.split(' ')[1]);
    expect(min).toBeGreaterThan(0.09);
  });

  it('computes ready, synced and per-state counts from the objects at scrape time', async () => {
    const m = createOperatorMetrics();
    const caches = fakeCaches();
    m.observeObjects(caches.source);
    caches.senders.set('apk', sender('apk', READY));
    caches.accounts.set('a', account('a', READY));
    caches.accounts.set('b', account('b', [
      { type: 'Ready', status: 'False', reason: 'SenderNotReady' },
      { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
    ]));
    caches.accounts.set('c', account('c', [
      { type: 'Ready', status: 'False', reason: 'BackendUnavailable' },
      { type: 'Synced', status: 'False', reason: 'ReconcileError' },
    ]));
    caches.accounts.set('new', account('new', []));

    const text = await m.registry.metrics();
    expect(samples(text, 'chaman_resource_ready').sort()).toEqual([
      'chaman_resource_ready{kind="ChamanSender",namespace="payroll",name="apk"} 1',
      'chaman_resource_ready{kind="ChannelAccount",namespace="payroll",name="a"} 1',
      'chaman_resource_ready{kind="ChannelAccount",namespace="payroll",name="b"} 0',
      'chaman_resource_ready{kind="ChannelAccount",namespace="payroll",name="c"} 0',
      'chaman_resource_ready{kind="ChannelAccount",namespace="payroll",name="new"} 0',
    ]);
    expect(samples(text, 'chaman_resource_synced')).toContain('chaman_resource_synced{kind="ChannelAccount",namespace="payroll",name="c"} 0');
    expect(samples(text, 'chaman_resource_synced')).toContain('chaman_resource_synced{kind="ChannelAccount",namespace="payroll",name="b"} 1');
    const counts = samples(text, 'chaman_resources');
    expect(counts).toContain('chaman_resources{kind="ChannelAccount",state="Ready"} 1');
    expect(counts).toContain('chaman_resources{kind="ChannelAccount",state="SenderNotReady"} 1');
    expect(counts).toContain('chaman_resources{kind="ChannelAccount",state="BackendUnavailable"} 1');
    expect(counts).toContain('chaman_resources{kind="ChannelAccount",state="Unknown"} 1');
    expect(counts).toContain('chaman_resources{kind="ChamanSender",state="Ready"} 1');
    // Pre-created at zero, so alerts on a state have a series before any object is in it.
    expect(counts).toContain('chaman_resources{kind="ChannelAccount",state="NotGranted"} 0');
  });

  it('follows status exactly: Ready turning False turns the gauge to 0 on the next scrape', async () => {
    const m = createOperatorMetrics();
    const caches = fakeCaches();
    m.observeObjects(caches.source);
    caches.accounts.set('a', account('a', READY));
    expect(samples(await m.registry.metrics(), 'chaman_resource_ready')).toEqual(['chaman_resource_ready{kind="ChannelAccount",namespace="payroll",name="a"} 1']);
    caches.accounts.set('a', account('a', [
      { type: 'Ready', status: 'False', reason: 'Invalid' },
      { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
    ]));
    const text = await m.registry.metrics();
    expect(samples(text, 'chaman_resource_ready')).toEqual(['chaman_resource_ready{kind="ChannelAccount",namespace="payroll",name="a"} 0']);
    expect(samples(text, 'chaman_resources')).toContain('chaman_resources{kind="ChannelAccount",state="Invalid"} 1');
    expect(samples(text, 'chaman_resources')).toContain('chaman_resources{kind="ChannelAccount",state="Ready"} 0');
  });

  it('exports the certificates of status.certificates with their labels, and drops them with the object', async () => {
    const m = createOperatorMetrics();
    const caches = fakeCaches();
    m.observeObjects(caches.source);
    caches.accounts.set('rest', account('rest', READY, [
      { name: 'old', serial: '1954966050899170291', notBefore: '2025-06-01T00:00:00Z', notAfter: '2026-06-01T00:00:00Z' },
      { name: 'new', serial: '2', notBefore: '2026-01-01T00:00:00Z', notAfter: '2027-01-01T00:00:00Z' },
    ]));
    let text = await m.registry.metrics();
    expect(samples(text, 'chaman_certificate_expiration_timestamp_seconds').sort()).toEqual([
      'chaman_certificate_expiration_timestamp_seconds{namespace="payroll",account="rest",sender="apk",type="REST",certificate="new",serial="2"} 1798761600',
      'chaman_certificate_expiration_timestamp_seconds{namespace="payroll",account="rest",sender="apk",type="REST",certificate="old",serial="1954966050899170291"} 1780272000',
    ]);
    expect(samples(text, 'chaman_certificate_not_before_timestamp_seconds')).toContain(
      'chaman_certificate_not_before_timestamp_seconds{namespace="payroll",account="rest",sender="apk",type="REST",certificate="old",serial="1954966050899170291"} 1748736000',
    );

    // Rotation done: only the new certificate is in status, so only it is exported.
    caches.accounts.set('rest', account('rest', READY, [{ name: 'new', serial: '2', notBefore: '2026-01-01T00:00:00Z', notAfter: '2027-01-01T00:00:00Z' }]));
    text = await m.registry.metrics();
    expect(samples(text, 'chaman_certificate_expiration_timestamp_seconds')).toHaveLength(1);

    // The object is deleted (e.g. deletionPolicy Orphan): every one of its series is gone on the next scrape.
    caches.accounts.delete('rest');
    text = await m.registry.metrics();
    expect(text).not.toContain('account="rest"');
    expect(text).not.toContain('name="rest"');
    expect(samples(text, 'chaman_resources')).toContain('chaman_resources{kind="ChannelAccount",state="Ready"} 0');
  });

  it('an account being deleted keeps its ready series but exports no certificate to alert on', async () => {
    const m = createOperatorMetrics();
    const caches = fakeCaches();
    m.observeObjects(caches.source);
    const deleting = account('rest', [{ type: 'Ready', status: 'False', reason: 'Deleting' }], [
      { name: 'main', serial: '1', notBefore: '2025-06-01T00:00:00Z', notAfter: '2026-06-01T00:00:00Z' },
    ]);
    deleting.metadata.deletionTimestamp = '2026-01-02T00:00:00Z';
    caches.accounts.set('rest', deleting);
    const text = await m.registry.metrics();
    expect(samples(text, 'chaman_certificate_expiration_timestamp_seconds')).toEqual([]);
    expect(samples(text, 'chaman_resource_ready')).toEqual(['chaman_resource_ready{kind="ChannelAccount",namespace="payroll",name="rest"} 0']);
    expect(samples(text, 'chaman_resources')).toContain('chaman_resources{kind="ChannelAccount",state="Deleting"} 1');
  });

  it('writes the per-object samples exactly as prom-client would, escaping included', async () => {
    const m = createOperatorMetrics();
    const tricky = 'q"\\\nz';
    const cert = { name: tricky, serial: '01', notBefore: '2026-01-01T00:00:00Z', notAfter: '2027-01-01T00:00:00Z' };
    m.observeObjects({ senders: () => [], accounts: () => [account('a', READY, [cert])] });
    const reference = new Registry();
    const gauge = new Gauge({ name: 'chaman_certificate_expiration_timestamp_seconds', help: 'x', labelNames: ['namespace', 'account', 'sender', 'type', 'certificate', 'serial'], registers: [reference] });
    gauge.set({ namespace: 'payroll', account: 'a', sender: 'apk', type: 'REST', certificate: tricky, serial: '01' }, 1798761600);
    const ours = samples(await m.registry.metrics(), 'chaman_certificate_expiration_timestamp_seconds');
    expect(ours).toEqual(samples(await reference.metrics(), 'chaman_certificate_expiration_timestamp_seconds'));
    expect(ours[0]).toContain('certificate="q\\"\\\\\\nz"');
  });

  it('walks the caches once per scrape, not once per gauge', async () => {
    const m = createOperatorMetrics();
    let walks = 0;
    m.observeObjects({
      senders: () => (walks++, []),
      accounts: () => [account('a', READY)],
    });
    await m.registry.metrics();
    expect(walks).toBe(1);
    await m.registry.metrics();
    expect(walks).toBe(2);
  });

  it('splits Kubernetes requests into reads and writes', async () => {
    const m = createOperatorMetrics();
    m.kubeRequests.inc({ verb: 'list', resource: 'secrets' });
    m.kubeRequests.inc({ verb: 'get', resource: 'secrets' }, 2);
    m.kubeRequests.inc({ verb: 'apply', resource: 'channelaccounts/status' });
    expect(await m.kubeRequestCounts()).toEqual({ reads: 3, writes: 1, byVerb: { list: 1, get: 2, apply: 1 } });
  });
});

describe('work-queue metrics (controller-runtime style)', () => {
  it('observes how long a key waited before a worker took it, and how long the worker ran', async () => {
    const m = createOperatorMetrics();
    const clock = new ManualClock();
    let finish!: () => void;
    const q = new WorkQueue({
      name: 'chaman',
      clock,
      concurrency: 1,
      handler: () => new Promise<void>((r) => (finish = r)),
      hooks: queueMetricsHooks(m, 'chaman'),
    });
    q.add('ChannelAccount:payroll/a'); // queued before the workers start, as before the caches sync
    await clock.advance(2_000);
    q.start();
    await clock.advance(0);
    await clock.advance(300); // the reconcile takes 0.3 s
    finish();
    await q.onIdle();

    const text = await m.registry.metrics();
    expect(samples(text, 'chaman_workqueue_queue_duration_seconds_sum')).toEqual(['chaman_workqueue_queue_duration_seconds_sum{queue="chaman"} 2']);
    expect(samples(text, 'chaman_workqueue_queue_duration_seconds_bucket')).toContain('chaman_workqueue_queue_duration_seconds_bucket{le="1",queue="chaman"} 0');
    expect(samples(text, 'chaman_workqueue_queue_duration_seconds_bucket')).toContain('chaman_workqueue_queue_duration_seconds_bucket{le="5",queue="chaman"} 1');
    expect(samples(text, 'chaman_workqueue_work_duration_seconds_sum')).toEqual(['chaman_workqueue_work_duration_seconds_sum{queue="chaman"} 0.3']);
    expect(samples(text, 'chaman_workqueue_work_duration_seconds_count')).toEqual(['chaman_workqueue_work_duration_seconds_count{queue="chaman"} 1']);
    expect(samples(text, 'chaman_workqueue_depth')).toEqual(['chaman_workqueue_depth{queue="chaman"} 0']);
  });

  it('a key re-added while it runs waits from its re-add, not from its first add', async () => {
    const m = createOperatorMetrics();
    const clock = new ManualClock();
    const waits: number[] = [];
    const finishers: (() => void)[] = [];
    const q = new WorkQueue({
      name: 'chaman',
      clock,
      handler: () => new Promise<void>((r) => finishers.push(r)),
      hooks: queueMetricsHooks(m, 'chaman', { onStart: (_key, waited) => waits.push(waited) }),
    });
    q.start();
    q.add('k');
    await clock.advance(100);
    q.add('k'); // dirty: runs once more after the current run
    await clock.advance(400);
    finishers.shift()!();
    await clock.advance(0);
    finishers.shift()!();
    await q.onIdle();
    expect(waits).toEqual([0, 400]);
  });
});
