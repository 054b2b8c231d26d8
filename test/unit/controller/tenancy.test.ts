import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ChamanSender, ChamanSenderGrant, ChamanSenderGrantSpec, ChannelAccount } from '../../../src/api/types.generated.ts';

type LabelSelector = NonNullable<ChamanSenderGrantSpec['namespaceSelector']>;
import { ANNOTATIONS } from '../../../src/domain/annotations.ts';
import {
  adoptionConflict,
  compareAge,
  grantClaims,
  grantCoversNamespace,
  grantFor,
  selectorMatches,
  namesOperatorSecret,
  rankOf,
  senderConflict,
} from '../../../src/domain/tenancy.ts';

const T0 = '2026-01-01T10:00:00Z';
const T1 = '2026-01-01T10:00:01Z';
const T2 = '2026-01-02T09:00:00Z';

function sender(namespace: string, name: string, number: string, extra: { created?: string; deleting?: boolean; ownCredentials?: boolean } = {}): ChamanSender {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChamanSender',
    metadata: { namespace, name, creationTimestamp: extra.created ?? T0, ...(extra.deleting ? { deletionTimestamp: T2 } : {}) },
    spec: {
      senderNumber: number,
      contact: { name: 'Jane', phone: { countryCode: '+32', number: '0486531619' }, email: 'j@x.example', language: 'fr' },
      ...(extra.ownCredentials ? { credentialsSecretRef: { name: 'chaman-api' } } : {}),
    },
  };
}

function grant(name: string, numbers: string[], scope: { namespaces?: string[]; namespaceSelector?: LabelSelector }, deleting = false): ChamanSenderGrant {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChamanSenderGrant',
    metadata: { name, creationTimestamp: T0, ...(deleting ? { deletionTimestamp: T2 } : {}) },
    spec: { senderNumbers: numbers, ...scope },
  };
}

function account(namespace: string, name: string, externalId: string | undefined, extra: { created?: string; createdByOperator?: boolean; deleting?: boolean } = {}): ChannelAccount {
  const annotations: Record<string, string> = {};
  if (externalId !== undefined) annotations[ANNOTATIONS.externalName] = externalId;
  if (extra.createdByOperator) annotations[ANNOTATIONS.createSucceeded] = T0;
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChannelAccount',
    metadata: { namespace, name, creationTimestamp: extra.created ?? T0, annotations, ...(extra.deleting ? { deletionTimestamp: T2 } : {}) },
    spec: { senderRef: { name: 's' }, type: 'SOAP' },
  };
}

/** Every order of a list, to show a decision does not depend on the order objects arrived in. */
function permutations<T>(list: T[]): T[][] {
  if (list.length <= 1) return [list];
  return list.flatMap((item, i) => permutations([...list.slice(0, i), ...list.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('selectorMatches: metav1.LabelSelector semantics', () => {
  const labels = { team: 'payroll', tier: 'prod', 'kubernetes.io/metadata.name': 'payroll' };

  it.each<[string, LabelSelector, boolean]>([
    ['the empty selector matches everything', {}, true],
    ['empty matchLabels and matchExpressions match everything', { matchLabels: {}, matchExpressions: [] }, true],
    ['matchLabels: every pair must be there', { matchLabels: { team: 'payroll', tier: 'prod' } }, true],
    ['matchLabels: a wrong value', { matchLabels: { team: 'hr' } }, false],
    ['matchLabels: a missing key', { matchLabels: { owner: 'x' } }, false],
    ['In: value listed', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['dev', 'prod'] }] }, true],
    ['In: value not listed', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['dev'] }] }, false],
    ['In: label absent', { matchExpressions: [{ key: 'owner', operator: 'In', values: ['x'] }] }, false],
    ['In: no values is malformed, matches nothing', { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] }, false],
    ['NotIn: value not listed', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['dev'] }] }, true],
    ['NotIn: value listed', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['prod'] }] }, false],
    ['NotIn: label absent matches', { matchExpressions: [{ key: 'owner', operator: 'NotIn', values: ['x'] }] }, true],
    ['NotIn: no values is malformed', { matchExpressions: [{ key: 'owner', operator: 'NotIn' }] }, false],
    ['Exists: present', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, true],
    ['Exists: absent', { matchExpressions: [{ key: 'owner', operator: 'Exists' }] }, false],
    ['Exists with values is malformed', { matchExpressions: [{ key: 'team', operator: 'Exists', values: ['payroll'] }] }, false],
    ['DoesNotExist: absent', { matchExpressions: [{ key: 'owner', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist: present', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, false],
    ['DoesNotExist with values is malformed', { matchExpressions: [{ key: 'owner', operator: 'DoesNotExist', values: ['x'] }] }, false],
    ['an unknown operator matches nothing', { matchExpressions: [{ key: 'team', operator: 'Equals' as never, values: ['payroll'] }] }, false],
    ['everything is ANDed: one failing requirement fails it', { matchLabels: { team: 'payroll' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }, { key: 'tier', operator: 'NotIn', values: ['prod'] }] }, false],
    ['everything is ANDed: all hold', { matchLabels: { team: 'payroll' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }, { key: 'owner', operator: 'DoesNotExist' }] }, true],
    ['the automatic name label can be selected', { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['payroll'] }] }, true],
  ])('%s', (_name, selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  it('does not see inherited properties as labels', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, {})).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'constructor', operator: 'DoesNotExist' }] }, {})).toBe(true);
  });
});

