import { describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks } from '../../../src/kube/clock.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { LeaderElector, type Lease } from '../../../src/kube/leader-election.ts';
import type { Transport, TransportRequest } from '../../../src/kube/client.ts';
import { jsonResponse } from './fake-transport.ts';

/** A one-Lease API server in memory, with resourceVersion checks, to exercise the election logic. */
class LeaseServer implements Transport {
  lease: Lease | undefined;
  rv = 0;
  down = false;
  writes = 0;
  async send(req: TransportRequest) {
    if (this.down) throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' });
    if (req.method === 'GET') return this.lease ? jsonResponse(200, this.lease) : jsonResponse(404, { kind: 'Status', reason: 'NotFound' });
    const body = JSON.parse(req.body!) as Lease;
    this.writes++;
    if (req.method === 'POST') {
      if (this.lease) return jsonResponse(409, { kind: 'Status', reason: 'AlreadyExists' });
    } else if (body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
      return jsonResponse(409, { kind: 'Status', reason: 'Conflict' });
    }
    this.lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
    return jsonResponse(200, this.lease);
  }
}

/** One replica's connection to the LeaseServer; `hang` makes its requests wait for ever (a cut network). */
class Link implements Transport {
  hang = false;
  private readonly server: LeaseServer;
  constructor(server: LeaseServer) {
    this.server = server;
  }
  send(req: TransportRequest) {
    if (!this.hang) return this.server.send(req);
    return new Promise<never>((_resolve, reject) => req.signal?.addEventListener('abort', () => reject(req.signal!.reason), { once: true }));
  }
}

function elector(server: Transport, clock: ManualClock, identity: string, log: string[]) {
  return new LeaderElector({
    client: new KubeClient({ server: 'https://k8s.test', transport: server }),
    namespace: 'chaman-system',
    name: 'chaman-operator',
    identity,
    clock,
    random: () => 0,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  });
}

describe('LeaderElector', () => {
  it('only one of two candidates leads; the other takes over right after a release', async () => {
    const clock = new ManualClock();
    const server = new LeaseServer();
    const log: string[] = [];
    const a = elector(server, clock, 'a', log);
    const b = elector(server, clock, 'b', log);
    a.start();
    await flushMicrotasks();
    b.start();
    await clock.advance(20_000);
    expect(log).toEqual(['a started']);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.leader).toBe('a');
    expect(server.lease?.spec?.holderIdentity).toBe('a');
    await a.stop();
    expect(server.lease?.spec?.holderIdentity).toBeNull();
    await clock.advance(2_000);
    expect(log).toEqual(['a started', 'a stopped', 'b started']);
    expect(server.lease?.spec?.leaseTransitions).toBe(0);
    await b.stop({ release: false });
  });

  it('a standby takes over only after the lease expires when the leader dies without releasing', async () => {
    const clock = new ManualClock();
    const server = new LeaseServer();
    const log: string[] = [];
    const a = elector(server, clock, 'a', log);
    a.start();
    await clock.advance(1);
    await a.stop({ release: false }); // crash: the lease stays held
    const b = elector(server, clock, 'b', log);
    b.start();
    await clock.advance(14_000);
    expect(b.isLeader()).toBe(false);
    await clock.advance(4_000);
    expect(b.isLeader()).toBe(true);
    expect(server.lease?.spec?.leaseTransitions).toBe(1);
    await b.stop();
  });

  it('the leader renews with one write per retry period and steps down when it cannot renew in time', async () => {
    const clock = new ManualClock();
    const server = new LeaseServer();
    const log: string[] = [];
    const a = elector(server, clock, 'a', log);
    a.start();
    await clock.advance(1);
    const w = server.writes;
    await clock.advance(10_000);
    expect(server.writes - w).toBe(5);
    server.down = true;
    await clock.advance(9_000);
    expect(a.isLeader()).toBe(true);
    await clock.advance(2_000);
    expect(a.isLeader()).toBe(false);
    expect(a.lostSignal.aborted).toBe(true);
    expect(log).toEqual(['a started', 'a stopped']);
    await a.stop();
  });

  it('a leader whose renewal hangs stops at its renew deadline, before the standby can take the Lease', async () => {
    const clock = new ManualClock();
    const server = new LeaseServer();
    const log: string[] = [];
    const linkA = new Link(server);
    const a = elector(linkA, clock, 'a', log);
    const b = elector(server, clock, 'b', log);
    const at = (what: string) => () => log.push(`${what}@${clock.elapsed() - t0}`);
    a.start();
    await clock.advance(1);
    b.start();
    await clock.advance(4_000);
    linkA.hang = true; // renewals from now on never answer: no error, no timeout from the server
    const t0 = clock.elapsed();
    a.lostSignal.addEventListener('abort', at('a-lost'));
    await clock.advance(30_000);
    expect(a.isLeader()).toBe(false);
    expect(b.isLeader()).toBe(true);
    const lost = log.find((l) => l.startsWith('a-lost@'))!;
    const lostAt = Number(lost.split('@')[1]);
    expect(lostAt).toBeLessThanOrEqual(10_000); // renewDeadline after the last renewal, at most
    expect(log.indexOf('a stopped')).toBeLessThan(log.indexOf('b started'));
    await a.stop({ release: false });
    await b.stop({ release: false });
  });

  it("a renew deadline timer that fires a little early (as Node's can, against performance.now) still ends leadership", async () => {
    // Node rounds a timer's start to the loop's millisecond: it may fire up to 1 ms before the delay has passed by the monotonic clock.
    class EarlyClock extends ManualClock {
      override setTimeout(fn: () => void, ms: number) {
        return super.setTimeout(fn, Math.max(0, ms - 0.5));
      }
    }
    const clock = new EarlyClock();
    const server = new LeaseServer();
    const log: string[] = [];
    const link = new Link(server);
    const a = elector(link, clock, 'a', log);
    a.start();
    await clock.advance(1);
    expect(a.isLeader()).toBe(true);
    link.hang = true; // its renewals never answer, so only the deadline timer can end leadership
    await clock.advance(12_000);
    expect(a.isLeader()).toBe(false);
    expect(log).toContain('a stopped');
    await a.stop({ release: false });
  });

  it('refuses inconsistent timings', () => {
    expect(() => new LeaderElector({ client: {} as never, namespace: 'n', name: 'l', identity: 'i', leaseDurationMs: 5_000, renewDeadlineMs: 10_000 })).toThrow(/leaseDuration > renewDeadline/);
  });
});
