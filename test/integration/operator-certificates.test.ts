// Certificates: a Secret change rotates the certificate in Chaman (REST: add before remove, never
// zero); CertExpiring is set exactly at notAfter − window and the expiry metric is exported.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCa, makeCertificate, type MadeCa } from '../../src/devtools/certificates.ts';
import { waitFor } from './support/cluster.ts';
import { account, harnessWithSender, stopHarness, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;
let ca: MadeCa;
const DAY = 86_400_000;

beforeEach(async () => {
  h = await harnessWithSender('certs');
  ca ??= await makeCa();
});

afterEach(() => stopHarness(h));

const restAccount = (extra: Record<string, unknown> = {}) =>
  account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }], ...extra });

/** Certificates per REST account, read straight from the emulator's state (no HTTP). */
function restCertificateCounts(): number[] {
  const state = h.emulator.state() as { accounts: { type: string; certificates: unknown[] }[] };
  return state.accounts.filter((a) => a.type === 'REST').map((a) => a.certificates.length);
}

describe('certificate rotation', () => {
  it('a new certificate in the Secret is added before the old one is removed: never zero certificates', async () => {
    const first = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('rest-cert', first.pem, first.privateKeyPem));
    await h.apply(restAccount());
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    expect(restCertificateCounts()).toEqual([1]);

    const seen = new Set<number>();
    const sampler = setInterval(() => restCertificateCounts().forEach((n) => seen.add(n)), 1);
    const since = h.emulator.requests().recent.at(-1)?.seq ?? 0;
    const second = await makeCertificate({ ca, freshKey: true });
    await h.apply(tlsSecret('rest-cert', second.pem, second.privateKeyPem)); // the Secret change is the only trigger
    const serial = BigInt(`0x${second.certificate.serialNumber}`).toString();
    await waitFor('rotated in Chaman', async () => {
      const [a] = await h.chaman.listAccounts('300010');
      return a?.certificates.length === 1 && a.certificates[0]!.serialNumber === serial;
    });
    clearInterval(sampler);
    expect(seen.has(0)).toBe(false);
    const order = h.emulator.requests(since).recent.filter((r) => r.method !== 'GET').map((r) => r.operation);
    expect(order).toEqual(['addCertificate', 'removeCertificate']);
    // Status follows once the rotation's reconcile ends (a quick update shows no Updating in between).
    await waitFor('status shows the new certificate', async () => {
      const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
      return ready.status?.certificates?.length === 1 && ready.status.certificates[0]!.serialNumber === serial;
    });
  });
});

describe('expiry', () => {
  it('CertExpiring turns True at notAfter − window with no other trigger, and the expiry metric is exported', async () => {
    const notAfter = new Date(Math.ceil((Date.now() + 30 * DAY + 4000) / 1000) * 1000);
    const cert = await makeCertificate({ ca, freshKey: true, notAfter, subject: 'C=BE, O=APK, CN=soon' });
    await h.apply(tlsSecret('rest-cert', cert.pem));
    await h.apply(restAccount({ certificateExpiryWarning: '720h' }));
    const early = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    expect(early.status?.conditions?.find((c) => c.type === 'CertExpiring')?.status).toBe('False');
    expect(early.status?.nextCertificateExpiry).toBe(notAfter.toISOString().replace('.000Z', 'Z'));

    const before = h.emulator.requests().total;
    const expiring = await h.waitForCondition('ChannelAccount', 'rest', 'CertExpiring', 'True', 'CertificateExpiring', 15_000);
    const becameTrue = Date.parse(expiring.status!.conditions!.find((c) => c.type === 'CertExpiring')!.lastTransitionTime);
    expect(Math.abs(becameTrue - (notAfter.getTime() - 30 * DAY))).toBeLessThan(2000);
    expect(expiring.status!.conditions!.find((c) => c.type === 'CertExpiring')!.message).toContain(`"main" expires on ${notAfter.toISOString().slice(0, 10)}`);
    expect(h.emulator.requests().total - before).toBeLessThanOrEqual(2); // one precise wake-up, not polling

    const text = await h.running!.metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith('chaman_certificate_expiration_timestamp_seconds{') && l.includes('account="rest"'));
    expect(line).toContain(`namespace="${h.namespace}"`);
    expect(line).toContain('sender="apk"');
    expect(line).toContain('type="REST"');
    expect(line).toContain('certificate="main"');
    expect(line).toMatch(new RegExp(` ${notAfter.getTime() / 1000}$`));
    expect(text).toMatch(/chaman_certificate_not_before_timestamp_seconds\{[^}]*account="rest"/);
  });

  it('never Ready=True on an expired certificate: at notAfter it turns CertExpired and Invalid (R10) by itself', async () => {
    const notAfter = new Date(Math.ceil((Date.now() + 5000) / 1000) * 1000);
    const cert = await makeCertificate({ ca, freshKey: true, notAfter });
    await h.apply(tlsSecret('rest-cert', cert.pem));
    await h.apply(restAccount());
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    const expired = await h.waitForCondition('ChannelAccount', 'rest', 'CertExpired', 'True', 'CertificateExpired', 15_000);
    expect(expired.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(expired.status!.conditions!.find((c) => c.type === 'Invalid')).toMatchObject({ status: 'True', reason: 'InvalidCertificate' });
    expect(expired.status!.conditions!.find((c) => c.type === 'Invalid')!.message).toContain('R10');
    // The gauge is read from the operator's cache at scrape time: it follows the status once the watch delivers it.
    await waitFor('chaman_resource_ready 0', async () => /chaman_resource_ready\{[^}]*name="rest"[^}]*\} 0/.test(await h.running!.metrics.registry.metrics()), 5000);
  });
});
