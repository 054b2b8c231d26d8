// The extractor the monitoring tests rely on: it must find every metric and nothing else.
import { describe, expect, it } from 'vitest';
import { metricNames, selectors } from './promql.ts';

describe('PromQL metric-name extractor', () => {
  const cases: [string, string[]][] = [
    ['up', ['up']],
    ['chaman_leader == 1', ['chaman_leader']],
    ['rate(chaman_reconcile_total[5m])', ['chaman_reconcile_total']],
    ['sum by (kind, result) (rate(chaman_reconcile_total{result="error"}[$__rate_interval]))', ['chaman_reconcile_total']],
    ['sum(rate(a_total[5m])) by (code) / ignoring(code) group_left sum(rate(b_total[5m]))', ['a_total', 'b_total']],
    ['histogram_quantile(0.95, sum by (le, operation) (rate(chaman_api_request_duration_seconds_bucket[5m])))', ['chaman_api_request_duration_seconds_bucket']],
    ['max(chaman_leader) < 1 or absent(chaman_leader)', ['chaman_leader']],
    ['count((x - time()) < 30 * 86400) or vector(0)', ['x']],
    ['a and on(pod) b unless c', ['a', 'b', 'c']],
    ['x offset 5m', ['x']],
    ['x @ start()', ['x']],
    ['x > bool 1e3', ['x']],
    ['label_replace(m, "dst", "$1", "src", "(by|sum) (.*)")', ['m']],
    ['count_values("version", build_info)', ['build_info']],
    ['topk(5, sum without (instance) (m))', ['m']],
    ['m{code=~"5..|error", op!="x{y}"}', ['m']],
    ['m{namespace=~"$namespace"}', ['m']],
    ['m{namespace=~"${namespace:regex}"} / on() n', ['m', 'n']],
    ['rate(m[1h:5m])', ['m']],
    ['# a comment mentioning fake_metric\nreal_metric', ['real_metric']],
    ['sum by(x)(m) + min without(y)(n)', ['m', 'n']],
    ['0.5 * .5 + 0x1F', []],
    ['time() - max(vector(1))', []],
    ['m1 AND m2', ['m1', 'm2']],
  ];
  for (const [expr, expected] of cases) {
    it(`finds ${JSON.stringify(expected)} in ${JSON.stringify(expr)}`, () => {
      expect(metricNames(expr).sort()).toEqual([...expected].sort());
    });
  }

  it('reports the label names of each selector, not their values', () => {
    expect(selectors('sum(m{kind="ChannelAccount", code=~"5.."}) + n')).toEqual([
      { metric: 'm', labels: ['kind', 'code'] },
      { metric: 'n', labels: [] },
    ]);
  });

  it('refuses an unterminated string rather than guessing', () => {
    expect(() => metricNames('m{a="b}')).toThrow(/unterminated|unbalanced/);
  });
});
