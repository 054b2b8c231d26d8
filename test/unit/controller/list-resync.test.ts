import { describe, expect, it } from 'vitest';
import type { ChannelAccount } from '../../../src/api/types.generated.ts';
import type { ChamanAccount } from '../../../src/chaman/types.ts';
import { ConvergedAccounts, SeenSenders, accountDigest } from '../../../src/controller/resync/list-resync.ts';

const chaman = (id: string, over: Partial<ChamanAccount> = {}): ChamanAccount => ({
  id,
  type: 'REST',
  name: `acc ${id}`,
  permissions: ['DimonaDeclaration'],
  clientId: `self_service_chaman_300010_${id.padEnd(10, 'x')}`,
  certificates: [{ id: `c-${id}`, name: 'main', fileName: 'main.cer', sha256Fingerprint: 'AB:CD' } as ChamanAccount['certificates'][number]],
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

const object = (name: string, id: string | undefined, ready = true, extra: Partial<ChannelAccount['metadata']> = {}): ChannelAccount =>
  ({
    metadata: { name, namespace: 'ns', generation: 2, annotations: id ? { 'chaman.io/external-name': id } : {}, ...extra },
    spec: { senderRef: { name: 'apk' }, type: 'REST' },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', observedGeneration: 2, reason: 'x', message: 'x', lastTransitionTime: 'x' }] },
  }) as unknown as ChannelAccount;

describe('accountDigest', () => {
  it('ignores order and timestamps, and sees every field the operator converges', () => {
    const a = chaman('a');
    expect(accountDigest({ ...a, permissions: ['DimonaDeclaration'], updatedAt: '2027-01-01T00:00:00Z' })).toBe(accountDigest(a));
    expect(accountDigest({ ...a, permissions: ['DimonaConsultation'] })).not.toBe(accountDigest(a));
    expect(accountDigest({ ...a, name: 'other' })).not.toBe(accountDigest(a));
    expect(accountDigest({ ...a, certificates: [] })).not.toBe(accountDigest(a));
    expect(accountDigest({ ...a, sshPublicKey: 'ssh-ed25519 AAAA' })).not.toBe(accountDigest(a));
  });
});

describe('ConvergedAccounts.needingReconcile', () => {
  it('reconciles only what the list shows changed since it converged', () => {
    const seen = new ConvergedAccounts();
    seen.record('300010', chaman('a'), 0);
    seen.record('300010', chaman('b'), 0);
    seen.record('300010', chaman('c'), 0);
    const listed = [chaman('a'), chaman('b', { name: 'changed by hand' })]; // c is gone from Chaman
    const objects = [object('a', 'a'), object('b', 'b'), object('c', 'c'), object('d', 'd'), object('new', undefined), object('failing', 'a', false)];
    const names = seen.needingReconcile('300010', objects, listed, 0).map((o) => o.metadata.name);
    expect(names).toEqual(['b', 'c', 'd', 'new', 'failing']);
  });

  it('leaves objects being deleted to their own reconcile, and forgets an account', () => {
    const seen = new ConvergedAccounts();
    seen.record('300010', chaman('a'), 0);
    expect(seen.needingReconcile('300010', [object('a', 'a', true, { deletionTimestamp: 'x' })], [], 0)).toEqual([]);
    seen.forget('300010', 'a');
    expect(seen.size).toBe(0);
    expect(seen.needingReconcile('300010', [object('a', 'a')], [chaman('a')], 0)).toHaveLength(1);
  });

  it('keeps senders apart: the same account id under another sender number is another account', () => {
    const seen = new ConvergedAccounts();
    seen.record('300010', chaman('a'), 0);
    expect(seen.needingReconcile('300011', [object('a', 'a')], [chaman('a')], 0)).toHaveLength(1);
    expect(seen.needingReconcile('300010', [object('a', 'a')], [chaman('a')], 0)).toHaveLength(0);
  });
});

describe('ConvergedAccounts.lastSeen', () => {
  it('is the converged account until a list shows another state, which then replaces it', () => {
    const known = new ConvergedAccounts();
    known.record('300010', chaman('a'), 0);
    expect(known.lastSeen('300010', 'a')).toEqual(chaman('a'));
    const byHand = chaman('a', { name: 'changed by hand' });
    expect(known.needingReconcile('300010', [object('a', 'a')], [byHand], 0)).toHaveLength(1);
    expect(known.lastSeen('300010', 'a')).toEqual(byHand);
    // Still not converged to it: the next list reconciles it again until it converges.
    expect(known.needingReconcile('300010', [object('a', 'a')], [byHand], 0)).toHaveLength(1);
    known.record('300010', chaman('a'), 0);
    expect(known.needingReconcile('300010', [object('a', 'a')], [chaman('a')], 0)).toHaveLength(0);
  });

  it('is unknown once the list no longer holds the account (its reconcile must read it and find it gone)', () => {
    const known = new ConvergedAccounts();
    known.record('300010', chaman('a'), 0);
    expect(known.needingReconcile('300010', [object('a', 'a')], [], 0)).toHaveLength(1);
    expect(known.lastSeen('300010', 'a')).toBeUndefined();
  });

  it('keeps no account of Chaman that no object names, and nothing for an account never seen', () => {
    const known = new ConvergedAccounts();
    known.needingReconcile('300010', [object('a', 'a')], [chaman('a'), chaman('other')], 0);
    expect(known.size).toBe(0);
    expect(known.lastSeen('300010', 'other')).toBeUndefined();
  });

  it('refreshes what was seen of an account that is not Ready yet, and still reconciles it', () => {
    const known = new ConvergedAccounts();
    known.record('300010', chaman('a'), 0);
    const listed = chaman('a', { permissions: ['DimonaConsultation'] });
    expect(known.needingReconcile('300010', [object('a', 'a', false)], [listed], 0)).toHaveLength(1);
    expect(known.lastSeen('300010', 'a')).toEqual(listed);
  });
});

describe('SeenSenders', () => {
  const info = (senderNumber: string) => ({ senderNumber, organization: null, contact: null });

  it('answers for the object and number it was recorded for, until forgotten', () => {
    const seen = new SeenSenders();
    seen.record('uid-1', info('300010'), 0);
    expect(seen.lastSeen('uid-1', '300010')).toEqual(info('300010'));
    expect(seen.lastSeen('uid-1', '300011')).toBeUndefined(); // its number was changed since
    expect(seen.lastSeen('uid-2', '300010')).toBeUndefined();
    seen.forget('uid-1');
    expect(seen.lastSeen('uid-1', '300010')).toBeUndefined();
  });
});

describe('when Chaman was last shown an account', () => {
  it('a create or a read is a sighting; what lastSeen gave back, recorded again, is not', () => {
    const known = new ConvergedAccounts();
    known.record('300010', chaman('a'), 1000);
    expect(known.allSeenSince('300010', ['a'], 1000)).toBe(true);
    known.record('300010', known.lastSeen('300010', 'a')!, 5000); // a reconcile that trusted memory
    expect(known.allSeenSince('300010', ['a'], 1001)).toBe(false);
    known.record('300010', chaman('a'), 5000); // a fresh read
    expect(known.allSeenSince('300010', ['a'], 5000)).toBe(true);
  });

  it('a list is a sighting of every account it shows; an account without an id or never seen is not recent', () => {
    const known = new ConvergedAccounts();
    known.record('300010', chaman('a'), 0);
    known.needingReconcile('300010', [object('a', 'a')], [chaman('a')], 7000);
    expect(known.allSeenSince('300010', ['a'], 7000)).toBe(true);
    expect(known.allSeenSince('300010', ['a', undefined], 0)).toBe(false);
    expect(known.allSeenSince('300010', ['a', 'b'], 0)).toBe(false);
    expect(known.allSeenSince('300010', [], 0)).toBe(true);
  });

  it('senders likewise, by object uid and number', () => {
    const seen = new SeenSenders();
    const info = { senderNumber: '300010', organization: null, contact: null };
    seen.record('uid-1', info, 1000);
    seen.record('uid-1', seen.lastSeen('uid-1', '300010')!, 9000);
    expect(seen.seenSince('uid-1', '300010', 1000)).toBe(true);
    expect(seen.seenSince('uid-1', '300010', 1001)).toBe(false);
    expect(seen.seenSince('uid-1', '300011', 0)).toBe(false);
    seen.record('uid-1', { ...info }, 9000);
    expect(seen.seenSince('uid-1', '300010', 9000)).toBe(true);
  });
});
