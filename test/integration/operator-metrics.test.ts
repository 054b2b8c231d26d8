// Per-object metrics are computed at scrape time from the operator's caches: on a real API server, an
// account deleted with deletionPolicy Orphan (its Chaman account stays) leaves no series behind, so no
// expiry alert fires for an object that no longer exists (issue 12).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RESOURCES, resourcePath } from '../../src/kube/client.ts';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { waitFor } from './support/cluster.ts';
import { account, harnessWithSender, stopHarness, tlsSecret, type Harness } from './support/operator.ts';

let h: Harness;

beforeEach(async () => {
  h = await harnessWithSender('metrics');
});

afterEach(() => stopHarness(h));

const scrape = () => h.running!.metrics.registry.metrics();
const seriesOf = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes(`namespace="${h.namespace}"`) && /(account|name)="rest"/.test(l));

describe('per-object metrics follow the objects', () => {
  it('an account deleted with deletionPolicy Orphan has no series on the next scrape', async () => {
    const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
    await h.apply(tlsSecret('rest-cert', cert.pem, cert.privateKeyPem));
    await h.apply(account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], deletionPolicy: 'Orphan', certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
    await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True');
    await waitFor('chaman_resource_ready 1', async () => seriesOf(await scrape(), 'chaman_resource_ready')[0]?.endsWith(' 1'), 10_000);
    const before = await scrape();
    expect(seriesOf(before, 'chaman_certificate_expiration_timestamp_seconds')).toHaveLength(1);
    expect(seriesOf(before, 'chaman_certificate_not_before_timestamp_seconds')).toHaveLength(1);

    await h.kube.request({ verb: 'delete', resource: 'channelaccounts', method: 'DELETE', path: resourcePath(RESOURCES.channelAccounts, h.namespace, 'rest') });
    await waitFor('the account is gone', async () => (await h.get('ChannelAccount', 'rest')) === undefined, 30_000);
    await waitFor('its series are gone', async () => seriesOf(await scrape(), 'chaman_resource_ready').length === 0, 10_000);
    const after = await scrape();
    expect(seriesOf(after, 'chaman_certificate_expiration_timestamp_seconds')).toEqual([]);
    expect(seriesOf(after, 'chaman_certificate_not_before_timestamp_seconds')).toEqual([]);
    expect(seriesOf(after, 'chaman_resource_synced')).toEqual([]);
    // Orphan: the account is still in Chaman; only the object is gone.
    expect((h.emulator.state() as { accounts: { type: string }[] }).accounts.filter((a) => a.type === 'REST')).toHaveLength(1);
  });
});
