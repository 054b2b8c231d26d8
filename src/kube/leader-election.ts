// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection:
// - a candidate GETs the Lease every retryPeriod and takes it when it is free (no holder, or a
//   holder that has not renewed for leaseDuration as measured on OUR clock since we last saw the
//   record change — no trust in other replicas' clocks);
// - the leader renews every retryPeriod with an optimistic-concurrency PUT; if it cannot renew for
//   renewDeadline it stops leading (onStoppedLeading; the process must stop acting and exit). A timer
//   fires at that deadline even while a renewal hangs, and every request is bounded by what is left of
//   it, so the leader stops before any other replica may take the Lease (leaseDuration > renewDeadline);
// - durations are measured on the monotonic clock, never on the wall clock;
// - release() on graceful shutdown empties holderIdentity, so a standby takes over at its next
//   retry instead of waiting for the lease to expire; a release that fails is retried once from a
//   fresh GET (it conflicts with a renewal that stop() aborted here but that reached the API server);
// - with `agreement` (sharding's fence), holding the Lease is not enough to lead: every other live
//   Lease of `peers` must carry the same value (the shard count), read after ours was written. Of two
//   replicas that disagree, the one that checks last sees the other and waits: they never both lead.
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { isConflict, isNotFound, KubeApiError, resourcePath, RESOURCES, type KubeClient, type KubeObject } from './client.ts';
import { microTime } from './events.ts';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}
export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  /** Lease name, e.g. `chaman-operator`. */
  name: string;
  /** This replica (pod name plus something unique). */
  identity: string;
  /** How long a lease stays valid without renewal. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before giving up. Default 10 s. */
  renewDeadlineMs?: number;
  /** Interval of acquire and renew attempts. Default 2 s. */
  retryPeriodMs?: number;
  clock?: Clock;
  random?: () => number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** Another replica is seen holding the lease (also called with our own identity). */
  onNewLeader?: (identity: string) => void;
  onError?: (err: unknown) => void;
  /** Lead only while every other live Lease of `peers` carries `annotation: value`, as ours does. */
  agreement?: { annotation: string; value: string; peers: string[] };
}

type Bound = { timeoutMs: number; signal: AbortSignal };

