// How `chaman-operator run` paces itself (issue 19 item 1), in a real process: its reconciles in
// flight follow an adaptive limit it exports, and a process started during a Chaman outage sends one
// Chaman request at a time, one a second, instead of each worker's first calls at once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChannelAccount } from '../../src/api/types.generated.ts';
import { sampleSum } from '../../src/devtools/metrics-text.ts';
import { RESOURCES, resourcePath, type KubeList, type KubeObject } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, waitFor } from './support/cluster.ts';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { account, sender, startHarness, tlsSecret, type Harness } from './support/operator.ts';
import { startOperatorProcess, type OperatorProcess } from './support/operator-process.ts';

let h: Harness;
let dir: string;
let operator: OperatorProcess | undefined;

const start = async (extraArgs: string[] = []) => {
  operator = await startOperatorProcess({ namespace: h.namespace, chamanUrl: h.emulator.url, tokenFile: join(dir, 'token'), extraArgs });
  return operator;
};

const limitOf = async (p: OperatorProcess): Promise<number | undefined> => {
  try {
    return sampleSum(await (await fetch(p.metricsUrl)).text(), 'chaman_workqueue_concurrency_limit', 'queue="chaman"');
  } catch {
    return undefined; // not listening yet
  }
};

beforeEach(async () => {
  h = await startHarness(await createNamespace('pace'));
  dir = mkdtempSync(join(tmpdir(), 'operator-pace-'));
  writeFileSync(join(dir, 'token'), h.token, { mode: 0o600 });
});

afterEach(async () => {
  await operator?.stop('SIGKILL');
  operator = undefined;
  const logs = h.logs.join('\n');
  await h.stop();
  await deleteNamespace(h.namespace);
  rmSync(dir, { recursive: true, force: true });
  expect(logs).not.toContain(h.token);
});

it('a process started during a Chaman outage sends one request a second, from its first', async () => {
  h.emulator.setFaults({ errorRate: 1 }); // every call answered 503
  for (let i = 0; i < 6; i++) await h.apply(sender(`s${i}`, String(300010 + i)));
  const before = h.emulator.requests().total;
  const p = await start();
  await waitFor('the operator has sent its first Chaman call', () => h.emulator.requests().total > before, 30_000, 20);
  const first = performance.now();
  const callsAfter = async (ms: number) => {
    await new Promise((r) => setTimeout(r, first + ms - performance.now()));
    return { calls: h.emulator.requests().total - before, seconds: (performance.now() - first) / 1000 };
  };
  // Before, four workers sent their first calls at once and retried them: 5 or more in the first
  // 1.5 s, until the breaker had counted five failures. Now one, then one a second.
  const early = await callsAfter(1_500);
  expect(early.calls).toBeLessThanOrEqual(Math.floor(early.seconds) + 1);
  const later = await callsAfter(6_000);
  expect(later.calls).toBeLessThanOrEqual(Math.floor(later.seconds) + 1);

  h.emulator.setFaults({ errorRate: 0 });
  await h.waitForCondition('ChamanSender', 's0', 'Ready', 'True', undefined, 60_000);
  expect(p.output.join('')).not.toContain(h.token);
}, 90_000);

it('exports its concurrency limit: adaptive within --max-concurrency, or fixed by --concurrency', async () => {
  const adaptive = await start(['--max-concurrency', '6']);
  await waitFor('the adaptive limit is exported', async () => (await limitOf(adaptive)) !== undefined, 30_000, 50);
  for (let i = 0; i < 8; i++) await h.apply(sender(`s${i}`, String(300020 + i)));
  for (let i = 0; i < 8; i++) await h.waitForCondition('ChamanSender', `s${i}`, 'Ready', 'True', undefined, 60_000);
  const limit = (await limitOf(adaptive))!;
  expect(limit).toBeGreaterThanOrEqual(1);
  expect(limit).toBeLessThanOrEqual(6);
  await adaptive.stop();

  const fixed = await start(['--concurrency', '3']);
  await waitFor('the fixed limit is exported', async () => (await limitOf(fixed)) === 3, 30_000, 50);
}, 120_000);

it('accounts applied with their new sender wait for its first status instead of writing SenderNotReady first', async () => {
  const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
  await h.apply(tlsSecret('rest-cert', cert.pem, cert.privateKeyPem));
  // (a Chaman rate that never makes a create wait long enough for a progress status of its own)
  const p = await start(['--concurrency', '16', '--chaman-rate-limit', '1000']);
  await waitFor('the operator serves /metrics', async () => (await limitOf(p)) === 16, 30_000, 50);
  h.emulator.setFaults({ latencyMs: 300 }); // the sender's first reconcile takes a while: its accounts arrive meanwhile
  const names = Array.from({ length: 10 }, (_, i) => `rest-${i}`);
  await h.apply(sender('apk', '300010'));
  // The accounts arrive while the sender reconciles (two Chaman calls of 300 ms), once the operator has it in its cache.
  await new Promise((r) => setTimeout(r, 200));
  await Promise.all(names.map((n) => h.apply(account(n, { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }))));
  // Every Ready reason the accounts show on the way (SenderNotReady lasts as long as the sender's reconcile: ~0.7 s).
  const seen = new Set<string>();
  await waitFor('every account Ready', async () => {
    const list = await h.kube.request<KubeList<ChannelAccount & KubeObject>>({ verb: 'list', resource: 'channelaccounts', method: 'GET', path: resourcePath(RESOURCES.channelAccounts, h.namespace) });
    const reasons = list.items.map((a) => a.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? 'none');
    for (const r of reasons) seen.add(r);
    return reasons.length === names.length && reasons.every((r) => r === 'Available');
  }, 60_000, 25);
  expect([...seen].filter((r) => r === 'SenderNotReady')).toEqual([]);
}, 120_000);

it('ten accounts applied one after another to a Ready sender cost it one or two status writes, not one per account', async () => {
  const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
  await h.apply(tlsSecret('rest-cert', cert.pem, cert.privateKeyPem));
  const p = await start(['--concurrency', '16', '--chaman-rate-limit', '1000']);
  await h.apply(sender('apk', '300011'));
  await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 60_000);
  const senderStatusWrites = async () => sampleSum(await (await fetch(p.metricsUrl)).text(), 'chaman_kube_requests_total', 'resource="chamansenders/status"') ?? 0;
  const before = await senderStatusWrites();
  const names = Array.from({ length: 10 }, (_, i) => `rest-${i}`);
  // One at a time, 100 ms apart, as kubectl applies a file: each arrives after the sender's last reconcile.
  for (const n of names) {
    await h.apply(account(n, { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const n of names) await h.waitForCondition('ChannelAccount', n, 'Ready', 'True', undefined, 60_000);
  const counted = async () => (await h.kube.request<KubeObject & { status?: { accounts?: { rest?: number } } }>({ verb: 'get', resource: 'chamansenders', method: 'GET', path: resourcePath(RESOURCES.chamanSenders, h.namespace, 'apk') })).status?.accounts?.rest;
  await waitFor('the sender counts its ten REST accounts', async () => (await counted()) === 10, 30_000, 100);
  await new Promise((r) => setTimeout(r, 2_500)); // any count written late
  expect(await senderStatusWrites() - before).toBeLessThanOrEqual(2);
}, 120_000);