describe('grantCoversNamespace', () => {
  it('by name, by selector, or both (either suffices)', () => {
    const g = grant('g', ['1'], { namespaces: ['a'], namespaceSelector: { matchLabels: { team: 'x' } } });
    expect(grantCoversNamespace(g, 'a', {})).toBe(true);
    expect(grantCoversNamespace(g, 'b', { team: 'x' })).toBe(true);
    expect(grantCoversNamespace(g, 'b', { team: 'y' })).toBe(false);
    expect(grantCoversNamespace(grant('g', ['1'], { namespaces: ['a'] }), 'b', { team: 'x' })).toBe(false);
  });

  it('a namespace whose labels are unknown is matched only by name or by the empty selector', () => {
    expect(grantCoversNamespace(grant('g', ['1'], { namespaceSelector: { matchExpressions: [{ key: 'k', operator: 'DoesNotExist' }] } }), 'b', undefined)).toBe(false);
    expect(grantCoversNamespace(grant('g', ['1'], { namespaceSelector: {} }), 'b', undefined)).toBe(true);
    expect(grantCoversNamespace(grant('g', ['1'], { namespaces: ['b'] }), 'b', undefined)).toBe(true);
  });
});

describe('grantFor', () => {
  const payroll = sender('payroll', 'apk', '300010');

  it('grants through a grant naming the namespace and the number', () => {
    expect(grantFor(payroll, [grant('payroll-team', ['300010', '300011'], { namespaces: ['payroll'] })], {}, true)).toEqual({ granted: true, why: 'Granted', grant: 'payroll-team' });
  });

  it('grants through a namespaceSelector', () => {
    const g = grant('by-label', ['300010'], { namespaceSelector: { matchLabels: { 'chaman.io/tenant': 'payroll' } } });
    expect(grantFor(payroll, [g], { 'chaman.io/tenant': 'payroll' }, true)).toMatchObject({ granted: true, grant: 'by-label' });
    expect(grantFor(payroll, [g], { 'chaman.io/tenant': 'hr' }, true)).toMatchObject({ granted: false, reason: 'NotGranted' });
  });

  it('of several grants that cover it, names the first by name, whatever the order given', () => {
    const grants = [grant('zeta', ['300010'], { namespaces: ['payroll'] }), grant('alpha', ['300010'], { namespaceSelector: {} }), grant('mid', ['300010'], { namespaces: ['payroll'] })];
    for (const order of permutations(grants)) expect(grantFor(payroll, order, {}, true)).toMatchObject({ grant: 'alpha' });
  });

  it('refuses a number granted to another namespace, and a namespace granted other numbers', () => {
    const elsewhere = grant('hr-team', ['300010'], { namespaces: ['hr'] });
    const otherNumbers = grant('payroll-team', ['300011'], { namespaces: ['payroll'] });
    const decision = grantFor(payroll, [elsewhere, otherNumbers], {}, true);
    expect(decision).toMatchObject({ granted: false, reason: 'NotGranted' });
    const message = (decision as { message: string }).message;
    expect(message).toContain('namespace payroll');
    expect(message).toContain('sender number 300010');
    expect(message).toContain('nothing was sent to Chaman');
    expect(message).toContain('add "300010" to spec.senderNumbers of ChamanSenderGrant payroll-team');
    expect(message).toContain('spec.credentialsSecretRef');
    // Who else holds the number is none of this namespace's business.
    expect(message).not.toContain('hr-team');
    expect(message).not.toMatch(/\bhr\b/);
  });

  it('the message holds a grant that, applied as is, grants exactly this sender', () => {
    const decision = grantFor(payroll, [], {}, true) as { message: string };
    const snippet = /apply (\{.*\}\}),/.exec(decision.message)![1]!;
    const proposed = parse(snippet) as ChamanSenderGrant;
    expect(proposed).toEqual({ apiVersion: 'chaman.io/v1alpha1', kind: 'ChamanSenderGrant', metadata: { name: 'payroll-300010' }, spec: { senderNumbers: ['300010'], namespaces: ['payroll'] } });
    expect(grantFor(payroll, [proposed], {}, true)).toMatchObject({ granted: true, grant: 'payroll-300010' });
    expect(decision.message).not.toContain('add "300010"');
  });

  it('says so when the namespace labels are unknown', () => {
    const g = grant('by-label', ['300010'], { namespaceSelector: { matchLabels: { team: 'payroll' } } });
    const decision = grantFor(payroll, [g], undefined, true) as { message: string };
    expect(decision.message).toMatch(/labels of namespace payroll could not be read/);
  });

  it('a grant being deleted grants nothing', () => {
    expect(grantFor(payroll, [grant('payroll-team', ['300010'], { namespaces: ['payroll'] }, true)], {}, true)).toMatchObject({ granted: false });
  });

  it('a sender with its own credentials needs no grant; --require-sender-grant=false needs none', () => {
    expect(grantFor(sender('payroll', 'apk', '300010', { ownCredentials: true }), [], {}, true)).toEqual({ granted: true, why: 'OwnCredentials' });
    expect(grantFor(payroll, [], {}, false)).toEqual({ granted: true, why: 'GrantNotRequired' });
  });
});

