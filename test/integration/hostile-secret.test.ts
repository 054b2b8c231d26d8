// Blast radius (issue 16 item 1), on the real control plane: one namespace's hostile tls.crt must not
// stall the operator for another namespace. A 256 KiB Secret of "-----BEGIN " then dashes once held
// the event loop for minutes (a quadratic regex, run twice per reconcile): another team's account
// waited as long to become Ready, and /healthz stopped answering. Both are measured here against a
// baseline taken in the same test, on the same machine. On the code before the fix, the other account
// was still not Ready after 585 s (the test's own API call then timed out: the event loop it shares
// with the operator had been held); after it, 0.2 to 0.9 s, as fast as the baseline.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAccount } from '../../src/api/types.generated.ts';
import { apply } from '../../src/devtools/apply.ts';
import { makeCa, makeCertificate, type MadeCa, type MadeCertificate } from '../../src/devtools/certificates.ts';
import { RESOURCES, resourcePath, type KubeObject } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, waitFor } from './support/cluster.ts';
import { account, sender, startHarness, stopHarness, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
let hostileNamespace: string;
let ca: MadeCa;

beforeEach(async () => {
  h = await startHarness(await createNamespace('victim'));
  hostileNamespace = await createNamespace('hostile');
  ca ??= await makeCa();
});

afterEach(async () => {
  await stopHarness(h);
  await deleteNamespace(hostileNamespace);
});

const inHostile = (object: Record<string, unknown>) =>
  apply(h.kube, { ...object, metadata: { ...(object.metadata as object), namespace: hostileNamespace } } as KubeObject, 'integration-tests');

async function inHostileNamespace(kind: 'ChamanSender' | 'ChannelAccount', name: string): Promise<ChannelAccount | undefined> {
  const rt = kind === 'ChamanSender' ? RESOURCES.chamanSenders : RESOURCES.channelAccounts;
  const path = resourcePath(rt, hostileNamespace, name);
  return h.kube.request<ChannelAccount>({ verb: 'get', resource: rt.plural, method: 'GET', path }).catch(() => undefined);
}

const hasCondition = (o: ChannelAccount | undefined, type: string, status: string) => o?.status?.conditions?.some((c) => c.type === type && c.status === status);

const restAccount = (name: string, secret: string, senderName = 'apk') =>
  account(name, { senderRef: { name: senderName }, type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: secret } }] });

/** Applies a good certificate and a REST account using it in the victim namespace; ms until Ready. */
async function timeToReady(name: string, cert: MadeCertificate): Promise<number> {
  const start = Date.now();
  await h.apply(tlsSecret(`${name}-cert`, cert.pem, cert.privateKeyPem));
  await h.apply(restAccount(name, `${name}-cert`));
  await h.waitForCondition('ChannelAccount', name, 'Ready', 'True', undefined, 240_000);
  return Date.now() - start;
}

describe('a hostile certificate Secret in one namespace', () => {
  it("does not delay another namespace's account, nor block the event loop; it is refused with R9 and the cap", { timeout: 300_000 }, async () => {
    await h.startOperator({}, h.token, { namespaces: [h.namespace, hostileNamespace] });
    await h.apply(sender('apk', '300010'));
    await inHostile(sender('evil', '300020'));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True');
    await waitFor('the hostile namespace sender is Ready', async () => hasCondition(await inHostileNamespace('ChamanSender', 'evil'), 'Ready', 'True'));

    // Keys are made first: generating one blocks this process's event loop, which the operator shares.
    const [baselineCert, victimCert] = [await makeCertificate({ ca, freshKey: true }), await makeCertificate({ ca, freshKey: true })];
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const baselineMs = await timeToReady('baseline', baselineCert);
    const baselineDelayMs = delay.max / 1e6;
    delay.reset();

    // The hostile Secret: a marker (to grep for), then the pattern, 256 KiB in all (the API server takes 1 MiB).
    const marker = `hostile-${randomBytes(8).toString('hex')}`;
    const hostile = `${marker}\n-----BEGIN ${'-'.repeat(256 * 1024 - marker.length - 12)}`;
    await inHostile(tlsSecret('bad-cert', hostile));
    await inHostile(restAccount('bad', 'bad-cert', 'evil'));
    const victimMs = await timeToReady('victim', victimCert);
    const refused = await waitFor(
      'the hostile account is Invalid',
      async () => {
        const a = await inHostileNamespace('ChannelAccount', 'bad');
        return hasCondition(a, 'Invalid', 'True') && a;
      },
      240_000,
      200,
    );
    const hostileDelayMs = delay.max / 1e6;
    delay.disable();
    const figures = `baseline ${baselineMs} ms to Ready, with the hostile Secret ${victimMs} ms; event-loop delay max ${baselineDelayMs.toFixed(0)} ms, then ${hostileDelayMs.toFixed(0)} ms`;
    console.log(figures);

    expect(victimMs, figures).toBeLessThan(Math.max(5 * baselineMs, baselineMs + 3000));
    expect(hostileDelayMs, figures).toBeLessThan(Math.max(5 * baselineDelayMs, 1000));
    const invalid = refused.status!.conditions!.find((c) => c.type === 'Invalid')!;
    expect(invalid.reason).toBe('InvalidCertificate');
    expect(invalid.message).toContain('[R9]');
    expect(invalid.message).toContain('the limit is 65,536 bytes (64 KiB)');
    // Nothing of the Secret's bytes reaches a status, a log line or Chaman.
    expect(JSON.stringify(refused)).not.toContain(marker);
    expect(h.logs.join('\n')).not.toContain(marker);
    expect(h.logs.join('\n')).not.toContain('-'.repeat(64));
    expect((h.emulator.state() as { accounts: { senderNumber: string }[] }).accounts.filter((a) => a.senderNumber === '300020')).toEqual([]);
  });
});
