// Whether a computed status says anything new. lastSyncTime is left out: it changes only with the
// rest, so that an unchanged reconcile costs no write.

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

export function sameStatus(a: { lastSyncTime?: string } | undefined, b: { lastSyncTime?: string }): boolean {
  const { lastSyncTime: _a, ...restA } = a ?? {};
  const { lastSyncTime: _b, ...restB } = b;
  return JSON.stringify(canonical(restA)) === JSON.stringify(canonical(restB));
}
