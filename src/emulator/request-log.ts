// The emulator's request log (GET /admin/requests): counts since start and the last entries, no
// headers and no bodies, so a test can prove which calls a client made.
import { MUTATING } from './http-io.ts';

/** One API request as GET /admin/requests shows it: no headers, no bodies. */
export interface RequestLogEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  operation: string;
  status: number;
  durationMs: number;
  /** the fault injected, if any */
  fault?: string;
}

export interface RequestLog {
  /** API requests since start (admin requests are not counted) */
  total: number;
  /** of which POST/PUT/PATCH/DELETE */
  mutating: number;
  byOperation: Record<string, number>;
  /** the last entries, oldest first; `?since=SEQ` on the endpoint keeps those after SEQ */
  recent: RequestLogEntry[];
}

export class RequestLogBook {
  private readonly size: number;
  private readonly recent: RequestLogEntry[] = [];
  private readonly counts = { total: 0, mutating: 0, byOperation: {} as Record<string, number>, seq: 0 };

  constructor(size: number) {
    this.size = size;
  }

  record(entry: Omit<RequestLogEntry, 'seq' | 'at'>): void {
    const counts = this.counts;
    counts.seq++;
    counts.total++;
    if (MUTATING.has(entry.method)) counts.mutating++;
    counts.byOperation[entry.operation] = (counts.byOperation[entry.operation] ?? 0) + 1;
    this.recent.push({ seq: counts.seq, at: new Date().toISOString(), ...entry });
    if (this.recent.length > this.size) this.recent.shift();
  }

  requests(since?: number): RequestLog {
    return {
      total: this.counts.total,
      mutating: this.counts.mutating,
      byOperation: { ...this.counts.byOperation },
      recent: since === undefined ? [...this.recent] : this.recent.filter((entry) => entry.seq > since),
    };
  }
}
