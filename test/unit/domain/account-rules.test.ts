import { describe, expect, it } from 'vitest';
import {
  CHANNEL_TYPES,
  EDITABLE_FIELDS,
  allowedEdit,
  canRemoveCertificate,
  checkCertificateCount,
  formatDuration,
  isSingletonType,
  isValidClientId,
  makeClientId,
  parseDuration,
  type EditableField,
} from '../../../src/domain/index.ts';

describe('R2 singletons', () => {
  it('FTP, SFTP and SOAP are one per sender; REST is not', () => {
    expect(CHANNEL_TYPES.filter(isSingletonType)).toEqual(['FTP', 'SFTP', 'SOAP']);
    expect(isSingletonType('REST')).toBe(false);
  });
});

describe('R3 / R15 certificate count', () => {
  it.each(['FTP', 'SFTP', 'SOAP'] as const)('%s holds exactly one', (type) => {
    expect(checkCertificateCount(type, undefined, 1, 'spec.certificates')).toEqual([]);
    expect(checkCertificateCount(type, undefined, 0, 'spec.certificates')[0]).toMatchObject({ rule: 'R3', field: 'spec.certificates', severity: 'error' });
    expect(checkCertificateCount(type, undefined, 2, 'spec.certificates')[0]!.message).toMatch(/exactly one/);
  });

  it('REST Internal holds one or more', () => {
    expect(checkCertificateCount('REST', 'Internal', 0, 'c')[0]).toMatchObject({ rule: 'R3' });
    expect(checkCertificateCount('REST', undefined, 0, 'c')).toHaveLength(1);
    expect(checkCertificateCount('REST', 'Internal', 1, 'c')).toEqual([]);
    expect(checkCertificateCount('REST', 'Internal', 5, 'c')).toEqual([]);
  });

  it('REST TechnicalIntermediary holds none', () => {
    expect(checkCertificateCount('REST', 'TechnicalIntermediary', 0, 'c')).toEqual([]);
    expect(checkCertificateCount('REST', 'TechnicalIntermediary', 1, 'c')[0]).toMatchObject({ rule: 'R15', severity: 'error' });
  });

  it('the last certificate can never be removed', () => {
    expect(canRemoveCertificate(1)).toBe(false);
    expect(canRemoveCertificate(0)).toBe(false);
    expect(canRemoveCertificate(2)).toBe(true);
  });
});

describe('R12 what may change', () => {
  const all: EditableField[] = ['name', 'permissions', 'username', 'sshPublicKey', 'certificateReplace', 'certificateAdd', 'certificateRemove'];
  const table = (type: (typeof CHANNEL_TYPES)[number]) => all.filter((w) => allowedEdit(type, w));

  it('FTP: nothing', () => expect(table('FTP')).toEqual([]));
  it('SFTP: name, permissions, user name + SSH key, certificate replace', () =>
    expect(table('SFTP')).toEqual(['name', 'permissions', 'username', 'sshPublicKey', 'certificateReplace']));
  it('SOAP: certificate replace', () => expect(table('SOAP')).toEqual(['certificateReplace']));
  it('REST: name, permissions, certificates add and remove (no replace: rotation is add then remove)', () =>
    expect(table('REST')).toEqual(['name', 'permissions', 'certificateAdd', 'certificateRemove']));
  it('EDITABLE_FIELDS agrees with allowedEdit', () => {
    for (const type of CHANNEL_TYPES) expect([...EDITABLE_FIELDS[type]]).toEqual(table(type));
  });
});

describe('R16 client IDs', () => {
  it('has the form self_service_chaman_<sender>_<10 [a-z0-9]>', () => {
    const id = makeClientId('300010', Math.random);
    expect(id).toMatch(/^self_service_chaman_300010_[a-z0-9]{10}$/);
    expect(isValidClientId(id, '300010')).toBe(true);
    expect(isValidClientId(id, '300011')).toBe(false);
    expect(isValidClientId(id)).toBe(true);
  });

  it('is deterministic for a given random source, and covers the alphabet ends', () => {
    expect(makeClientId('1', () => 0)).toBe('self_service_chaman_1_aaaaaaaaaa');
    expect(makeClientId('1', () => 0.999999)).toBe('self_service_chaman_1_9999999999');
    expect(makeClientId('1', () => 1)).toBe('self_service_chaman_1_9999999999');
  });

  it('accepts a ready suffix and refuses a bad one', () => {
    expect(makeClientId('300010', 'cqen3vvt6u')).toBe('self_service_chaman_300010_cqen3vvt6u');
    expect(() => makeClientId('300010', 'ABC')).toThrow(/R16/);
  });

  it('refuses malformed ids', () => {
    for (const id of ['self_service_chaman_300010_CQEN3VVT6U', 'self_service_chaman_300010_cqen3vvt6', 'self_service_expeditor_2214', 'self_service_chaman__cqen3vvt6u', 42]) {
      expect(isValidClientId(id)).toBe(false);
    }
  });
});

describe('durations (metav1.Duration syntax)', () => {
  it.each([
    ['720h', 720 * 3_600_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
    ['2h0m0s', 7_200_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['0', 0],
    ['0s', 0],
    ['1500us', 1.5],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'h', '10', '10d', '1h 30m', '-1h', 'abc', '1.h2', '.h'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow();
  });

  it('formats like Go and round-trips', () => {
    expect(formatDuration(720 * 3_600_000)).toBe('720h0m0s');
    expect(formatDuration(5_400_000)).toBe('1h30m0s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0s');
    for (const ms of [1, 999, 1000, 61_000, 3_600_000, 2_592_000_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
