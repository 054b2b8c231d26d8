// The Chaman side of a ChannelAccount (ChamanAccountClient) over a fake Chaman client: how it finds
// the account, what it refuses to touch, and what it sends. No HTTP, no Kubernetes.
import { describe, expect, it } from 'vitest';
import type { ChannelAccount } from '../../../src/api/types.generated.ts';
import { ConflictError, NotFoundError } from '../../../src/chaman/errors.ts';
import type { ChamanAccount, ChamanClient } from '../../../src/chaman/types.ts';
import { ANNOTATIONS } from '../../../src/domain/annotations.ts';
import { ChamanAccountClient } from '../../../src/controller/channel-account/channel-account-external.ts';
import type { DesiredAccount } from '../../../src/domain/desired-account.ts';
import { NeedsUserError } from '../../../src/controller/driver/error-policy.ts';
import { ConvergedAccounts } from '../../../src/controller/resync/list-resync.ts';

const SENDER = '300010';

function chamanAccount(over: Partial<ChamanAccount> = {}): ChamanAccount {
  return { id: 'acc-1', type: 'REST', name: 'dimona', permissions: ['DimonaDeclaration'], management: 'Internal', clientId: `self_service_chaman_${SENDER}_abcdefghij`, certificates: [], createdAt: '', updatedAt: '', ...over };
}

const desired = (over: Partial<DesiredAccount> = {}): DesiredAccount => ({ type: 'REST', name: 'dimona', permissions: ['DimonaDeclaration'], management: 'Internal', certificates: [], ...over });

function object(annotations: Record<string, string> = {}, spec: Partial<ChannelAccount['spec']> = {}): ChannelAccount {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChannelAccount',
    metadata: { name: 'dimona', namespace: 'ns', uid: 'uid-1', generation: 1, annotations },
    spec: { senderRef: { name: 'apk' }, type: 'REST', permissions: ['DimonaDeclaration'], ...spec },
  } as ChannelAccount;
}

/** A fake Chaman: a list of accounts, and every call recorded by name. */
function fakeChaman(accounts: ChamanAccount[], overrides: Partial<ChamanClient> = {}) {
  const calls: string[] = [];
  const record = (name: string) => calls.push(name);
  const client: ChamanClient = {
    listPermissions: async () => [],
    getSender: async () => ({ senderNumber: SENDER, organization: null, contact: null }),
    putContact: async () => ({ senderNumber: SENDER, organization: null, contact: null }),
    listAccounts: async () => (record('listAccounts'), accounts),
    getAccount: async (_n, id) => {
      record(`getAccount ${id}`);
      const found = accounts.find((a) => a.id === id);
      if (!found) throw new NotFoundError(`no account ${id}`);
      return found;
    },
    createAccount: async (_n, request, key) => (record(`createAccount ${key}`), chamanAccount({ id: 'acc-new', name: request.name })),
    editAccount: async (_n, id) => (record(`editAccount ${id}`), accounts.find((a) => a.id === id)!),
    deleteAccount: async (_n, id) => void record(`deleteAccount ${id}`),
    addCertificate: async () => Promise.reject(new Error('not in this test')),
    replaceCertificate: async () => Promise.reject(new Error('not in this test')),
    removeCertificate: async () => Promise.reject(new Error('not in this test')),
    downloadCertificate: async () => Promise.reject(new Error('not in this test')),
    withSignal: () => client,
    close: async () => undefined,
    ...overrides,
  };
  return { client, calls };
}

const clientFor = (o: ChannelAccount, chaman: ChamanClient, want: DesiredAccount | undefined = desired()) =>
  new ChamanAccountClient(o, chaman, SENDER, { ...(want ? { desired: want } : {}), known: new ConvergedAccounts() });

