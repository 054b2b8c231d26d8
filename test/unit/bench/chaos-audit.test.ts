import { describe, expect, it } from 'vitest';
import { audit, type ChamanAccountView, type DeletedObject, type LiveObject } from '../../../bench/lib/chaos-audit.ts';

const FP_A = 'AA:AA';
const FP_B = 'BB:BB';

function account(id: string, over: Partial<ChamanAccountView> = {}): ChamanAccountView {
  return { senderNumber: '400000', id, type: 'REST', name: `ns/${id}`, permissions: ['DimonaDeclaration'], certificates: [{ sha256Fingerprint: FP_A }], ...over };
}

function object(name: string, externalName: string | undefined, over: Partial<LiveObject> = {}): LiveObject {
  return {
    key: `ns/${name}`,
    senderNumber: '400000',
    type: 'REST',
    expectedName: name,
    expectedPermissions: ['DimonaDeclaration'],
    expectedFingerprints: [FP_A],
    ...(externalName ? { externalName } : {}),
    ready: true,
    ...over,
  };
}

const zero = { duplicates: 0, orphans: 0, lostUpdates: 0, missing: 0, undeleted: 0, notReady: 0 };

describe('chaos audit: Chaman against Kubernetes', () => {
  it('counts nothing when every object claims its own up-to-date account', () => {
    const result = audit([account('a1', { name: 'r1' }), account('a2', { name: 'r2', type: 'FTP' })], [object('r1', 'a1'), object('r2', 'a2', { type: 'FTP' })], []);
    expect(result).toMatchObject(zero);
    expect(result.details).toEqual([]);
  });

  it('a second account matching one object is a duplicate and an orphan', () => {
    const result = audit([account('a1', { name: 'r1' }), account('a9', { name: 'r1' })], [object('r1', 'a1')], []);
    expect(result).toMatchObject({ ...zero, duplicates: 1, orphans: 1 });
  });

  it('one account id claimed by two objects is a duplicate', () => {
    const result = audit([account('a1', { name: 'r1' })], [object('r1', 'a1'), object('r2', 'a1', { expectedName: 'r2' })], []);
    expect(result.duplicates).toBe(1);
  });

  it('a singleton type matches by sender and type whatever its name', () => {
    const result = audit([account('f1', { type: 'FTP', name: 'old' }), account('f2', { type: 'FTP', name: 'other' })], [object('ftp', 'f1', { type: 'FTP', expectedName: 'old' })], []);
    expect(result.duplicates).toBe(1);
  });

  it('name, permissions and certificate fingerprints that differ from the final spec are lost updates, one per object', () => {
    const chaman = [account('a1', { name: 'r1' }), account('a2', { name: 'old name' }), account('a3', { name: 'r3', permissions: ['X'], certificates: [{ sha256Fingerprint: FP_B }] })];
    const result = audit(chaman, [object('r1', 'a1'), object('r2', 'a2'), object('r3', 'a3')], []);
    expect(result).toMatchObject({ ...zero, lostUpdates: 2 });
    expect(result.details.join('\n')).toMatch(/r3.*permissions.*certificates/);
  });

  it('an object without an account, or claiming one Chaman lacks, is missing; not Ready is counted apart', () => {
    const result = audit([], [object('r1', undefined), object('r2', 'gone', { ready: false })], []);
    expect(result).toMatchObject({ ...zero, missing: 2, notReady: 1 });
  });

  it('a deleted object whose account is left is undeleted, found by id or, without one, by name', () => {
    const deleted: DeletedObject[] = [
      { key: 'ns/d1', senderNumber: '400000', type: 'REST', name: 'd1', externalName: 'x1', stillPresent: false },
      { key: 'ns/d2', senderNumber: '400000', type: 'REST', name: 'd2', stillPresent: false },
      { key: 'ns/d3', senderNumber: '400000', type: 'REST', name: 'd3', stillPresent: false },
      { key: 'ns/d4', senderNumber: '400000', type: 'REST', name: 'd4', stillPresent: true },
    ];
    const result = audit([account('x1', { name: 'renamed' }), account('x2', { name: 'd2' })], [], deleted);
    expect(result).toMatchObject({ ...zero, orphans: 2, undeleted: 3 });
    expect(result.details.filter((d) => d.startsWith('undeleted'))).toEqual([
      'undeleted: ns/d1 and Chaman still holds x1',
      'undeleted: ns/d2 and Chaman still holds x2',
      'undeleted: ns/d4 is still in Kubernetes',
    ]);
  });
});
