import { describe, expect, it } from 'vitest';
import { checkExternalName, foreignAccount, isAccountId } from '../../../src/domain/index.ts';
import { createKey } from '../../../src/controller/channel-account/channel-account-external.ts';

describe('external name (issue 16 item 8): an account id, never a path segment of its own', () => {
  it.each(['acc-1a2b3c', 'A1', 'acc_01.x', 'x'.repeat(128)])('%s is an account id', (id) => {
    expect(isAccountId(id)).toBe(true);
    expect(checkExternalName(id)).toEqual([]);
  });
  it.each(['', '.', '..', '../x', 'a/b', 'a b', '%2e%2e', '-a', 'x'.repeat(129), 'acc?x=1', 'é'])('%j is refused with the field, the rule and what to do', (value) => {
    expect(isAccountId(value)).toBe(false);
    const [finding] = checkExternalName(value);
    expect(finding).toMatchObject({ rule: 'SCHEMA', severity: 'error', reason: 'InvalidExternalName', field: 'metadata.annotations[chaman.io/external-name]' });
    expect(finding!.message).toMatch(/remove it to create a new account/);
  });
  it('no annotation: nothing to check', () => expect(checkExternalName(undefined)).toEqual([]));
});

describe('foreignAccount (issue 16 item 3): what the annotation names must be of this type and sender', () => {
  const wanted = { type: 'REST' as const, senderNumber: '300010' };
  it('another channel type is foreign, whatever the replacement policy', () => {
    expect(foreignAccount({ id: 'acc-1', type: 'SOAP' }, wanted)).toMatch(/is a SOAP account and this ChannelAccount is REST.*Nothing was written or deleted/);
  });
  it("a REST client ID of another sender is foreign; one of this sender's is not", () => {
    expect(foreignAccount({ id: 'acc-1', type: 'REST', clientId: 'self_service_chaman_300011_abcdefghij' }, wanted)).toMatch(/another sender than 300010/);
    expect(foreignAccount({ id: 'acc-1', type: 'REST', clientId: 'self_service_chaman_3000100_abcdefghij' }, wanted)).toMatch(/another sender/);
    expect(foreignAccount({ id: 'acc-1', type: 'REST', clientId: 'self_service_chaman_300010_abcdefghij' }, wanted)).toBeUndefined();
  });
  it('same type without a client ID (FTP, SFTP, SOAP) is not foreign', () => {
    expect(foreignAccount({ id: 'acc-1', type: 'FTP' }, { type: 'FTP', senderNumber: '300010' })).toBeUndefined();
  });
});

describe('createKey (issue 16 item 4): one key names one body', () => {
  const body = { type: 'FTP' as const, name: 'ftp', permissions: [], username: 'WK23', password: 'S3cret-pass!', certificates: [] };
  it('the same create gives the same key; another body, or another password Secret version, another key', () => {
    const key = createKey('chaman-operator-uid-1', body, '41');
    expect(createKey('chaman-operator-uid-1', { ...body }, '41')).toBe(key);
    expect(createKey('chaman-operator-uid-1', { ...body, name: 'renamed' }, '41')).not.toBe(key);
    expect(createKey('chaman-operator-uid-1', body, '42')).not.toBe(key);
    expect(createKey('chaman-operator-uid-2', body, '41')).not.toBe(key);
    expect(key.startsWith('chaman-operator-uid-1-')).toBe(true);
  });
  it('the password itself is not in the key: only its Secret version is', () => {
    expect(createKey('k', body, '41')).toBe(createKey('k', { ...body, password: 'another-one' }, '41'));
    expect(createKey('k', body, '41')).not.toContain('S3cret');
  });
});
