import { describe, expect, it } from 'vitest';
import { StringPool } from '../../../src/kube/string-pool.ts';

const account = (i: number) => ({
  apiVersion: 'chaman.io/v1alpha1',
  kind: 'ChannelAccount',
  metadata: { name: `a-${i}`, namespace: 'ns', uid: `uid-${i}`, resourceVersion: String(i), creationTimestamp: `2026-12-0${(i % 9) + 1}T00:00:00Z`, finalizers: ['chaman.io/finalizer'], annotations: { 'chaman.io/external-name': `acc-${i}` } },
  spec: { type: 'REST', permissions: ['DimonaDeclaration'] },
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: 'The account exists in Chaman and matches the spec.' }], certificates: [{ issuer: 'Bench CA', sha256Fingerprint: 'AB:'.repeat(40) }] },
});

describe('StringPool', () => {
  it('leaves each object equal to what it was', () => {
    const pool = new StringPool();
    for (let i = 0; i < 50; i++) expect(pool.internObject(account(i))).toEqual(account(i));
  });

  it('pools the strings objects share, not the names, uids, versions and times of each one, nor long ones', () => {
    const pool = new StringPool({ maxLength: 64 });
    pool.internObject(account(1));
    const afterOne = pool.size;
    // apiVersion, kind, namespace, finalizer, the external name, type, permission, and the condition's four strings, the issuer
    expect(afterOne).toBe(12);
    pool.internObject(account(2));
    expect(pool.size).toBe(afterOne + 1); // only the new external name
  });

  it('never holds more than maxEntries: past it, it starts again', () => {
    const pool = new StringPool({ maxEntries: 100 });
    for (let i = 0; i < 1_000; i++) {
      pool.intern(`unique-${i}`);
      expect(pool.size).toBeLessThanOrEqual(100);
    }
    expect(pool.intern('unique-999')).toBe('unique-999');
  });
});