describe('senderConflict: one sender number, one ChamanSender', () => {
  const t1 = sender('t1', 'apk', '300010', { created: T0 });
  const t2 = sender('t2', 'apk', '300010', { created: T2 });

  it('the older wins, the younger is told which one holds the number', () => {
    expect(senderConflict(t1, [t1, t2])).toEqual({ conflict: false });
    const lost = senderConflict(t2, [t1, t2]);
    expect(lost).toMatchObject({ conflict: true, winner: { namespace: 't1', name: 'apk' } });
    expect((lost as { message: string }).message).toMatch(/Sender number 300010 is already managed by ChamanSender t1\/apk \(older\).*touches nothing in Chaman/);
  });

  it('alone, or listed without itself, it has no conflict', () => {
    expect(senderConflict(t1, [])).toEqual({ conflict: false });
    expect(senderConflict(t2, [t1])).toMatchObject({ conflict: true });
    expect(senderConflict(t1, [t2])).toEqual({ conflict: false });
  });

  it('an ungranted sender takes no part (issue 16 item 6): an older squatter does not stall the granted owner', () => {
    const granted = (s: typeof t1) => (s.metadata.namespace === 't2' ? 0 : undefined);
    expect(senderConflict(t2, [t1, t2], granted)).toEqual({ conflict: false });
    expect(senderConflict(t1, [t1, t2], granted)).toMatchObject({ conflict: true, winner: { namespace: 't2' } });
  });

  it('a granted sender (or one with its own credentials) ranks before one that needs no grant, then age decides', () => {
    const rank = (s: typeof t1) => (s.metadata.namespace === 't2' ? 0 : 1);
    const lost = senderConflict(t1, [t1, t2], rank);
    expect(lost).toMatchObject({ conflict: true, winner: { namespace: 't2', name: 'apk' } });
    expect((lost as { message: string }).message).toContain('t2/apk (granted)');
    expect(rankOf({ granted: true, why: 'Granted', grant: 'g' })).toBe(0);
    expect(rankOf({ granted: true, why: 'OwnCredentials' })).toBe(0);
    expect(rankOf({ granted: true, why: 'GrantNotRequired' })).toBe(1);
    expect(rankOf({ granted: false, reason: 'NotGranted', message: '' })).toBeUndefined();
  });

  it("naming the operator's own credentials Secret is not having credentials of its own (issue 16 item 7)", () => {
    const own = sender('chaman-system', 'apk', '300010', { ownCredentials: true });
    const secretName = own.spec.credentialsSecretRef!.name;
    expect(namesOperatorSecret(own, { namespace: 'chaman-system', name: secretName })).toBe(true);
    expect(namesOperatorSecret(own, { namespace: 'payroll', name: secretName })).toBe(false);
    expect(namesOperatorSecret(own, undefined)).toBe(false);
    expect(namesOperatorSecret(t1, { namespace: 't1', name: secretName })).toBe(false);
  });

  it('senders with other numbers are no rivals', () => {
    expect(senderConflict(t2, [sender('t1', 'apk', '300011', { created: T0 })])).toEqual({ conflict: false });
  });

  it('created in the same second: namespace, then name, decide', () => {
    const a = sender('alpha', 'z', '1', { created: T0 });
    const b = sender('beta', 'a', '1', { created: T0 });
    const c = sender('beta', 'b', '1', { created: T0 });
    expect(senderConflict(b, [a, b, c])).toMatchObject({ winner: { namespace: 'alpha', name: 'z' } });
    expect(senderConflict(c, [b, c])).toMatchObject({ winner: { namespace: 'beta', name: 'a' } });
  });

  it('compares instants, not strings (fractional seconds, offsets)', () => {
    const early = sender('b', 'x', '1', { created: '2026-01-01T11:00:00+02:00' }); // 09:00Z
    const late = sender('a', 'x', '1', { created: '2026-01-01T10:00:00.5Z' });
    expect(senderConflict(late, [early, late])).toMatchObject({ winner: { namespace: 'b' } });
  });

  it('a sender being deleted still holds its number until it is gone', () => {
    const deleting = sender('t1', 'apk', '300010', { created: T0, deleting: true });
    const lost = senderConflict(t2, [deleting, t2]) as { message: string };
    expect(lost).toMatchObject({ conflict: true, winner: { namespace: 't1' } });
    expect(lost.message).toContain('takes over once it is gone');
    expect(senderConflict(t2, [t2])).toEqual({ conflict: false }); // gone
    // and a younger one being deleted never wins back
    expect(senderConflict(sender('t2', 'apk', '300010', { created: T2, deleting: true }), [t1])).toMatchObject({ conflict: true });
  });

  it('the same winner whatever order the objects arrive in (an operator restart)', () => {
    const all = [t2, sender('t3', 'apk', '300010', { created: T1 }), t1, sender('t0', 'apk', '300010', { created: T1 })];
    const winners = new Set<string>();
    for (const order of permutations(all)) {
      for (const self of order) {
        const d = senderConflict(self, order);
        winners.add(d.conflict ? `${d.winner.namespace}/${d.winner.name}` : `${self.metadata.namespace}/${self.metadata.name}`);
      }
    }
    expect([...winners]).toEqual(['t1/apk']);
  });
});

