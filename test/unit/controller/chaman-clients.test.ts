// ChamanClients keeps one client per sender credentials Secret and replaces it when the Secret
// changes; the replaced client's connections must be released (issue 10 item 6).
import { describe, expect, it } from 'vitest';
import type { ChamanSender } from '../../../src/api/types.generated.ts';
import type { ChamanAuth } from '../../../src/chaman/http-client.ts';
import type { ChamanClient } from '../../../src/chaman/types.ts';
import { ChamanClients } from '../../../src/controller/chaman-clients.ts';
import { NeedsUserError } from '../../../src/controller/driver/error-policy.ts';
import type { KubeStore, SecretContent } from '../../../src/controller/ports.ts';

function fakeClient(auth: ChamanAuth): ChamanClient & { auth: ChamanAuth; closed: number } {
  const client = {
    auth,
    closed: 0,
    async close() {
      client.closed++;
    },
  };
  return client as unknown as ChamanClient & { auth: ChamanAuth; closed: number };
}

const OPERATOR_SECRET = { namespace: 'chaman-system', name: 'chaman-api' };

function setup() {
  let secret: SecretContent | 'absent' = { data: { token: new TextEncoder().encode('token-1') }, resourceVersion: '1' };
  const built: ReturnType<typeof fakeClient>[] = [];
  let reads = 0;
  const kube = {
    readSecret: async () => (reads++, secret),
    secretVersion: () => (secret === 'absent' ? undefined : secret.resourceVersion), // the metadata cache
  } as unknown as KubeStore;
  const operatorClient = fakeClient({ kind: 'token', token: 'operator-token' });
  const clients = new ChamanClients(operatorClient, (auth) => {
    const client = fakeClient(auth);
    built.push(client);
    return client;
  }, kube, OPERATOR_SECRET);
  const sender = { metadata: { namespace: 'payroll', name: 'apk' }, spec: { senderNumber: '300010', credentialsSecretRef: { name: 'chaman-api' } } } as unknown as ChamanSender;
  return {
    clients,
    built,
    sender,
    reads: () => reads,
    operatorClient,
    rotate(token: string, resourceVersion: string) {
      secret = { data: { token: new TextEncoder().encode(token) }, resourceVersion };
    },
    deleteSecret() {
      secret = 'absent';
    },
    /** another sender of the same namespace, with the same credentials Secret unless told otherwise */
    sender2(secretName = 'chaman-api') {
      return { metadata: { namespace: 'payroll', name: 'apk-2' }, spec: { senderNumber: '300011', credentialsSecretRef: { name: secretName } } } as unknown as ChamanSender;
    },
  };
}

describe('ChamanClients', () => {
  it('reuses the client while the Secret is unchanged, without reading the Secret again', async () => {
    const t = setup();
    const first = await t.clients.forSender(t.sender);
    expect(await t.clients.forSender(t.sender)).toBe(first);
    expect(t.built).toHaveLength(1);
    expect(t.reads()).toBe(1);
  });

  it('closes the client it replaces when the Secret changed, and only that one', async () => {
    const t = setup();
    await t.clients.forSender(t.sender);
    t.rotate('token-2', '2');
    const second = await t.clients.forSender(t.sender);
    expect(t.built.map((c) => c.closed)).toEqual([1, 0]);
    expect(second).toBe(t.built[1]);
    expect(t.built[1]!.auth).toMatchObject({ kind: 'token', token: 'token-2' });
  });

  it('close() closes every per-Secret client', async () => {
    const t = setup();
    await t.clients.forSender(t.sender);
    await t.clients.close();
    expect(t.built[0]!.closed).toBe(1);
  });
});

describe("ChamanClients: the operator's own credentials Secret (issue 16 item 7)", () => {
  const naming = (namespace: string, name: string) =>
    ({ metadata: { namespace, name: 'squatter' }, spec: { senderNumber: '300010', credentialsSecretRef: { name } } }) as unknown as ChamanSender;

  it('refuses a sender in the operator\'s namespace that names it, as InvalidCredentials, and says what to do', async () => {
    const t = setup();
    const error = await t.clients.forSender(naming('chaman-system', 'chaman-api')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeedsUserError);
    expect(error).toMatchObject({ stalledReason: 'InvalidCredentials' });
    expect((error as Error).message).toMatch(/^spec\.credentialsSecretRef: Secret "chaman-api" holds the operator's own Chaman credentials/);
    expect((error as Error).message).toContain('ChamanSenderGrant');
    expect(t.reads()).toBe(0);
    expect(t.built).toHaveLength(0);
  });

  it('a Secret of the same name in another namespace is that namespace\'s own', async () => {
    const t = setup();
    await t.clients.forSender(naming('payroll', 'chaman-api'));
    expect(t.built).toHaveLength(1);
  });
});

describe('ChamanClients: a client goes with its sender or Secret (issue 16 item 8)', () => {
  it('closes and forgets the client when its only sender is deleted', async () => {
    const t = setup();
    await t.clients.forSender(t.sender);
    t.clients.forgetSender({ namespace: 'payroll', name: 'apk' });
    expect(t.built[0]!.closed).toBe(1);
    expect(t.clients.size).toBe(0);
  });

  it('keeps the client while another sender still uses the Secret', async () => {
    const t = setup();
    await t.clients.forSender(t.sender);
    await t.clients.forSender(t.sender2());
    t.clients.forgetSender({ namespace: 'payroll', name: 'apk' });
    expect(t.built[0]!.closed).toBe(0);
    t.clients.forgetSender({ namespace: 'payroll', name: 'apk-2' });
    expect(t.built[0]!.closed).toBe(1);
  });

  it('keeps no client for a sender deleted while its Secret was being read', async () => {
    const t = setup();
    const pending = t.clients.forSender(t.sender);
    t.clients.forgetSender({ namespace: 'payroll', name: 'apk' });
    await pending;
    expect(t.clients.size).toBe(0);
  });

  it('closes the client when its Secret is deleted', async () => {
    const t = setup();
    await t.clients.forSender(t.sender);
    t.clients.forgetSecret({ namespace: 'payroll', name: 'chaman-api' });
    expect(t.built[0]!.closed).toBe(1);
    expect(t.clients.size).toBe(0);
  });

  it('closes the client when a reconcile finds its Secret gone (a Secret outside --secret-label-selector)', async () => {
    const t = setup();
    await t.clients.forSender(t.sender);
    t.deleteSecret();
    await expect(t.clients.forSender(t.sender)).rejects.toMatchObject({ stalledReason: 'SecretNotFound' });
    expect(t.built[0]!.closed).toBe(1);
    expect(t.clients.size).toBe(0);
  });

  it('releases the old Secret\'s client when the sender moves to the operator-wide credentials', async () => {
    const t = setup();
    await t.clients.forSender(t.sender);
    const moved = { ...t.sender, spec: { ...t.sender.spec, credentialsSecretRef: undefined } } as ChamanSender;
    expect(await t.clients.forSender(moved)).toBe(t.operatorClient);
    expect(t.built[0]!.closed).toBe(1);
    expect(t.operatorClient.closed).toBe(0);
  });
});
