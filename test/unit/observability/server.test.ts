import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createOperatorMetrics } from '../../../src/observability/metrics.ts';
import { parseAddr, startObservabilityServer, type ObservabilityServer } from '../../../src/observability/server.ts';

const servers: ObservabilityServer[] = [];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('observability server', () => {
  it('serves /metrics on one address and /healthz, /readyz on another', async () => {
    const m = createOperatorMetrics();
    m.reconcileTotal.inc({ kind: 'ChannelAccount', result: 'success' });
    let synced = false;
    const s = await startObservabilityServer({
      registry: m.registry,
      metricsAddr: '127.0.0.1:0',
      healthAddr: '127.0.0.1:0',
      readiness: { informers: () => synced || 'informers not synced' },
    });
    servers.push(s);
    const metrics = await fetch(`${s.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toContain('chaman_reconcile_total{kind="ChannelAccount",result="success"} 1');
    expect((await fetch(`${s.metricsUrl}/healthz`)).status).toBe(404);
    expect((await fetch(`${s.healthUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${s.healthUrl}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${s.healthUrl}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('informers not synced');
    synced = true;
    expect((await fetch(`${s.healthUrl}/readyz`)).status).toBe(200);
    s.addLivenessCheck('loop', () => {
      throw new Error('wedged');
    });
    expect((await fetch(`${s.healthUrl}/healthz`)).status).toBe(503);
  });

  it('serves everything from one address when both are equal, and closes cleanly', async () => {
    const m = createOperatorMetrics();
    const port = await freePort();
    const s = await startObservabilityServer({ registry: m.registry, metricsAddr: `127.0.0.1:${port}`, healthAddr: `127.0.0.1:${port}` });
    expect((await fetch(`${s.metricsUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${s.metricsUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${s.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
    await s.close();
    await expect(fetch(`${s.metricsUrl}/metrics`)).rejects.toThrow();
  });

  it('parses addresses', () => {
    expect(parseAddr(':8080')).toEqual({ host: undefined, port: 8080 });
    expect(parseAddr('0.0.0.0:9090')).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(parseAddr('[::1]:81')).toEqual({ host: '::1', port: 81 });
    expect(() => parseAddr('8080')).toThrow(/host:port/);
  });
});
