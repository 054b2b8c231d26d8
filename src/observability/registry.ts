// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format 0.0.4. No dependency; enough for one process exposing a few dozen series.

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels<L extends string> = { readonly [K in L]: string };

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected readonly series = new Map<string, { labels: Labels<L>; state: S }>();

  constructor(opts: MetricOptions<L>) {
    if (!NAME_RE.test(opts.name)) throw new Error(`invalid metric name ${opts.name}`);
    for (const l of opts.labelNames ?? []) {
      if (!LABEL_RE.test(l) || l === 'le') throw new Error(`invalid label name ${l} on ${opts.name}`);
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
  }

  /** Key of a label set; checks that exactly the declared labels are present. */
  protected key(labels: Labels<L>): string {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || this.labelNames.some((l) => typeof labels[l] !== 'string')) {
      throw new Error(`${this.name}: labels must be exactly {${this.labelNames.join(', ')}}, got {${given.join(', ')}}`);
    }
    return this.labelNames.map((l) => labels[l]).join('\u0000');
  }

  protected entry(labels: Labels<L>, init: () => S): S {
    const k = this.key(labels);
    let e = this.series.get(k);
    if (!e) {
      const copy = {} as Record<L, string>;
      for (const l of this.labelNames) copy[l] = labels[l];
      e = { labels: copy, state: init() };
      this.series.set(k, e);
    }
    return e.state;
  }

  /** Deletes one label set (e.g. a certificate that is gone). Returns whether it existed. */
  remove(labels: Labels<L>): boolean {
    return this.series.delete(this.key(labels));
  }

  /** Deletes every label set that matches all the given label values, e.g. `{namespace, account}`. */
  removeMatching(partial: Partial<Labels<L>>): number {
    let n = 0;
    const pairs = Object.entries(partial) as [L, string][];
    for (const [k, e] of this.series) {
      if (pairs.every(([l, v]) => e.labels[l] === v)) {
        this.series.delete(k);
        n++;
      }
    }
    return n;
  }

  /** The label sets currently exported. */
  labelSets(): Labels<L>[] {
    return [...this.series.values()].map((e) => e.labels);
  }

  reset(): void {
    this.series.clear();
  }

  protected formatLabels(labels: Labels<L>, extra?: [string, string]): string {
    const parts = this.labelNames.map((l) => `${l}="${escapeLabelValue(labels[l])}"`);
    if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
    return parts.length ? `{${parts.join(',')}}` : '';
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    for (const { labels, state } of this.series.values()) out += this.renderSeries(labels, state);
    return out;
  }

  protected abstract renderSeries(labels: Labels<L>, state: S): string;
}

export class Counter<L extends string = never> extends Metric<L, { v: number }> {
  readonly type = 'counter' as const;
  inc(labels: Labels<L>, value = 1): void {
    if (value < 0) throw new Error(`${this.name}: a counter only goes up`);
    this.entry(labels, () => ({ v: 0 })).v += value;
  }
  get(labels: Labels<L>): number {
    return this.series.get(this.key(labels))?.state.v ?? 0;
  }
  protected renderSeries(labels: Labels<L>, s: { v: number }): string {
    return `${this.name}${this.formatLabels(labels)} ${formatValue(s.v)}\n`;
  }
}

export class Gauge<L extends string = never> extends Metric<L, { v: number }> {
  readonly type = 'gauge' as const;
  set(labels: Labels<L>, value: number): void {
    this.entry(labels, () => ({ v: 0 })).v = value;
  }
  inc(labels: Labels<L>, value = 1): void {
    this.entry(labels, () => ({ v: 0 })).v += value;
  }
  dec(labels: Labels<L>, value = 1): void {
    this.entry(labels, () => ({ v: 0 })).v -= value;
  }
  /** undefined when the label set is not exported. */
  get(labels: Labels<L>): number | undefined {
    return this.series.get(this.key(labels))?.state.v;
  }
  protected renderSeries(labels: Labels<L>, s: { v: number }): string {
    return `${this.name}${this.formatLabels(labels)} ${formatValue(s.v)}\n`;
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];
  constructor(opts: MetricOptions<L> & { buckets?: readonly number[] }) {
    super(opts);
    const b = [...(opts.buckets ?? DEFAULT_BUCKETS)].sort((x, y) => x - y);
    this.buckets = b.filter((x) => x !== Infinity);
  }
  observe(labels: Labels<L>, value: number): void {
    const s = this.entry(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(labels: Labels<L>, now: () => number = () => performance.now()): () => number {
    const start = now();
    return () => {
      const seconds = (now() - start) / 1000;
      this.observe(labels, seconds);
      return seconds;
    };
  }
  get(labels: Labels<L>): { sum: number; count: number; buckets: Record<string, number> } | undefined {
    const s = this.series.get(this.key(labels))?.state;
    if (!s) return undefined;
    const buckets: Record<string, number> = {};
    this.buckets.forEach((b, i) => (buckets[formatValue(b)] = s.counts[i]!));
    buckets['+Inf'] = s.count;
    return { sum: s.sum, count: s.count, buckets };
  }
  protected renderSeries(labels: Labels<L>, s: HistogramState): string {
    let out = '';
    this.buckets.forEach((b, i) => {
      out += `${this.name}_bucket${this.formatLabels(labels, ['le', formatValue(b)])} ${s.counts[i]}\n`;
    });
    out += `${this.name}_bucket${this.formatLabels(labels, ['le', '+Inf'])} ${s.count}\n`;
    out += `${this.name}_sum${this.formatLabels(labels)} ${formatValue(s.sum)}\n`;
    out += `${this.name}_count${this.formatLabels(labels)} ${s.count}\n`;
    return out;
  }
}

export class Registry {
  readonly contentType = PROMETHEUS_CONTENT_TYPE;
  private readonly metrics = new Map<string, Metric<string, unknown>>();

  private register<M extends Metric<string, unknown>>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }
  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L> {
    return this.register(new Counter<L>(opts) as unknown as Metric<string, unknown>) as unknown as Counter<L>;
  }
  gauge<L extends string = never>(opts: MetricOptions<L>): Gauge<L> {
    return this.register(new Gauge<L>(opts) as unknown as Metric<string, unknown>) as unknown as Gauge<L>;
  }
  histogram<L extends string = never>(opts: MetricOptions<L> & { buckets?: readonly number[] }): Histogram<L> {
    return this.register(new Histogram<L>(opts) as unknown as Metric<string, unknown>) as unknown as Histogram<L>;
  }
  names(): string[] {
    return [...this.metrics.keys()];
  }
  /** The text exposition format 0.0.4. */
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('');
  }
}
