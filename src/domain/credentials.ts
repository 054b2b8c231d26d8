// R4 (user names) and R5 (FTP password).
//
// Password messages name the condition that failed and, for a forbidden character, its category;
// they never echo the password, a character of it, or its exact length.
import { USERNAME_PATTERN } from './contact.ts';
import { error, quote, warning } from './findings.ts';
import type { Finding } from './types.ts';

/** The fixed prefix Chaman shows in front of FTP/SFTP user names (`WK23` → `EXPWK23`). */
export const USERNAME_PREFIX = 'EXP';
export const USERNAME_MAX = 10;
export const PASSWORD_MAX = 10;
export const PASSWORD_MIN_NON_LETTERS = 2;
/** Beyond this many UTF-16 units, R5 says only "too long" (see checkFtpPassword). */
const PASSWORD_SCAN_LIMIT = 256;
/** R5: the only special characters a password may contain. */
export const PASSWORD_SPECIALS = ",;:=?./+*\\$%><&@#'(}{)-_";

const USERNAME_RE = new RegExp(USERNAME_PATTERN);

/** R4: ASCII letters and digits, 1 to 10, no spaces; the `EXP` prefix is Chaman's, not part of it. */
export function checkUsername(username: unknown, field: string): Finding[] {
  const bad = (message: string) => [error('R4', field, `R4: ${message}`, 'InvalidUsername')];
  if (typeof username !== 'string' || username === '') {
    return bad('the user name is required: 1 to 10 ASCII letters or digits, without the EXP prefix (e.g. WK23)');
  }
  if (/\s/.test(username)) return bad(`the user name ${quote(username)} contains a space; use only ASCII letters and digits (1 to 10)`);
  if (!/^[\x21-\x7e]*$/.test(username) || !/^[A-Za-z0-9]*$/.test(username)) {
    return bad(`the user name ${quote(username)} contains a character other than an ASCII letter or digit; use only A-Z, a-z and 0-9 (1 to 10)`);
  }
  if (username.length > USERNAME_MAX) {
    return bad(`the user name ${quote(username)} has ${username.length} characters; use at most ${USERNAME_MAX} (Chaman adds the EXP prefix itself)`);
  }
  if (!USERNAME_RE.test(username)) return bad(`the user name ${quote(username)} is not valid; use 1 to 10 ASCII letters or digits`);
  if (username.startsWith(USERNAME_PREFIX)) {
    return [
      warning(
        'R4',
        field,
        `R4: the user name ${quote(username)} starts with ${USERNAME_PREFIX}; Chaman adds that prefix itself and will show ${USERNAME_PREFIX}${username}: write ${quote(stripUsernamePrefix(username))} if that is what you meant`,
        'InvalidUsername',
      ),
    ];
  }
  return [];
}

/** The user name as Chaman shows it: `WK23` → `EXPWK23`. */
export function displayUsername(username: string): string {
  return `${USERNAME_PREFIX}${username}`;
}

/** `EXPWK23` → `WK23`; a name without the prefix is returned as is. */
export function stripUsernamePrefix(username: string): string {
  return username.startsWith(USERNAME_PREFIX) ? username.slice(USERNAME_PREFIX.length) : username;
}

const SPECIALS = new Set(PASSWORD_SPECIALS);

function isAsciiLetter(c: string): boolean {
  return /^[A-Za-z]$/.test(c);
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** The category of a character R5 does not allow, safe to name in a message. */
function forbiddenCategory(c: string): string {
  if (/^[\x00-\x1f\x7f]$/.test(c)) return 'a control character';
  if (c.codePointAt(0)! > 0x7e) return 'a non-ASCII character (accented letters and symbols included)';
  return 'a special character outside the allowed list';
}

/**
 * R5 exactly: not empty, at most 10 characters, no spaces, at least 2 characters that are not
 * letters (digits or allowed specials), and no special character outside PASSWORD_SPECIALS.
 * One finding per failed condition.
 */
export function checkFtpPassword(password: unknown, field: string): Finding[] {
  const bad = (message: string) => error('R5', field, `R5: the FTP password ${message}`, 'InvalidPassword');
  if (typeof password !== 'string' || password === '') {
    return [bad('is empty; set a password of at most 10 characters with at least 2 digits or special characters')];
  }
  // Far longer than any password R5 allows (a whole file in the Secret, say): that alone is the finding,
  // and its characters are not looked at one by one.
  if (password.length > PASSWORD_SCAN_LIMIT) return [bad(`is longer than ${PASSWORD_MAX} characters; choose one of at most ${PASSWORD_MAX}`)];
  const chars = [...password];
  const findings: Finding[] = [];
  if (chars.length > PASSWORD_MAX) {
    findings.push(bad(`is longer than ${PASSWORD_MAX} characters; choose one of at most ${PASSWORD_MAX}`));
  }
  if (chars.some((c) => /\s/u.test(c))) {
    findings.push(bad('contains a space or other whitespace; remove it (check for a trailing newline in the Secret)'));
  }
  const categories = new Set<string>();
  for (const c of chars) {
    if (/\s/u.test(c) || isAsciiLetter(c) || isDigit(c) || SPECIALS.has(c)) continue;
    categories.add(forbiddenCategory(c));
  }
  if (categories.size > 0) {
    findings.push(
      bad(`contains a character that is not allowed (${[...categories].join('; ')}); use letters, digits and only these special characters: ${PASSWORD_SPECIALS.split('').join(' ')}`),
    );
  }
  const nonLetters = chars.filter((c) => isDigit(c) || SPECIALS.has(c)).length;
  if (nonLetters < PASSWORD_MIN_NON_LETTERS) {
    findings.push(
      bad(`has fewer than ${PASSWORD_MIN_NON_LETTERS} characters that are not letters; include at least ${PASSWORD_MIN_NON_LETTERS} digits or allowed special characters (${PASSWORD_SPECIALS.split('').join(' ')})`),
    );
  }
  return findings;
}
