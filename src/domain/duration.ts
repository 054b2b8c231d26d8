// Durations in Go / Kubernetes metav1.Duration syntax (`720h`, `1h30m`, `2h0m0s`, `1.5h`, `300ms`).

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds of a Go duration string. Throws on anything else (including negative values). */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw new Error('a duration must be a string such as "720h" or "1h30m"');
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '') throw new Error('empty duration: write e.g. "720h", "30m" or "1h30m"');
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < input.length) {
    PART.lastIndex = pos;
    const m = PART.exec(input);
    if (!m || m.index !== pos || m[1] === '' || m[1] === '.') {
      throw new Error(`invalid duration ${JSON.stringify(text)}: write a number and a unit (h, m, s, ms, us, ns), e.g. "720h" or "1h30m"`);
    }
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  if (!Number.isFinite(total)) throw new Error(`duration ${JSON.stringify(text)} is too large`);
  return Math.round(total * 1e6) / 1e6;
}

/** Go-style formatting of milliseconds: `2592000000` → `720h0m0s`, `1500` → `1.5s`, `0` → `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error('cannot format a non-finite duration');
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) {
    if (rest >= 1) return `${sign}${trim(rest)}ms`;
    if (rest >= 1e-3) return `${sign}${trim(rest * 1e3)}µs`;
    return `${sign}${trim(rest * 1e6)}ns`;
  }
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = trim(rest / 1000);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function trim(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}
