// ChamanClients keeps one client per sender credentials Secret and replaces it when the Secret
// changes; the replaced client's connections must be released (issue 10 item 6).
import { describe, expect, it } from 'vitest';
import type { ChamanSender } from '../../../src/api/types.generated.ts';
import type { ChamanAuth } from '../../../src/chaman/http-client.ts';
import type { ChamanClient } from '../../../src/chaman/types.ts';
import { ChamanClients } from '../../../src/controller/chaman-clients.ts';
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

function setup() {
  let secret: SecretContent = { data: { token: new TextEncoder().encode('token-1') }, resourceVersion: '1' };
  const built: ReturnType<typeof fakeClient>[] = [];
  let reads = 0;
  const kube = {
    readSecret: async () => (reads++, secret),
    secretVersion: () => secret.resourceVersion, // the metadata cache
  } as unknown as KubeStore;
  const clients = new ChamanClients(undefined, (auth) => {
    const client = fakeClient(auth);
    built.push(client);
    return client;
  }, kube);
  const sender = { metadata: { namespace: 'payroll', name: 'apk' }, spec: { senderNumber: '300010', credentialsSecretRef: { name: 'chaman-api' } } } as unknown as ChamanSender;
  return {
    clients,
    built,
    sender,
    reads: () => reads,
    rotate(token: string, resourceVersion: string) {
      secret = { data: { token: new TextEncoder().encode(token) }, resourceVersion };
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
