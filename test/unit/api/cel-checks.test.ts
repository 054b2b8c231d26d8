import { describe, expect, it } from 'vitest';
import { CHAMAN_SENDER_GRANT_CEL_CHECKS, CHANNEL_ACCOUNT_CEL_CHECKS } from '../../../src/api/cel-checks.ts';
import { chamanSenderGrantCrd } from '../../../src/api/chamansendergrant.ts';
import { channelAccountCrd } from '../../../src/api/channelaccount.ts';
import type { CelRule, Schema } from '../../../src/api/openapi.ts';

function allRules(schema: Schema): CelRule[] {
  const own = schema['x-kubernetes-validations'] ?? [];
  const children = [...Object.values(schema.properties ?? {}), ...(schema.items ? [schema.items] : [])];
  return [...own, ...children.flatMap(allRules)];
}

const base = (type: string, extra: Record<string, unknown> = {}) => ({
  senderRef: { name: 's' },
  type,
  permissions: ['X'],
  certificates: [{ name: 'c', secretRef: { name: 'c' } }],
  ...(type === 'FTP' ? { ftp: { username: 'WK23', passwordSecretRef: { name: 'p' } } } : {}),
  ...(type === 'SFTP' ? { sftp: { username: 'WK23', publicKey: 'ssh-ed25519 AAAA' } } : {}),
  ...extra,
});

function failing(spec: Record<string, unknown>): string[] {
  return CHANNEL_ACCOUNT_CEL_CHECKS.filter((c) => !c.holds(spec)).map((c) => c.rule.rule);
}

describe('CEL rules mirrored for offline validation', () => {
  it('every create-time CEL rule of the ChannelAccount schema has a TypeScript mirror', () => {
    const mirrored = new Set(CHANNEL_ACCOUNT_CEL_CHECKS.map((c) => c.rule.rule));
    const createTime = allRules(channelAccountCrd.spec).filter((r) => !r.rule.includes('oldSelf'));
    expect(createTime.length).toBeGreaterThan(5);
    for (const rule of createTime) expect(mirrored, rule.rule).toContain(rule.rule);
  });

  it('valid specs of each type pass every check', () => {
    expect(failing(base('FTP'))).toEqual([]);
    expect(failing(base('SFTP'))).toEqual([]);
    expect(failing(base('SOAP', { permissions: undefined }))).toEqual([]);
    expect(failing(base('REST'))).toEqual([]);
    expect(failing(base('REST', { management: 'TechnicalIntermediary', certificates: undefined }))).toEqual([]);
    expect(failing(base('REST', { certificates: [{}, {}, {}] }))).toEqual([]);
  });

  it.each([
    ['FTP without spec.ftp', base('FTP', { ftp: undefined }), "has(self.ftp) == (self.type == 'FTP')"],
    ['SOAP with spec.ftp', base('SOAP', { permissions: [], ftp: {} }), "has(self.ftp) == (self.type == 'FTP')"],
    ['SFTP without spec.sftp', base('SFTP', { sftp: undefined }), "has(self.sftp) == (self.type == 'SFTP')"],
    ['FTP with spec.rest', base('FTP', { rest: {} }), "!has(self.rest) || self.type == 'REST'"],
    ['SOAP with management', base('SOAP', { permissions: [], management: 'Internal' }), "!has(self.management) || self.type == 'REST'"],
    ['FTP with two certificates', base('FTP', { certificates: [{}, {}] }), "self.type == 'REST' || (has(self.certificates) && size(self.certificates) == 1)"],
    ['SOAP with none', base('SOAP', { permissions: [], certificates: [] }), "self.type == 'REST' || (has(self.certificates) && size(self.certificates) == 1)"],
    ['REST Internal with none', base('REST', { certificates: [] }), "self.type != 'REST' || (has(self.management) && self.management == 'TechnicalIntermediary') || (has(self.certificates) && size(self.certificates) >= 1)"],
    ['REST intermediary with one', base('REST', { management: 'TechnicalIntermediary' }), "!has(self.management) || self.management != 'TechnicalIntermediary' || !has(self.certificates) || size(self.certificates) == 0"],
    ['REST without permissions', base('REST', { permissions: [] }), "self.type == 'SOAP' || (has(self.permissions) && size(self.permissions) >= 1)"],
    ['SOAP with permissions', base('SOAP'), "self.type != 'SOAP' || !has(self.permissions) || size(self.permissions) == 0"],
    ['SFTP with both key forms', base('SFTP', { sftp: { username: 'A', publicKey: 'x', publicKeySecretRef: { name: 'k' } } }), 'has(self.publicKey) != has(self.publicKeySecretRef)'],
    ['SFTP with no key', base('SFTP', { sftp: { username: 'A' } }), 'has(self.publicKey) != has(self.publicKeySecretRef)'],
  ])('%s breaks exactly its rule', (_name, spec, rule) => {
    expect(failing(spec)).toEqual([rule]);
  });
});

describe('CEL rules of ChamanSenderGrant mirrored for offline validation', () => {
  const grantFailing = (spec: Record<string, unknown>): string[] =>
    CHAMAN_SENDER_GRANT_CEL_CHECKS.filter((c) => !c.holds(spec)).map((c) => c.rule.rule);
  const [scope, inValues, existsValues] = CHAMAN_SENDER_GRANT_CEL_CHECKS.map((c) => c.rule.rule);

  it('every create-time CEL rule of the grant schema has a TypeScript mirror', () => {
    const mirrored = new Set(CHAMAN_SENDER_GRANT_CEL_CHECKS.map((c) => c.rule.rule));
    const createTime = allRules(chamanSenderGrantCrd.spec).filter((r) => !r.rule.includes('oldSelf'));
    expect(createTime).toHaveLength(3);
    for (const rule of createTime) expect(mirrored, rule.rule).toContain(rule.rule);
  });

  it.each([
    ['namespaces only', { senderNumbers: ['300010'], namespaces: ['payroll'] }],
    ['a selector only', { senderNumbers: ['300010'], namespaceSelector: { matchLabels: { team: 'payroll' } } }],
    ['an empty selector (every namespace)', { senderNumbers: ['300010'], namespaceSelector: {} }],
    ['both, with every operator used right', { senderNumbers: ['1'], namespaces: ['a'], namespaceSelector: { matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }, { key: 'k', operator: 'NotIn', values: ['w'] }, { key: 'e', operator: 'Exists' }, { key: 'd', operator: 'DoesNotExist', values: [] }] } }],
  ])('%s passes', (_name, spec) => {
    expect(grantFailing(spec)).toEqual([]);
  });

  it.each([
    ['neither namespaces nor a selector', { senderNumbers: ['300010'] }, scope],
    ['an empty namespaces list and no selector', { senderNumbers: ['300010'], namespaces: [] }, scope],
    ['In without values', { senderNumbers: ['1'], namespaceSelector: { matchExpressions: [{ key: 'k', operator: 'In' }] } }, inValues],
    ['NotIn with an empty list', { senderNumbers: ['1'], namespaceSelector: { matchExpressions: [{ key: 'k', operator: 'NotIn', values: [] }] } }, inValues],
    ['Exists with values', { senderNumbers: ['1'], namespaceSelector: { matchExpressions: [{ key: 'k', operator: 'Exists', values: ['x'] }] } }, existsValues],
  ])('%s breaks exactly its rule', (_name, spec, rule) => {
    expect(grantFailing(spec)).toEqual([rule]);
  });
});
