// Kubernetes Events (events.k8s.io/v1) with stable reasons. Repeats of the same event on the same
// object are de-duplicated the way client-go's events library does it: the first occurrence creates
// an Event, repeats only count in memory, and the Event's `series` (count, lastObservedTime) is
// patched at most once per `seriesUpdateIntervalMs`. A reconcile loop that says the same thing
// again and again therefore costs no write. Recording never throws into the caller.
import { systemClock, type Clock } from './clock.ts';
import { isNotFound, resourcePath, RESOURCES, type KubeClient, type ObjectHandle } from './client.ts';
import { MERGE_PATCH } from './objects.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventInput {
  type: EventType;
  /** Stable, UpperCamelCase (e.g. `Created`, `CertificateRotated`, `AccessDenied`). */
  reason: string;
  /** What the controller did or tried, UpperCamelCase (e.g. `Reconcile`, `Create`, `Delete`). */
  action: string;
  /** Human text. Must not contain secret values; PEM private-key blocks are scrubbed anyway. */
  note: string;
}

export interface EventRecorderOptions {
  client: KubeClient;
  /** `reportingController`, e.g. `chaman.io/chaman-operator`. */
  controller?: string;
  /** `reportingInstance`: this replica (pod name). */
  instance: string;
  clock?: Clock;
  /** Minimum time between two series patches of one Event. Default 30 min. */
  seriesUpdateIntervalMs?: number;
  /** Repeats older than this start a new Event (the API server's Event TTL is 1 h). Default 55 min. */
  dedupWindowMs?: number;
  /** Number of distinct events remembered. Default 4096. */
  maxTracked?: number;
  onError?: (err: unknown) => void;
}

interface Tracked {
  name: string;
  namespace: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  lastWritten: number;
  writtenCount: number;
}

const NOTE_MAX = 1024;

/** Scrubs what must never appear in an Event even by mistake, and fits the API's length limit. */
export function sanitizeNote(note: string): string {
  const scrubbed = note.replace(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, '[private key redacted]');
  return scrubbed.length > NOTE_MAX ? scrubbed.slice(0, NOTE_MAX - 3) + '...' : scrubbed;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly controller: string;
  private readonly instance: string;
  private readonly clock: Clock;
  private readonly seriesInterval: number;
  private readonly window: number;
  private readonly max: number;
  private readonly onError: (err: unknown) => void;
  private readonly tracked = new Map<string, Tracked>();
  private seq = 0;

  constructor(opts: EventRecorderOptions) {
    this.client = opts.client;
    this.controller = opts.controller ?? 'chaman.io/chaman-operator';
    this.instance = opts.instance;
    this.clock = opts.clock ?? systemClock;
    this.seriesInterval = opts.seriesUpdateIntervalMs ?? 30 * 60_000;
    this.window = opts.dedupWindowMs ?? 55 * 60_000;
    this.max = opts.maxTracked ?? 4096;
    this.onError = opts.onError ?? (() => {});
  }

  normal(regarding: ObjectHandle, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, { type: 'Normal', reason, action, note });
  }

  warning(regarding: ObjectHandle, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, { type: 'Warning', reason, action, note });
  }

  /** Records an event about `regarding`. Resolves when written (or skipped); never rejects. */
  async record(regarding: ObjectHandle, ev: EventInput): Promise<void> {
    try {
      await this.write(regarding, ev);
    } catch (err) {
      this.onError(err);
    }
  }

  /** How many times this event has been seen in the current window (for tests and diagnostics). */
  count(regarding: ObjectHandle, ev: EventInput): number {
    return this.tracked.get(this.keyOf(regarding, ev))?.count ?? 0;
  }

  private keyOf(regarding: ObjectHandle, ev: EventInput): string {
    const m = regarding.metadata;
    return [m.uid ?? `${m.namespace}/${m.name}`, ev.type, ev.reason, ev.action, sanitizeNote(ev.note)].join('\u0000');
  }

  private async write(regarding: ObjectHandle, ev: EventInput): Promise<void> {
    const now = this.clock.now();
    const key = this.keyOf(regarding, ev);
    const t = this.tracked.get(key);
    if (t && now - t.firstSeen < this.window) {
      t.count++;
      t.lastSeen = now;
      // LRU: most recently used last
      this.tracked.delete(key);
      this.tracked.set(key, t);
      if (now - t.lastWritten < this.seriesInterval) return;
      try {
        await this.client.request({
          verb: 'patch',
          resource: 'events',
          method: 'PATCH',
          path: resourcePath(RESOURCES.events, t.namespace, t.name),
          contentType: MERGE_PATCH,
          body: { series: { count: t.count, lastObservedTime: microTime(now) } },
        });
        t.lastWritten = now;
        t.writtenCount = t.count;
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.tracked.delete(key); // the Event expired on the server: start a new one
      }
    }
    await this.create(regarding, ev, key, now);
  }

  private async create(regarding: ObjectHandle, ev: EventInput, key: string, now: number): Promise<void> {
    const m = regarding.metadata;
    const namespace = m.namespace || 'default';
    const name = `${(m.name ?? 'object').slice(0, 200)}.${(BigInt(now) * 1_000_000n + BigInt(++this.seq % 1_000_000)).toString(16)}`;
    await this.client.request({
      verb: 'create',
      resource: 'events',
      method: 'POST',
      path: resourcePath(RESOURCES.events, namespace),
      body: {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        eventTime: microTime(now),
        reportingController: this.controller,
        reportingInstance: this.instance,
        action: ev.action,
        reason: ev.reason,
        note: sanitizeNote(ev.note),
        type: ev.type,
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
        },
      },
    });
    this.tracked.set(key, { name, namespace, count: 1, firstSeen: now, lastSeen: now, lastWritten: now, writtenCount: 1 });
    while (this.tracked.size > this.max) this.tracked.delete(this.tracked.keys().next().value!);
  }
}
