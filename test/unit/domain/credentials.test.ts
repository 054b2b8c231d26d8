import { describe, expect, it } from 'vitest';
import { PASSWORD_SPECIALS, checkFtpPassword, checkUsername, displayUsername, stripUsernamePrefix } from '../../../src/domain/index.ts';

const errors = (f: { severity: string }[]) => f.filter((x) => x.severity === 'error');

describe('R4 user names', () => {
  it.each(['A', 'WK23', 'abcDEF1234', '0123456789'])('accepts %s', (u) => {
    expect(checkUsername(u, 'spec.ftp.username')).toEqual([]);
  });

  it('accepts 10 characters and refuses 11', () => {
    expect(checkUsername('abcdefghij', 'f')).toEqual([]);
    const [f] = checkUsername('abcdefghijk', 'spec.ftp.username');
    expect(f).toMatchObject({ rule: 'R4', field: 'spec.ftp.username', severity: 'error', reason: 'InvalidUsername' });
    expect(f!.message).toMatch(/at most 10/);
  });

  it.each([
    ['', /required/],
    ['WK 23', /space/],
    [' WK23', /space/],
    ['WK-23', /ASCII letter or digit/],
    ['WK_23', /ASCII letter or digit/],
    ['Wéé', /ASCII letter or digit/],
  ])('refuses %j', (u, message) => {
    const findings = checkUsername(u, 'u');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R4', severity: 'error', reason: 'InvalidUsername' });
    expect(findings[0]!.message).toMatch(message);
    expect(findings[0]!.message).toMatch(/^R4: /);
  });

  it('refuses a missing user name', () => {
    expect(errors(checkUsername(undefined, 'u'))).toHaveLength(1);
  });

  it('warns when the user name carries the EXP prefix Chaman adds itself', () => {
    const [f] = checkUsername('EXPWK23', 'u');
    expect(f).toMatchObject({ rule: 'R4', severity: 'warning' });
    expect(f!.message).toContain('"WK23"');
  });

  it('shows and strips the EXP prefix', () => {
    expect(displayUsername('WK23')).toBe('EXPWK23');
    expect(stripUsernamePrefix('EXPWK23')).toBe('WK23');
    expect(stripUsernamePrefix('WK23')).toBe('WK23');
  });
});

describe('R5 FTP password', () => {
  const field = 'spec.ftp.passwordSecretRef';

  it('accepts a password of exactly 10 characters with 2 non-letters', () => {
    expect(checkFtpPassword('abcdefgh12', field)).toEqual([]);
  });

  it('refuses 11 characters', () => {
    const findings = checkFtpPassword('abcdefghi12', field);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R5', field, severity: 'error', reason: 'InvalidPassword' });
    expect(findings[0]!.message).toMatch(/longer than 10 characters/);
  });

  it('needs 2 characters that are not letters: 1 is refused, 2 accepted (digits or specials)', () => {
    const [one] = checkFtpPassword('abcdefgh1', field);
    expect(one!.message).toMatch(/fewer than 2 characters that are not letters/);
    expect(checkFtpPassword('abcdefgh', field)).toHaveLength(1);
    expect(checkFtpPassword('abcdefg1#', field)).toEqual([]);
    expect(checkFtpPassword('abcdefg#%', field)).toEqual([]);
    expect(checkFtpPassword('12', field)).toEqual([]);
  });

  it('is case-sensitive: case does not count as a non-letter', () => {
    expect(checkFtpPassword('ABCdef', field)).toHaveLength(1);
  });

  it.each(PASSWORD_SPECIALS.split(''))('accepts the special character %s', (c) => {
    expect(checkFtpPassword(`abc${c}1`, field)).toEqual([]);
  });

  it('lists exactly the specials of R5', () => {
    expect(new Set(PASSWORD_SPECIALS)).toEqual(new Set(",;:=?./+*\\$%><&@#'(}{)-_"));
  });

  it.each(['!', '"', '[', ']', '^', '`', '|', '~'])('refuses the special character %s without echoing it', (c) => {
    const findings = checkFtpPassword(`ab${c}12`, field);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/contains a character that is not allowed \(a special character outside the allowed list\)/);
    // the message lists the allowed specials; the refused one is not among them
    const listed = findings[0]!.message.split('special characters:')[1]!;
    expect(listed.split(' ')).not.toContain(c);
  });

  it('names a non-ASCII character by category', () => {
    const [f] = checkFtpPassword('abé12', field);
    expect(f!.message).toMatch(/non-ASCII/);
    expect(f!.message).not.toContain('é');
  });

  it('refuses spaces, tabs and a trailing newline', () => {
    for (const p of ['ab 12', 'ab\t12', 'abc12\n']) {
      const findings = checkFtpPassword(p, field);
      expect(findings).toHaveLength(1);
      expect(findings[0]!.message).toMatch(/space or other whitespace/);
    }
  });

  it('refuses an empty or missing password', () => {
    expect(checkFtpPassword('', field)[0]!.message).toMatch(/empty/);
    expect(checkFtpPassword(undefined, field)).toHaveLength(1);
  });

  it('reports every failed condition, one finding each', () => {
    expect(checkFtpPassword('abcdefgh ijk!', field)).toHaveLength(4);
  });

  it('never puts the password, nor a piece of it, in a message', () => {
    const secrets = ['Sup3r$ecret!!', 'hunter2 x', 'pässwörd99', 'a!', 'p@ss w0rd~~~', 'ZZZZZZZZZZZZZZZZ'];
    for (const secret of secrets) {
      for (const f of checkFtpPassword(secret, field)) {
        expect(f.message).not.toContain(secret);
        for (let i = 0; i + 4 <= secret.length; i++) expect(f.message).not.toContain(secret.slice(i, i + 4));
        expect(f.message).not.toMatch(/\b\d+ characters long\b/);
      }
    }
  });
});
