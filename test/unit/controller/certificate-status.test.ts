import { describe, expect, it } from 'vitest';
import { certificateExpiry } from '../../../src/controller/channel-account/certificate-status.ts';
import type { CertificateDetails } from '../../../src/domain/types.ts';

const DAY = 86_400_000;
const cert = (name: string, notAfter: string): CertificateDetails => ({
  name,
  fileName: `${name}.cer`,
  subject: 'CN=x',
  organization: '',
  issuer: 'CA',
  serialNumber: '1',
  notBefore: '2026-01-01T00:00:00Z',
  notAfter,
  sha256Fingerprint: 'AA',
  keyAlgorithm: 'RSA-2048',
  signatureAlgorithm: 'SHA-256',
  selfSigned: false,
});
const status = (r: ReturnType<typeof certificateExpiry>, type: string) => r.conditions.find((c) => c.type === type)!.status;

describe('certificateExpiry', () => {
  const notAfter = '2026-12-31T00:00:00Z';
  const end = Date.parse(notAfter);

  it('is quiet before the window, and schedules the exact instant the window opens', () => {
    const r = certificateExpiry([cert('a', notAfter)], new Date(end - 31 * DAY), 30 * DAY);
    expect(status(r, 'CertExpiring')).toBe('False');
    expect(status(r, 'CertExpired')).toBe('False');
    expect(r.nextCheckAt?.getTime()).toBe(end - 30 * DAY);
    expect(r.nextCertificateExpiry).toBe(notAfter);
  });

  it('turns CertExpiring True exactly at notAfter − window, then schedules notAfter', () => {
    const r = certificateExpiry([cert('a', notAfter)], new Date(end - 30 * DAY), 30 * DAY);
    expect(status(r, 'CertExpiring')).toBe('True');
    expect(r.conditions[0]!.message).toContain('"a" expires on 2026-12-31');
    expect(r.nextCheckAt?.getTime()).toBe(end);
  });

  it('one millisecond before the window it is still False', () => {
    const r = certificateExpiry([cert('a', notAfter)], new Date(end - 30 * DAY - 1), 30 * DAY);
    expect(status(r, 'CertExpiring')).toBe('False');
  });

  it('turns CertExpired True at notAfter (and CertExpiring False), with nothing left to schedule', () => {
    const r = certificateExpiry([cert('a', notAfter)], new Date(end), 30 * DAY);
    expect(status(r, 'CertExpired')).toBe('True');
    expect(status(r, 'CertExpiring')).toBe('False');
    expect(r.nextCheckAt).toBeUndefined();
  });

  it('with several certificates, reports the earliest expiry and the next change of any', () => {
    const r = certificateExpiry([cert('late', '2027-06-01T00:00:00Z'), cert('early', notAfter)], new Date(end - 40 * DAY), 30 * DAY);
    expect(r.nextCertificateExpiry).toBe(notAfter);
    expect(r.nextCheckAt?.getTime()).toBe(end - 30 * DAY);
  });

  it('has nothing to say without certificates (REST via a technical intermediary)', () => {
    const r = certificateExpiry([], new Date(), 30 * DAY);
    expect(r.nextCertificateExpiry).toBeUndefined();
    expect(r.nextCheckAt).toBeUndefined();
    expect(status(r, 'CertExpiring')).toBe('False');
  });
});
