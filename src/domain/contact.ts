// R1: the sender's contact data, and the patterns the CRD schema reuses.
//
// Every pattern is a plain string usable both in a JS RegExp and as an OpenAPI `pattern` checked
// by the Kubernetes API server (Go RE2: no lookarounds, no backreferences).
import { error, joinField, quote } from './findings.ts';
import { LANGUAGES } from './types.ts';
import type { Finding } from './types.ts';

/** Sender number: digits only, 1 to 10 (the ones seen in Chaman have 6). */
export const SENDER_NUMBER_PATTERN = '^[0-9]{1,10}$';
/** Phone country code: `+` then 1 to 4 digits, no leading zero (`+32`, `+352`, `+1`). */
export const PHONE_COUNTRY_CODE_PATTERN = '^\\+[1-9][0-9]{0,3}$';
/**
 * Phone number without the country code: 6 to 15 digits, optionally grouped by single spaces
 * (`0486531619`, `0486 53 16 19`). No other separators.
 */
export const PHONE_NUMBER_PATTERN = '^[0-9]( ?[0-9]){5,14}$';
/**
 * One e-mail address: a dot-atom local part (RFC 5322 atext, no leading, trailing or double dot)
 * and a domain of at least two labels (letters, digits, inner hyphens) ending in a letter TLD.
 * Quoted local parts and IP-literal domains are not accepted. At most 254 characters (checked apart).
 */
export const EMAIL_PATTERN =
  "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$";
/** R4: FTP/SFTP user name, without the `EXP` prefix Chaman adds. */
export const USERNAME_PATTERN = '^[A-Za-z0-9]{1,10}$';

export const CONTACT_NAME_MAX = 100;
export const CONTACT_ROLE_MAX = 100;
export const EMAIL_MAX = 254;

const SENDER_NUMBER_RE = new RegExp(SENDER_NUMBER_PATTERN);
const COUNTRY_CODE_RE = new RegExp(PHONE_COUNTRY_CODE_PATTERN);
const PHONE_NUMBER_RE = new RegExp(PHONE_NUMBER_PATTERN);
const EMAIL_RE = new RegExp(EMAIL_PATTERN);

export function isValidSenderNumber(value: unknown): value is string {
  return typeof value === 'string' && SENDER_NUMBER_RE.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * R1 on contact data. Accepts anything (a request body, a spec) and says what is missing or
 * malformed; with `field` `''` the findings use bare paths (`phone.number`).
 */
export function checkContact(contact: unknown, field: string): Finding[] {
  const at = (sub: string) => joinField(field, sub);
  const bad = (sub: string, message: string) => error('R1', at(sub), `R1: ${message}`, 'InvalidContact');
  if (!isRecord(contact)) {
    return [bad('', 'contact data is required before any channel can be created: give a name, a phone (country code and number), an e-mail address and a language (fr, nl, de or en)')];
  }
  const findings: Finding[] = [];
  const { name, role, phone, email, language } = contact;
  if (typeof name !== 'string' || name.trim() === '') {
    findings.push(bad('name', 'the contact person\'s name is required; give the name of the person who manages the channels'));
  } else if (name.length > CONTACT_NAME_MAX) {
    findings.push(bad('name', `the contact name is longer than ${CONTACT_NAME_MAX} characters; shorten it`));
  }
  if (role !== undefined && role !== null) {
    if (typeof role !== 'string') findings.push(bad('role', 'the role must be text, e.g. "Technical lead"; or leave it out'));
    else if (role.length > CONTACT_ROLE_MAX) findings.push(bad('role', `the role is longer than ${CONTACT_ROLE_MAX} characters; shorten it`));
  }
  if (!isRecord(phone)) {
    findings.push(bad('phone', 'a phone is required: give phone.countryCode (e.g. "+32") and phone.number (e.g. "0486531619")'));
  } else {
    const { countryCode, number } = phone;
    if (typeof countryCode !== 'string' || !COUNTRY_CODE_RE.test(countryCode)) {
      findings.push(
        bad('phone.countryCode', `the phone country code ${typeof countryCode === 'string' ? quote(countryCode) + ' ' : ''}is not valid; write "+" and 1 to 4 digits, e.g. "+32"`),
      );
    }
    if (typeof number !== 'string' || !PHONE_NUMBER_RE.test(number)) {
      findings.push(
        bad('phone.number', `the phone number ${typeof number === 'string' ? quote(number) + ' ' : ''}is not valid; write 6 to 15 digits without the country code, optionally grouped by single spaces, e.g. "0486531619"`),
      );
    }
  }
  if (typeof email !== 'string' || email === '') {
    findings.push(bad('email', 'an e-mail address is required, e.g. "jane.peeters@example.be"'));
  } else if (email.length > EMAIL_MAX || !EMAIL_RE.test(email)) {
    findings.push(bad('email', `${quote(email)} is not one valid e-mail address; give a single address such as "jane.peeters@example.be"`));
  }
  if (typeof language !== 'string' || !(LANGUAGES as readonly string[]).includes(language)) {
    findings.push(
      bad('language', `the language ${typeof language === 'string' ? quote(language) + ' ' : ''}is not one of ${LANGUAGES.join(', ')}; choose one of them`),
    );
  }
  return findings;
}
