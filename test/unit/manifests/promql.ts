// A small PromQL tokenizer that finds the metric names an expression reads, so the alert rules and
// the dashboard can be checked against the metrics the operator really exports. It skips what is
// not a metric: function and aggregation names (an identifier followed by "(", or an aggregator
// followed by by/without), label lists after by/without/on/ignoring/group_left/group_right,
// label matchers in {...} (kept apart, see `selectors`), strings, numbers, durations, [ranges],
// keywords, comments and Grafana variables ($var, ${var}, $__rate_interval).

const AGGREGATORS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk',
  'quantile', 'limitk', 'limit_ratio',
]);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan', ...LABEL_LIST_KEYWORDS]);

/** A vector selector: the metric name and the label names its matchers use. */
export interface Selector {
  metric: string;
  labels: string[];
}

const IDENT = /[A-Za-z_:][A-Za-z0-9_:]*/y;
const NUMBER = /(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)[A-Za-z0-9_]*/y;

class Scanner {
  pos = 0;
  readonly src: string;
  constructor(src: string) {
    this.src = src;
  }
  peek(): string {
    return this.src[this.pos] ?? '';
  }
  done(): boolean {
    return this.pos >= this.src.length;
  }
  skipSpace(): void {
    for (;;) {
      while (/\s/.test(this.peek())) this.pos++;
      if (this.peek() !== '#') return;
      while (!this.done() && this.peek() !== '\n') this.pos++;
    }
  }
  match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  skipString(): void {
    const quote = this.peek();
    this.pos++;
    while (!this.done() && this.peek() !== quote) {
      if (this.peek() === '\\' && quote !== '`') this.pos++;
      this.pos++;
    }
    if (this.done()) throw new Error(`unterminated string in: ${this.src}`);
    this.pos++;
  }
  /** Skips a balanced group opened at the current character, strings inside included. */
  skipGroup(open: string, close: string): string {
    const start = this.pos;
    let depth = 0;
    do {
      const c = this.peek();
      if (c === '"' || c === "'" || c === '`') {
        this.skipString();
        continue;
      }
      if (c === open) depth++;
      else if (c === close) depth--;
      this.pos++;
      if (this.done() && depth > 0) throw new Error(`unbalanced ${open}${close} in: ${this.src}`);
    } while (depth > 0);
    return this.src.slice(start + 1, this.pos - 1);
  }
  skipVariable(): void {
    this.pos++; // $
    if (this.peek() === '{') this.skipGroup('{', '}');
    else this.match(/[A-Za-z0-9_]*/y);
  }
}

/** Label names used by a matcher list such as `kind="X", code=~"5.."` (values skipped). */
function matcherLabels(body: string): string[] {
  const s = new Scanner(body);
  const labels: string[] = [];
  for (;;) {
    s.skipSpace();
    if (s.done()) return labels;
    const c = s.peek();
    if (c === '"' || c === "'" || c === '`') s.skipString();
    else if (c === '$') s.skipVariable();
    else {
      const ident = s.match(IDENT);
      if (ident) {
        s.skipSpace();
        if (/[=!]/.test(s.peek())) labels.push(ident);
      } else s.pos++;
    }
  }
}

/** Every vector selector of a PromQL expression, in order. */
export function selectors(expr: string): Selector[] {
  const s = new Scanner(expr);
  const out: Selector[] = [];
  for (;;) {
    s.skipSpace();
    if (s.done()) return out;
    const c = s.peek();
    if (c === '"' || c === "'" || c === '`') {
      s.skipString();
    } else if (c === '$') {
      s.skipVariable();
    } else if (c === '{') {
      // A selector with no name before it ({__name__="x"}): not used by our expressions.
      s.skipGroup('{', '}');
    } else if (c === '[') {
      s.skipGroup('[', ']');
    } else if (/[0-9.]/.test(c) && s.match(NUMBER) !== undefined) {
      // number or duration
    } else if (/[A-Za-z_:]/.test(c)) {
      const ident = s.match(IDENT)!;
      s.skipSpace();
      const next = s.peek();
      if (LABEL_LIST_KEYWORDS.has(ident)) {
        if (next === '(') s.skipGroup('(', ')');
      } else if (next === '(') {
        // a function or an aggregation: its arguments are scanned as we go
      } else if (AGGREGATORS.has(ident) && /^(by|without)\b/.test(expr.slice(s.pos))) {
        // `sum by (x) (...)`
      } else if (KEYWORDS.has(ident.toLowerCase())) {
        // operator or keyword
      } else {
        const labels = next === '{' ? matcherLabels(s.skipGroup('{', '}')) : [];
        out.push({ metric: ident, labels });
      }
    } else {
      s.pos++;
    }
  }
}

/** The distinct metric names an expression reads. */
export function metricNames(expr: string): string[] {
  return [...new Set(selectors(expr).map((sel) => sel.metric))];
}
