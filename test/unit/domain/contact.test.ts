import { describe, expect, it } from 'vitest';
import {
  EMAIL_PATTERN,
  PHONE_COUNTRY_CODE_PATTERN,
  PHONE_NUMBER_PATTERN,
  SENDER_NUMBER_PATTERN,
  USERNAME_PATTERN,
  checkContact,
  isValidSenderNumber,
} from '../../../src/domain/index.ts';

const valid = {
  name: 'Jane Peeters',
  role: 'Technical lead',
  phone: { countryCode: '+32', number: '0486531619' },
  email: 'jane.peeters@apk.example',
  language: 'fr',
};

describe('R1 contact data', () => {
  it('accepts the example of the spec, with and without a role', () => {
    expect(checkContact(valid, 'spec.contact')).toEqual([]);
    const { role: _role, ...noRole } = valid;
    expect(checkContact(noRole, 'spec.contact')).toEqual([]);
  });

  it('accepts every language and refuses others', () => {
    for (const language of ['fr', 'nl', 'de', 'en']) expect(checkContact({ ...valid, language }, '')).toEqual([]);
    const [f] = checkContact({ ...valid, language: 'it' }, 'spec.contact');
    expect(f).toMatchObject({ rule: 'R1', field: 'spec.contact.language', reason: 'InvalidContact', severity: 'error' });
  });

  it('requires contact data at all', () => {
    for (const c of [undefined, null, 'x', []]) {
      const findings = checkContact(c, 'spec.contact');
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'R1', field: 'spec.contact', reason: 'InvalidContact' });
    }
  });

  it('names each missing part with a bare path when the prefix is empty', () => {
    const fields = checkContact({}, '').map((f) => f.field);
    expect(fields).toEqual(['name', 'phone', 'email', 'language']);
  });

  it.each([
    ['name', { ...valid, name: '  ' }, 'spec.contact.name'],
    ['name too long', { ...valid, name: 'x'.repeat(101) }, 'spec.contact.name'],
    ['role not text', { ...valid, role: 3 }, 'spec.contact.role'],
    ['country code without +', { ...valid, phone: { countryCode: '32', number: '0486531619' } }, 'spec.contact.phone.countryCode'],
    ['country code +0', { ...valid, phone: { countryCode: '+032', number: '0486531619' } }, 'spec.contact.phone.countryCode'],
    ['country code too long', { ...valid, phone: { countryCode: '+12345', number: '0486531619' } }, 'spec.contact.phone.countryCode'],
    ['number with letters', { ...valid, phone: { countryCode: '+32', number: '0486ABC619' } }, 'spec.contact.phone.number'],
    ['number too short', { ...valid, phone: { countryCode: '+32', number: '12345' } }, 'spec.contact.phone.number'],
    ['number with slashes', { ...valid, phone: { countryCode: '+32', number: '0486/53.16.19' } }, 'spec.contact.phone.number'],
    ['two e-mails', { ...valid, email: 'a@b.be, c@d.be' }, 'spec.contact.email'],
    ['e-mail without domain dot', { ...valid, email: 'jane@localhost' }, 'spec.contact.email'],
  ])('refuses %s', (_what, contact, field) => {
    const findings = checkContact(contact, 'spec.contact');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R1', field, reason: 'InvalidContact' });
    expect(findings[0]!.message).toMatch(/^R1: /);
  });

  it('accepts grouped numbers and the boundaries 6 and 15 digits', () => {
    for (const number of ['0486 53 16 19', '123456', '123456789012345']) {
      expect(checkContact({ ...valid, phone: { countryCode: '+1', number } }, '')).toEqual([]);
    }
    expect(checkContact({ ...valid, phone: { countryCode: '+32', number: '1234567890123456' } }, '')).toHaveLength(1);
    expect(checkContact({ ...valid, phone: { countryCode: '+32', number: '0486  531619' } }, '')).toHaveLength(1);
  });
});

describe('patterns shared with the CRD schema', () => {
  // RE2 (Kubernetes) has no lookarounds and no backreferences; ajv compiles with the u flag.
  const patterns = { EMAIL_PATTERN, PHONE_COUNTRY_CODE_PATTERN, PHONE_NUMBER_PATTERN, SENDER_NUMBER_PATTERN, USERNAME_PATTERN };
  it.each(Object.entries(patterns))('%s is RE2-safe and compiles with the u flag', (_name, p) => {
    expect(p).not.toMatch(/\(\?[=!<]/);
    expect(p).not.toMatch(/\\[1-9]/);
    expect(() => new RegExp(p, 'u')).not.toThrow();
    expect(p.startsWith('^') && p.endsWith('$')).toBe(true);
  });

  it('sender numbers are 1 to 10 digits', () => {
    expect(isValidSenderNumber('300010')).toBe(true);
    expect(isValidSenderNumber('1234567890')).toBe(true);
    expect(isValidSenderNumber('12345678901')).toBe(false);
    expect(isValidSenderNumber('')).toBe(false);
    expect(isValidSenderNumber('30001a')).toBe(false);
  });

  it('e-mail pattern', () => {
    const re = new RegExp(EMAIL_PATTERN, 'u');
    for (const ok of ['user@smals.be', "o'brien+tag@sub.example.co.uk", 'a_b-c@x-y.eu']) expect(re.test(ok)).toBe(true);
    for (const bad of ['user@', '@x.be', 'a..b@x.be', '.a@x.be', 'a@-x.be', 'a b@x.be', 'a@x.b']) expect(re.test(bad)).toBe(false);
  });
});