describe('ChamanAccountClient.observe', () => {
  it('by external name: reads that account and plans the difference', async () => {
    const { client, calls } = fakeChaman([chamanAccount({ permissions: ['DimonaConsultation'] })]);
    const observation = await clientFor(object({ [ANNOTATIONS.externalName]: 'acc-1' }), client).observe();
    expect(calls).toEqual(['getAccount acc-1']);
    expect(observation).toMatchObject({ externalName: 'acc-1', differences: [expect.stringContaining('permissions')] });
  });

  it('an external name of another channel type is foreign, whatever the replacement policy: no difference to act on', async () => {
    const { client } = fakeChaman([chamanAccount({ type: 'SOAP', clientId: undefined })]);
    const o = object({ [ANNOTATIONS.externalName]: 'acc-1' }, { replacementPolicy: 'Recreate' });
    const observation = await clientFor(o, client).observe();
    expect(observation.foreign).toMatch(/is a SOAP account and this ChannelAccount is REST/);
    expect(observation.resource).toBeUndefined();
    expect(observation.differences).toEqual([]);
  });

  it('while deleting too, an account of another type is foreign (the driver then deletes nothing)', async () => {
    const { client } = fakeChaman([chamanAccount({ type: 'SOAP', clientId: undefined })]);
    const observation = await clientFor(object({ [ANNOTATIONS.externalName]: 'acc-1' }), client, undefined).observe();
    expect(observation.foreign).toBeDefined();
  });

  it("a REST account whose client ID is another sender's is foreign", async () => {
    const { client } = fakeChaman([chamanAccount({ clientId: 'self_service_chaman_999999_abcdefghij' })]);
    expect((await clientFor(object({ [ANNOTATIONS.externalName]: 'acc-1' }), client).observe()).foreign).toMatch(/another sender/);
  });

  it('an external name that is not an account id is never sent as a path segment', async () => {
    const { client, calls } = fakeChaman([]);
    const observation = await clientFor(object({ [ANNOTATIONS.externalName]: '..' }), client).observe();
    expect(calls).toEqual([]);
    expect(observation.ambiguous).toMatch(/not a Chaman account id/);
  });

  it('a pending create is found by the name it was sent with, after a rename (create-intent)', async () => {
    const { client } = fakeChaman([chamanAccount({ name: 'first-name' })]);
    const pending = { [ANNOTATIONS.createPending]: '2026-12-01T00:00:00.000Z', [ANNOTATIONS.createIntent]: 'first-name' };
    const observation = await clientFor(object(pending, { accountName: 'second-name' }), client, desired({ name: 'second-name' })).observe();
    expect(observation.externalName).toBe('acc-1');
    expect(observation.differences).toEqual([expect.stringContaining('"first-name" → "second-name"')]);
  });

  it('without the intent, a renamed pending create is not found (so the intent is what finds it)', async () => {
    const { client } = fakeChaman([chamanAccount({ name: 'first-name' })]);
    const pending = { [ANNOTATIONS.createPending]: '2026-12-01T00:00:00.000Z' };
    const observation = await clientFor(object(pending, { accountName: 'second-name' }), client, desired({ name: 'second-name' })).observe();
    expect(observation.resource).toBeUndefined();
  });

  it('no external name and no pending create: Chaman is not even listed', async () => {
    const { client, calls } = fakeChaman([chamanAccount()]);
    expect(await clientFor(object(), client).observe()).toEqual({ differences: [] });
    expect(calls).toEqual([]);
  });
});

describe('ChamanAccountClient.create', () => {
  it('sends a key made of the guard key and the body, and records the intent it sends', async () => {
    const { client, calls } = fakeChaman([]);
    const account = clientFor(object(), client);
    expect(account.createIntent()).toBe('dimona');
    await account.create('chaman-operator-uid-1-1764547200000');
    expect(calls).toEqual([expect.stringMatching(/^createAccount chaman-operator-uid-1-1764547200000-[0-9a-f]{16}$/)]);
  });

  it('IDEMPOTENCY_KEY_REUSED means an earlier create may have made the account: stop, keep the guard', async () => {
    const { client } = fakeChaman([], { createAccount: async () => Promise.reject(new ConflictError('IDEMPOTENCY_KEY_REUSED', 'reused')) });
    const error = await clientFor(object(), client).create('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeedsUserError);
    expect(error).toMatchObject({ mayHaveCreated: true, stalledReason: 'CreateOutcomeUnknown' });
    expect((error as Error).message).toMatch(/set the annotation chaman.io\/external-name/);
  });
});
