// The per-type parts of the ChannelAccount schema, derived from the channel-type table.
import { describe, expect, it } from 'vitest';
import { CHANNEL_ACCOUNT_SPEC_RULES, CREDENTIAL_BLOCKS, TYPES, typeIs, typeIsNot } from '../../../src/api/channelaccount-types.ts';
import { channelAccountCrd } from '../../../src/api/channelaccount.ts';
import { credentialBlocks, credentialSecretRefs } from '../../../src/api/credential-blocks.ts';
import type { ChannelAccountSpec } from '../../../src/api/types.generated.ts';
import { CHANNEL_TYPES, CHANNEL_TYPE_TABLE } from '../../../src/domain/index.ts';

describe('credential blocks', () => {
  it('one block per type with credentials, named after the type, in the spec schema', () => {
    expect(CREDENTIAL_BLOCKS).toEqual(
      CHANNEL_TYPES.filter((t) => CHANNEL_TYPE_TABLE[t].credential !== 'none').map((t) => ({ type: t, key: t.toLowerCase(), kind: CHANNEL_TYPE_TABLE[t].credential })),
    );
    expect(CREDENTIAL_BLOCKS.slice(0, 3)).toEqual([
      { type: 'FTP', key: 'ftp', kind: 'password' },
      { type: 'SFTP', key: 'sftp', kind: 'sshKey' },
      { type: 'REST', key: 'rest', kind: 'clientId' },
    ]);
    const properties = Object.keys(channelAccountCrd.spec.properties ?? {});
    for (const { key } of CREDENTIAL_BLOCKS) expect(properties).toContain(key);
    const withoutBlock = CHANNEL_TYPES.filter((t) => CHANNEL_TYPE_TABLE[t].credential === 'none').map((t) => t.toLowerCase());
    for (const key of withoutBlock) expect(properties).not.toContain(key);
  });

  it('reads blocks and their Secret references by kind, in table order', () => {
    const spec = {
      senderRef: { name: 's' },
      type: 'SFTP',
      ftp: { username: 'A', passwordSecretRef: { name: 'pw' } },
      sftp: { username: 'B', publicKeySecretRef: { name: 'key', key: 'k' } },
      rest: { clientIdConfigMap: { name: 'cm' } },
    } as ChannelAccountSpec;
    const blocks = credentialBlocks(spec);
    expect(blocks.map((b) => [b.kind, b.field])).toEqual([['password', 'spec.ftp'], ['sshKey', 'spec.sftp'], ['clientId', 'spec.rest']]);
    expect(blocks.flatMap(credentialSecretRefs)).toEqual([
      { name: 'pw', defaultKey: 'password', field: 'spec.ftp.passwordSecretRef', what: 'FTP password', role: 'ftp-password' },
      { name: 'key', key: 'k', defaultKey: 'ssh-publickey', field: 'spec.sftp.publicKeySecretRef', what: 'SSH public key', role: 'ssh-public-key' },
    ]);
  });
});

describe('CEL rules written from the type lists', () => {
  it('names one type with ==, several with in', () => {
    expect(typeIs(['REST'])).toBe("self.type == 'REST'");
    expect(typeIs(['REST', 'SOAP'])).toBe("self.type in ['REST', 'SOAP']");
    expect(typeIsNot(['SOAP'])).toBe("self.type != 'SOAP'");
    expect(typeIsNot(['FTP', 'SOAP'])).toBe("!(self.type in ['FTP', 'SOAP'])");
  });

  it('has a rule per block, then the type rules, in the order the CRD lists them', () => {
    expect(Object.keys(CHANNEL_ACCOUNT_SPEC_RULES)).toEqual([
      ...CREDENTIAL_BLOCKS.map((b) => `${b.key}Section`),
      'managementOnly',
      'singleCertificate',
      'internalCertificates',
      'intermediaryNoCertificates',
      'permissionsRequired',
      'noPermissions',
    ]);
    expect(channelAccountCrd.spec['x-kubernetes-validations']).toEqual(Object.values(CHANNEL_ACCOUNT_SPEC_RULES));
    expect(TYPES.managed).toContain('REST');
  });
});
