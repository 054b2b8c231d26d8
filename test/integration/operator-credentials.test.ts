// The credentials a ChamanSender may use, on the real API server and the emulator (issue 16):
// - it cannot name the operator's own credentials Secret as its own, which would need no grant (item 7);
// - a per-sender client, and the credential in it, goes when its sender or its Secret goes (item 8).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChamanClient } from '../../src/chaman/types.ts';
import { RESOURCES, resourcePath } from '../../src/kube/client.ts';
import { createNamespace, waitFor } from './support/cluster.ts';
import { sender, startHarness, stopHarness, stringSecret, type Harness } from './support/operator.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness(await createNamespace('creds'));
});
afterEach(async () => {
  await stopHarness(h);
});

const requestsFor = (senderNumber: string) => h.emulator.requests().recent.filter((r) => r.path.includes(`/senders/${senderNumber}`)).length;

async function remove(resource: 'chamansenders' | 'secrets', name: string): Promise<void> {
  const rt = resource === 'secrets' ? RESOURCES.secrets : RESOURCES.chamanSenders;
  await h.kube.request({ verb: 'delete', resource, method: 'DELETE', path: resourcePath(rt, h.namespace, name) });
}

/** Clients the operator builds, in order (the operator-wide one first), each with whether it was closed. */
function trackClients() {
  const built: { client: ChamanClient; closed: boolean }[] = [];
  const wrapChaman = (client: ChamanClient): ChamanClient => {
    const entry = { client, closed: false };
    built.push(entry);
    return new Proxy(client, {
      get(target, property, receiver) {
        if (property === 'close') return () => ((entry.closed = true), target.close());
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return { built, wrapChaman };
}

describe("the operator's own credentials Secret (item 7)", () => {
  it('a sender in its namespace that names it is Stalled/InvalidCredentials, needs a grant all the same, and reaches no Chaman', async () => {
    // The test namespace plays the operator's namespace; chaman-api holds the operator's own token.
    await h.apply(stringSecret('chaman-api', { token: h.token }));
    await h.startOperator({ requireSenderGrant: true, chamanCredentialsSecret: { namespace: h.namespace, name: 'chaman-api' } });
    await h.apply({ ...sender('squatter', '300077'), spec: { ...(sender('squatter', '300077').spec as object), credentialsSecretRef: { name: 'chaman-api' } } });
    const stalled = await h.waitForCondition<{ status: { conditions: { type: string; reason: string; message: string }[] } }>('ChamanSender', 'squatter', 'Stalled', 'True', 'InvalidCredentials');
    const message = stalled.status.conditions.find((c) => c.type === 'Stalled')!.message;
    expect(message).toContain("holds the operator's own Chaman credentials");
    expect(message).toContain('ChamanSenderGrant');
    expect(requestsFor('300077')).toBe(0);
  });
});

describe('per-sender clients (item 8)', () => {
  it('the client of a sender is closed when the sender is deleted, and when its Secret is deleted', async () => {
    const tracked = trackClients();
    await h.startOperator({}, h.token, { wrapChaman: tracked.wrapChaman });
    await h.apply(stringSecret('own-1', { token: h.token }));
    await h.apply(stringSecret('own-2', { token: h.token }));
    const withSecret = (name: string, number: string, secret: string) => ({ ...sender(name, number), spec: { ...(sender(name, number).spec as object), credentialsSecretRef: { name: secret } } });
    await h.apply(withSecret('one', '300081', 'own-1'));
    await h.waitForCondition('ChamanSender', 'one', 'Ready', 'True');
    await h.apply(withSecret('two', '300082', 'own-2'));
    await h.waitForCondition('ChamanSender', 'two', 'Ready', 'True');
    expect(tracked.built).toHaveLength(3); // the operator-wide client, then one per Secret
    const [, first, second] = tracked.built;
    expect([first!.closed, second!.closed]).toEqual([false, false]);

    await remove('chamansenders', 'one');
    await waitFor('the client of sender "one" closed', async () => first!.closed || undefined, 15_000, 100);
    expect(second!.closed).toBe(false);

    await remove('secrets', 'own-2');
    await waitFor('the client of Secret "own-2" closed', async () => second!.closed || undefined, 15_000, 100);
    expect(tracked.built[0]!.closed).toBe(false);
  });
});