describe('adoptionConflict: one claim per Chaman account', () => {
  it('an account without an external name claims nothing', () => {
    expect(adoptionConflict(account('t2', 'a', undefined), [account('t1', 'a', 'acc-1')])).toEqual({ conflict: false });
  });

  it('the creator wins over an adopter, even a younger creator over an older adopter', () => {
    const creator = account('t1', 'dimona', 'acc-1', { created: T2, createdByOperator: true });
    const adopter = account('t2', 'takeover', 'acc-1', { created: T0 });
    expect(adoptionConflict(creator, [creator, adopter])).toEqual({ conflict: false });
    const lost = adoptionConflict(adopter, [creator, adopter]) as { message: string };
    expect(lost).toMatchObject({ conflict: true, winner: { namespace: 't1', name: 'dimona' } });
    expect(lost.message).toContain('"acc-1"');
    expect(lost.message).toContain('(which created it)');
    expect(lost.message).toContain('deleting it never deletes that account');
  });

  it('between adopters (or between creators), the oldest wins', () => {
    const older = account('t1', 'a', 'acc-1', { created: T0 });
    const younger = account('t2', 'a', 'acc-1', { created: T2 });
    expect(adoptionConflict(younger, [older, younger])).toMatchObject({ conflict: true, winner: { namespace: 't1' } });
    expect((adoptionConflict(younger, [older]) as { message: string }).message).toContain('(older)');
    const c1 = account('t1', 'a', 'acc-1', { created: T0, createdByOperator: true });
    const c2 = account('t2', 'a', 'acc-1', { created: T2, createdByOperator: true });
    expect(adoptionConflict(c2, [c1, c2])).toMatchObject({ conflict: true, winner: { namespace: 't1' } });
  });

  it('claims on other ids are no rivals', () => {
    expect(adoptionConflict(account('t2', 'a', 'acc-2', { created: T2 }), [account('t1', 'a', 'acc-1', { created: T0 })])).toEqual({ conflict: false });
  });

  it('a claim being deleted holds until it is gone, so its finalizer is the only writer', () => {
    const deleting = account('t1', 'a', 'acc-1', { created: T0, deleting: true, createdByOperator: true });
    const next = account('t2', 'a', 'acc-1', { created: T2 });
    expect(adoptionConflict(next, [deleting, next])).toMatchObject({ conflict: true });
    expect(adoptionConflict(deleting, [deleting, next])).toEqual({ conflict: false });
  });

  it('the same winner whatever order the objects arrive in', () => {
    const all = [
      account('t2', 'b', 'acc-1', { created: T0 }),
      account('t3', 'c', 'acc-1', { created: T1, createdByOperator: true }),
      account('t1', 'a', 'acc-1', { created: T2, createdByOperator: true }),
      account('t0', 'd', 'acc-1', { created: T0 }),
    ];
    const winners = new Set<string>();
    for (const order of permutations(all)) {
      for (const self of order) {
        const d = adoptionConflict(self, order);
        if (!d.conflict) winners.add(`${self.metadata.namespace}/${self.metadata.name}`);
      }
    }
    expect([...winners]).toEqual(['t3/c']);
  });
});