export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader' | 'onError' | 'agreement'>> &
    Pick<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader' | 'onError' | 'agreement'>;
  private lease: Lease | undefined;
  private observedKey = '';
  private observedAt = 0;
  /** Holds the Lease (renews it); `leading` is holding and, with an agreement, agreed. */
  private holding = false;
  private leading = false;
  private readonly peersSeen = new Map<string, { key: string; at: number }>();
  private disagreement = '';
  private lastRenew = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: AbortController | undefined;
  private lastLeader = '';
  private lostController = new AbortController();
  private deadlineTimer: TimerHandle | undefined;
  private inFlight: AbortController | undefined;

  constructor(opts: LeaderElectorOptions) {
    const leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    const retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod');
    }
    this.o = { clock: systemClock, random: Math.random, ...opts, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Aborted when this replica stops leading: pass it to work that must stop with leadership. */
  get lostSignal(): AbortSignal {
    return this.lostController.signal;
  }

  /** Identity of the last holder seen ('' when none). */
  get leader(): string {
    return this.lastLeader;
  }

  /** Starts campaigning in the background. */
  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  /**
   * Stops campaigning. When leading and `release` (the default), gives the lease up so another
   * replica takes over at once. Calls onStoppedLeading if we were leading.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.o.clock.clearTimeout(this.deadlineTimer);
    this.inFlight?.abort(new Error('stopping'));
    this.wake?.abort();
    await this.loop;
    if (this.holding && opts.release !== false) await this.release();
    this.holding = false;
    this.setLeading(false);
  }

  private async run(): Promise<void> {
    const { clock } = this.o;
    while (!this.stopped) {
      const ok = await this.tryAcquireOrRenew();
      if (this.stopped) break;
      if (ok) {
        this.lastRenew = clock.elapsed();
        this.holding = true;
        this.armDeadline();
        if (!this.leading && (await this.agreed()) && this.holding && !this.stopped) this.setLeading(true);
      } else if (this.holding && clock.elapsed() - this.lastRenew >= this.o.renewDeadlineMs) {
        this.lose();
        break;
      }
      if (this.stopped) break;
      const period = this.holding ? this.o.retryPeriodMs : this.o.retryPeriodMs * (1 + 0.2 * this.o.random());
      this.wake = new AbortController();
      try {
        await clock.sleep(Math.round(period), this.wake.signal);
      } catch {
        // woken for stop
      }
    }
  }

  /**
   * Fires at lastRenew + renewDeadline: leadership ends then, even if a renewal is still hanging. A
   * timer can fire a fraction of a millisecond before its delay has passed on the monotonic clock
   * (Node rounds its start to the loop's millisecond): then it waits out the rest instead of giving up.
   */
  private armDeadline(delayMs = this.o.renewDeadlineMs): void {
    const { clock } = this.o;
    clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = clock.setTimeout(() => {
      if (!this.holding || this.stopped) return;
      const left = this.lastRenew + this.o.renewDeadlineMs - clock.elapsed();
      if (left <= 0) this.lose();
      else this.armDeadline(Math.max(1, left));
    }, delayMs);
  }

  /** client-go stops here: a replica that lost the lease must not campaign and act again. */
  private lose(): void {
    this.stopped = true;
    this.inFlight?.abort(new Error('renew deadline passed'));
    this.wake?.abort();
    this.holding = false;
    this.setLeading(false);
  }

  /** How long the next request may take: within the renew deadline while leading, a retry period otherwise. */
  private requestTimeoutMs(): number {
    if (!this.holding) return this.o.retryPeriodMs;
    const left = this.lastRenew + this.o.renewDeadlineMs - this.o.clock.elapsed();
    return Math.max(1, Math.min(this.o.retryPeriodMs, left));
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    if (v) this.o.onStartedLeading?.();
    else {
      this.lostController.abort(new Error('leadership lost'));
      this.o.onStoppedLeading?.();
    }
  }

  private path(name?: string): string {
    return resourcePath(RESOURCES.leases, this.o.namespace, name);
  }

  private async get(bound: Bound, name = this.o.name): Promise<Lease | undefined> {
    try {
      return await this.o.client.request<Lease>({ verb: 'get', resource: 'leases', method: 'GET', path: this.path(name), ...bound });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private observe(lease: Lease): void {
    const s = lease.spec ?? {};
    const key = `${s.holderIdentity ?? ''}\u0000${s.renewTime ?? ''}\u0000${s.leaseTransitions ?? 0}`;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = this.o.clock.elapsed();
    }
    const holder = s.holderIdentity ?? '';
    if (holder !== this.lastLeader) {
      this.lastLeader = holder;
      if (holder) this.o.onNewLeader?.(holder);
    }
    this.lease = lease;
  }

  private desiredSpec(prev: LeaseSpec | undefined): LeaseSpec {
    const now = microTime(this.o.clock.now());
    const wasUs = prev?.holderIdentity === this.o.identity;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: wasUs && prev?.acquireTime ? prev.acquireTime : now,
      renewTime: now,
      leaseTransitions: wasUs ? (prev?.leaseTransitions ?? 0) : (prev?.leaseTransitions ?? 0) + (prev?.holderIdentity ? 1 : 0),
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, clock } = this.o;
    this.inFlight = new AbortController();
    const bound = { timeoutMs: this.requestTimeoutMs(), signal: this.inFlight.signal };
    try {
      // The leader renews from its last copy of the Lease (one PUT); only a conflict costs a GET.
      if (!(this.holding && this.lease)) {
        const lease = await this.get(bound);
        if (!lease) {
          const created = await client.request<Lease>({
            verb: 'create',
            resource: 'leases',
            method: 'POST',
            path: this.path(),
            body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: this.desiredMetadata({ name: this.o.name, namespace: this.o.namespace }), spec: this.desiredSpec(undefined) },
            ...bound,
          });
          this.observe(created);
          return true;
        }
        this.observe(lease);
        const holder = lease.spec?.holderIdentity ?? '';
        const durationMs = (lease.spec?.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000;
        if (holder && holder !== this.o.identity && clock.elapsed() < this.observedAt + durationMs) return false;
      }
      const current = this.lease!;
      const updated = await client.request<Lease>({
        verb: 'update',
        resource: 'leases',
        method: 'PUT',
        path: this.path(this.o.name),
        body: { ...current, metadata: this.desiredMetadata(current.metadata), spec: this.desiredSpec(current.spec) },
        ...bound,
      });
      this.observe(updated);
      return true;
    } catch (err) {
      if (isConflict(err)) this.lease = undefined; // someone else wrote it: read again next time
      this.o.onError?.(err);
      return false;
    }
  }

  /** Our Lease's metadata: with an agreement, the annotation that other replicas compare with theirs. */
  private desiredMetadata(meta: KubeObject['metadata']): KubeObject['metadata'] {
    const a = this.o.agreement;
    const annotations = a ? { ...meta.annotations, [a.annotation]: a.value } : meta.annotations;
    return { ...meta, ...(annotations ? { annotations } : {}), managedFields: undefined };
  }

  /**
   * Whether every other live Lease of the agreement carries our value. Read after our Lease was
   * written: a replica that disagrees and checks later sees ours and waits. A Lease is live while it
   * has a holder whose record changed within its duration, on our clock (as in tryAcquireOrRenew).
   */
  private async agreed(): Promise<boolean> {
    const a = this.o.agreement;
    if (!a) return true;
    this.inFlight = new AbortController();
    const bound = { timeoutMs: this.requestTimeoutMs(), signal: this.inFlight.signal };
    const peers = a.peers.filter((name) => name !== this.o.name);
    try {
      const leases = await Promise.all(peers.map((name) => this.get(bound, name)));
      const other = leases.find((lease, i) => lease && this.peerLive(peers[i]!, lease) && lease.metadata.annotations?.[a.annotation] !== a.value);
      const reason = other
        ? `Lease ${other.metadata.name} is held by ${other.spec?.holderIdentity} with ${a.annotation}=${other.metadata.annotations?.[a.annotation] ?? '(none)'}, ` +
          `this replica has ${a.value}: it starts working once every live Lease says ${a.value} (a roll in progress; see docs/install.md, Sharding)`
        : '';
      if (reason && reason !== this.disagreement) this.o.onError?.(new Error(reason));
      this.disagreement = reason;
      return !other;
    } catch (err) {
      const forbidden = err instanceof KubeApiError && err.status === 403;
      this.o.onError?.(forbidden ? new Error(`cannot read the Leases ${peers[0]} … ${peers.at(-1)} in ${this.o.namespace}: the leader-election Role must allow get on each (manifests/base/leader-election-role.yaml); this replica does not work until it can`) : err);
      return false;
    }
  }

  private peerLive(name: string, lease: Lease): boolean {
    const s = lease.spec ?? {};
    if (!s.holderIdentity) return false;
    const key = `${s.holderIdentity}\u0000${s.renewTime ?? ''}\u0000${s.leaseTransitions ?? 0}`;
    const now = this.o.clock.elapsed();
    const seen = this.peersSeen.get(name);
    if (seen?.key !== key) this.peersSeen.set(name, { key, at: now });
    const at = seen?.key === key ? seen.at : now;
    return now < at + (s.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000;
  }

  /**
   * Empties holderIdentity so a standby takes over at once. The first PUT can fail (a renewal that
   * stop() aborted here still reached the API server, so ours conflicts; or it times out): then read
   * the Lease again and retry once, or the standby waits out the whole lease.
   */
  private async release(): Promise<void> {
    const bound = () => ({ timeoutMs: this.o.retryPeriodMs, signal: new AbortController().signal });
    let current = this.lease;
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (!current || current.spec?.holderIdentity !== this.o.identity) return;
      try {
        this.observe(await this.putReleased(current, bound()));
        return;
      } catch (err) {
        this.o.onError?.(err);
      }
      current = attempt === 1 ? await this.get(bound()).catch((err: unknown) => (this.o.onError?.(err), undefined)) : undefined;
    }
  }

  private putReleased(current: Lease, bound: Bound): Promise<Lease> {
    const now = microTime(this.o.clock.now());
    return this.o.client.request<Lease>({
      verb: 'update',
      resource: 'leases',
      method: 'PUT',
      path: this.path(this.o.name),
      body: {
        ...current,
        metadata: { ...current.metadata, managedFields: undefined },
        spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      },
      ...bound,
    });
  }
}
