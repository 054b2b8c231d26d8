import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/observability/registry.ts';
import { METRIC_NAMES, createOperatorMetrics } from '../../../src/observability/metrics.ts';

describe('Registry (text exposition 0.0.4)', () => {
  it('renders counters and gauges with HELP, TYPE and escaped labels', () => {
    const r = new Registry();
    const c = r.counter({ name: 'x_total', help: 'a\\b\nc', labelNames: ['a'] as const });
    c.inc({ a: 'q"u\\o\nte' });
    c.inc({ a: 'q"u\\o\nte' }, 2);
    const g = r.gauge({ name: 'g', help: 'gauge' });
    g.set({}, Infinity);
    expect(r.render()).toBe(
      '# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\nx_total{a="q\\"u\\\\o\\nte"} 3\n' +
        '# HELP g gauge\n# TYPE g gauge\ng +Inf\n',
    );
  });

  it('renders cumulative histogram buckets, sum and count', () => {
    const r = new Registry();
    const h = r.histogram({ name: 'd_seconds', help: 'd', labelNames: ['k'] as const, buckets: [1, 0.1] });
    h.observe({ k: 'x' }, 0.05);
    h.observe({ k: 'x' }, 0.5);
    h.observe({ k: 'x' }, 5);
    expect(r.render()).toBe(
      '# HELP d_seconds d\n# TYPE d_seconds histogram\n' +
        'd_seconds_bucket{k="x",le="0.1"} 1\nd_seconds_bucket{k="x",le="1"} 2\nd_seconds_bucket{k="x",le="+Inf"} 3\n' +
        'd_seconds_sum{k="x"} 5.55\nd_seconds_count{k="x"} 3\n',
    );
    expect(h.get({ k: 'x' })?.buckets).toEqual({ '0.1': 1, '1': 2, '+Inf': 3 });
  });

  it('deletes one label set or all that match', () => {
    const r = new Registry();
    const g = r.gauge({ name: 'g', help: 'g', labelNames: ['ns', 'n'] as const });
    g.set({ ns: 'a', n: '1' }, 1);
    g.set({ ns: 'a', n: '2' }, 1);
    g.set({ ns: 'b', n: '1' }, 1);
    expect(g.remove({ ns: 'b', n: '1' })).toBe(true);
    expect(g.removeMatching({ ns: 'a' })).toBe(2);
    expect(r.render()).toBe('# HELP g g\n# TYPE g gauge\n');
  });

  it('refuses wrong label sets, negative counter increments, duplicate names', () => {
    const r = new Registry();
    const c = r.counter({ name: 'c', help: 'c', labelNames: ['a'] as const });
    expect(() => c.inc({ a: 'x', b: 'y' } as never)).toThrow(/labels must be exactly/);
    expect(() => c.inc({ a: 'x' }, -1)).toThrow(/only goes up/);
    expect(() => r.counter({ name: 'c', help: 'again' })).toThrow(/twice/);
    expect(() => r.counter({ name: 'bad-name', help: '' })).toThrow(/invalid metric name/);
  });
});

describe('createOperatorMetrics', () => {
  it('exports exactly METRIC_NAMES', () => {
    const m = createOperatorMetrics();
    expect(m.registry.names().sort()).toEqual([...METRIC_NAMES].sort());
    const text = m.registry.render();
    for (const name of METRIC_NAMES) expect(text).toContain(`# TYPE ${name} `);
  });

  it('keeps chaman_resources consistent with per-resource states', () => {
    const m = createOperatorMetrics();
    expect(m.resources.get({ kind: 'ChannelAccount', state: 'Creating' })).toBe(0);
    m.setResourceState('ChannelAccount', 'ns', 'a', 'Creating', true);
    m.setResourceState('ChannelAccount', 'ns', 'b', 'Creating', true);
    m.setResourceState('ChannelAccount', 'ns', 'a', 'Ready', true);
    expect(m.resources.get({ kind: 'ChannelAccount', state: 'Creating' })).toBe(1);
    expect(m.resources.get({ kind: 'ChannelAccount', state: 'Ready' })).toBe(1);
    expect(m.resourceReady.get({ kind: 'ChannelAccount', namespace: 'ns', name: 'a' })).toBe(1);
    expect(m.resourceReady.get({ kind: 'ChannelAccount', namespace: 'ns', name: 'b' })).toBe(0);
    m.forgetResource('ChannelAccount', 'ns', 'a');
    expect(m.resources.get({ kind: 'ChannelAccount', state: 'Ready' })).toBe(0);
    expect(m.resourceReady.get({ kind: 'ChannelAccount', namespace: 'ns', name: 'a' })).toBeUndefined();
  });

  it('replaces the certificate series of an account', () => {
    const m = createOperatorMetrics();
    const acc = { namespace: 'payroll', account: 'dimona-rest', sender: 'apk', type: 'REST' };
    m.setAccountCertificates(acc, [
      { name: 'old', serialNumber: '1', notBefore: '2025-01-01T00:00:00Z', notAfter: '2026-01-01T00:00:00Z' },
    ]);
    m.setAccountCertificates(acc, [
      { name: 'new', serialNumber: '2', notBefore: new Date('2025-06-01T00:00:00Z'), notAfter: '2026-06-01T00:00:00Z' },
    ]);
    expect(m.certificateExpiration.labelSets()).toEqual([{ ...acc, certificate: 'new', serial: '2' }]);
    expect(m.certificateExpiration.get({ ...acc, certificate: 'new', serial: '2' })).toBe(1780272000);
    expect(m.certificateNotBefore.get({ ...acc, certificate: 'new', serial: '2' })).toBe(1748736000);
  });

  it('splits Kubernetes requests into reads and writes', () => {
    const m = createOperatorMetrics();
    m.kubeRequests.inc({ verb: 'list', resource: 'secrets' });
    m.kubeRequests.inc({ verb: 'get', resource: 'secrets' }, 2);
    m.kubeRequests.inc({ verb: 'apply', resource: 'channelaccounts/status' });
    expect(m.kubeRequestCounts()).toEqual({ reads: 3, writes: 1, byVerb: { list: 1, get: 2, apply: 1 } });
  });
});