describe('grantClaims', () => {
  const labels: Record<string, Record<string, string>> = { payroll: { team: 'payroll' }, hr: { team: 'hr' } };
  const lookup = (ns: string) => labels[ns];

  it('lists the senders it covers, sorted, without those that bring their own credentials', () => {
    const g = grant('payroll-team', ['300010', '300011'], { namespaces: ['payroll'], namespaceSelector: { matchLabels: { team: 'hr' } } });
    const senders = [
      sender('payroll', 'zeta', '300011'),
      sender('payroll', 'apk', '300010'),
      sender('hr', 'apk', '300010'),
      sender('payroll', 'own', '300010', { ownCredentials: true }),
      sender('payroll', 'other-number', '300099'),
      sender('finance', 'apk', '300010'),
    ];
    expect(grantClaims(g, senders, lookup)).toEqual([
      { namespace: 'hr', name: 'apk', senderNumber: '300010' },
      { namespace: 'payroll', name: 'apk', senderNumber: '300010' },
      { namespace: 'payroll', name: 'zeta', senderNumber: '300011' },
    ]);
    for (const order of permutations(senders.slice(0, 4))) expect(grantClaims(g, order, lookup)).toEqual(grantClaims(g, senders.slice(0, 4), lookup));
  });

  it('a grant being deleted claims nothing; an unknown namespace is matched by name only', () => {
    expect(grantClaims(grant('g', ['1'], { namespaces: ['a'] }, true), [sender('a', 's', '1')], lookup)).toEqual([]);
    expect(grantClaims(grant('g', ['1'], { namespaceSelector: { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] } }), [sender('gone', 's', '1')], lookup)).toEqual([]);
  });
});

describe('compareAge', () => {
  it('puts an object without creationTimestamp last', () => {
    const list = [sender('a', 'x', '1', { created: '' }), sender('b', 'x', '1', { created: T2 })];
    expect(list.sort(compareAge).map((s) => s.metadata.namespace)).toEqual(['b', 'a']);
  });
});
