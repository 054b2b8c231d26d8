// Strings a user writes into an object (annotations, contact data, user names) are matched against
// patterns: each pattern must cost linear time on a hostile value, and a finding shows at most a short
// prefix of what it refuses.
import { describe, expect, it } from 'vitest';
import { checkContact, checkExternalName, checkUsername, isAccountId } from '../../src/domain/index.ts';
import { KiB, expectBoundedRatio } from './timing.ts';

const SIZE = 64 * KiB;
const contact = (email: string, number = '0486531619', name = 'Jane Peeters') => ({ name, phone: { countryCode: '+32', number }, email, language: 'fr' });
const normalEmail = `${'a'.repeat(SIZE - 20)}@apk.example`;

describe('chaman.io/external-name', () => {
  it.each([
    ['letters then a bang', `${'a'.repeat(SIZE)}!`],
    ['dots', '.'.repeat(SIZE)],
    ['path segments', '../'.repeat(SIZE / 3)],
  ])('%s: linear, SCHEMA InvalidExternalName, the value shown cut to 40 characters', async (label, hostile) => {
    await expectBoundedRatio(label, () => checkExternalName(hostile), () => checkExternalName(`${'a'.repeat(SIZE)}`));
    expect(isAccountId(hostile)).toBe(false);
    const [finding] = checkExternalName(hostile);
    expect(finding).toMatchObject({ rule: 'SCHEMA', reason: 'InvalidExternalName' });
    expect(finding!.message.length).toBeLessThan(400);
  });
});

describe('contact data and user names', () => {
  it.each([
    ['an e-mail of dotted labels', `a@a.${'a.'.repeat(SIZE / 2)}!`],
    ['an e-mail of @ signs', 'a@'.repeat(SIZE / 2)],
    ['an e-mail of dots in the local part', `${'a.'.repeat(SIZE / 2)}@`],
    ['an e-mail of hyphens', `a@a${'-'.repeat(SIZE)}`],
  ])('%s: linear, R1', async (label, email) => {
    await expectBoundedRatio(label, () => checkContact(contact(email), 'spec.contact'), () => checkContact(contact(normalEmail), 'spec.contact'));
    expect(checkContact(contact(email), 'spec.contact').map((f) => f.rule)).toContain('R1');
  });

  it('a phone number of digits and spaces: linear, R1', async () => {
    const number = '1 '.repeat(SIZE / 2);
    await expectBoundedRatio('phone', () => checkContact(contact(normalEmail, number), 'spec.contact'), () => checkContact(contact(normalEmail), 'spec.contact'));
    expect(checkContact(contact(normalEmail, number), 'spec.contact').map((f) => f.field)).toContain('spec.contact.phone.number');
  });

  it('a user name of 64 KiB: linear, R4, shown cut', async () => {
    const name = 'A'.repeat(SIZE);
    await expectBoundedRatio('user name', () => checkUsername(name, 'spec.ftp.username'), () => checkUsername('WK23', 'spec.ftp.username'));
    const [finding] = checkUsername(name, 'spec.ftp.username');
    expect(finding!.rule).toBe('R4');
    expect(finding!.message.length).toBeLessThan(1000);
  });
});
