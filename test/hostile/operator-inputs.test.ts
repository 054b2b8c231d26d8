// What the operator reads from a tenant's Secrets on every reconcile (readAccountInputs), at the
// Secret size limit and under it: each must cost about what a normal Secret of the same size costs,
// end in the rule's finding with its cap, and never carry a byte of the Secret into a finding.
import { describe, expect, it } from 'vitest';
import type { ChannelAccount } from '../../src/api/types.generated.ts';
import { readAccountInputs } from '../../src/controller/channel-account/account-inputs.ts';
import type { KubeStore } from '../../src/controller/ports.ts';
import { PERMISSION_CATALOG } from '../../src/domain/index.ts';
import { makeCa, makeCertificate, makeSshKey } from '../support/certs.ts';
import { KiB, MiB, expectBoundedRatio, padTo, utf8 } from './timing.ts';

const policy = { now: new Date(), sha1Cutoff: new Date(Date.now() + 86_400_000) };
const marker = 'hostile-marker-77c1';

function account(type: 'REST' | 'FTP' | 'SFTP'): ChannelAccount {
  const permission = PERMISSION_CATALOG.find((p) => p.channelTypes.includes(type))!.id;
  const spec: Record<string, unknown> = { senderRef: { name: 'apk' }, type, permissions: [permission] };
  if (type === 'REST') spec.certificates = [{ name: 'main', secretRef: { name: 's' } }];
  if (type === 'FTP') spec.ftp = { username: 'WK23', passwordSecretRef: { name: 's' } };
  if (type === 'SFTP') spec.sftp = { username: 'WK23', publicKeySecretRef: { name: 's' } };
  return { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: 'a', namespace: 'team' }, spec } as ChannelAccount;
}

const storeWith = (key: string, value: string) =>
  ({ readSecret: async () => ({ data: { [key]: utf8(value) }, resourceVersion: '1' }) }) as unknown as KubeStore;
const read = (type: 'REST' | 'FTP' | 'SFTP', key: string, value: string) => readAccountInputs(account(type), storeWith(key, value), PERMISSION_CATALOG, policy);
/** A normal Secret of the same size class: a certificate, padded with explanatory text. */
const normalSecretOf = async (size: number) => {
  const pem = padTo((await makeCertificate({ ca: await makeCa(), key: 'p384' })).pem, size);
  return () => read('REST', 'tls.crt', pem);
};

describe('a Secret of hostile bytes, read on each reconcile', () => {
  it.each([32 * KiB, 64 * KiB, 256 * KiB, MiB])('tls.crt of "-----BEGIN " then dashes, %i bytes: linear, R9', async (size) => {
    const leaf = await makeCertificate({ ca: await makeCa(), key: 'p384' });
    const hostile = `${marker}\n-----BEGIN ${'-'.repeat(size - marker.length - 12)}`;
    await expectBoundedRatio(`tls.crt ${size / KiB} KiB`, () => read('REST', 'tls.crt', hostile), () => read('REST', 'tls.crt', padTo(leaf.pem, size)));
    const { findings, desired } = await read('REST', 'tls.crt', hostile);
    expect(desired).toBeUndefined();
    expect(findings.map((f) => f.rule)).toEqual(['R9']);
    if (size > 64 * KiB) expect(findings[0]!.message).toContain('the limit is 65,536 bytes (64 KiB)');
    expect(JSON.stringify(findings)).not.toContain(marker);
  });

  it('an FTP password of 1 MiB: linear, R5, not echoed', async () => {
    const hostile = `${marker}${'p'.repeat(MiB - marker.length)}`;
    await expectBoundedRatio('password 1 MiB', () => read('FTP', 'password', hostile), await normalSecretOf(MiB));
    const { findings } = await read('FTP', 'password', hostile);
    expect(findings.map((f) => f.rule)).toEqual(['R5']);
    expect(JSON.stringify(findings)).not.toContain(marker);
  });

  it('an SSH public key of 1 MiB: linear, R17 with the cap, not echoed', async () => {
    const key = makeSshKey('ed25519');
    const hostile = `${key.publicOpenSsh} ${marker}${'c'.repeat(MiB)}`;
    await expectBoundedRatio('ssh key 1 MiB', () => read('SFTP', 'ssh-publickey', hostile), await normalSecretOf(MiB));
    const { findings } = await read('SFTP', 'ssh-publickey', hostile);
    expect(findings.map((f) => f.rule)).toEqual(['R17']);
    expect(findings[0]!.message).toContain('the limit is 8,192 bytes (8 KiB)');
    expect(JSON.stringify(findings)).not.toContain(marker);
  });
});
