// Certificate expiry as conditions and schedule: CertExpiring turns True exactly at
// notAfter − warning window, CertExpired at notAfter. Pure: the caller requeues at `nextCheckAt`.
import type { CertificateDetails } from '../../domain/types.ts';
import type { ConditionInput } from '../driver/conditions.ts';

export interface CertificateExpiry {
  conditions: ConditionInput[];
  /** The earliest notAfter, RFC 3339. */
  nextCertificateExpiry?: string;
  /** When these conditions will next change on their own (a precise requeue, not found by luck). */
  nextCheckAt?: Date;
}

const day = (iso: string): string => iso.slice(0, 10);

export function certificateExpiry(certificates: CertificateDetails[], now: Date, warningMs: number): CertificateExpiry {
  const t = now.getTime();
  const expired = certificates.filter((c) => Date.parse(c.notAfter) <= t);
  const expiring = certificates.filter((c) => {
    const end = Date.parse(c.notAfter);
    return end > t && end - warningMs <= t;
  });
  const upcoming = certificates
    .flatMap((c) => [Date.parse(c.notAfter) - warningMs, Date.parse(c.notAfter)])
    .filter((when) => when > t)
    .sort((a, b) => a - b);
  const earliest = [...certificates].sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))[0];

  const list = (certs: CertificateDetails[], verb: string): string =>
    certs.map((c) => `"${c.name}" ${verb} on ${day(c.notAfter)}`).join(', ');
  const conditions: ConditionInput[] = [
    expiring.length > 0
      ? {
          type: 'CertExpiring',
          status: 'True',
          reason: 'CertificateExpiring',
          message: `Certificate ${list(expiring, 'expires')}: put a renewed certificate in its Secret before then.`,
        }
      : { type: 'CertExpiring', status: 'False', reason: 'CertificatesValid', message: 'No certificate expires within the warning window.' },
    expired.length > 0
      ? {
          type: 'CertExpired',
          status: 'True',
          reason: 'CertificateExpired',
          message: `Certificate ${list(expired, 'expired')}: Chaman refuses connections with it; put a valid certificate in its Secret.`,
        }
      : { type: 'CertExpired', status: 'False', reason: 'CertificatesValid', message: 'No certificate has expired.' },
  ];
  return {
    conditions,
    ...(earliest ? { nextCertificateExpiry: earliest.notAfter } : {}),
    ...(upcoming[0] !== undefined ? { nextCheckAt: new Date(upcoming[0]) } : {}),
  };
}
