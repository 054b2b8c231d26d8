// With a cluster to read (--kubeconfig), plan sees the objects the input no longer holds: an account
// under deletionPolicy Delete is deleted in Chaman (the finalizer's path of the reconcile driver), one
// under Orphan stays there, a removed ChamanSender stays too; a recorded external name is followed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChamanSender, ChannelAccount } from '../../../src/api/types.generated.ts';
import type { ChamanAccount } from '../../../src/chaman/types.ts';
import { makeCertificate, type MadeCertificate } from '../../../src/devtools/certificates.ts';
import { loadPlanInput } from '../../../src/plan/input.ts';
import type { ClusterReader, LiveCluster } from '../../../src/plan/live.ts';
import { makePlan } from '../../../src/plan/plan.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { account, CONTACT, grant, NS, sender, SETTINGS, startPlanEnv, tlsSecret, upload, type PlanEnv } from './plan-env.ts';

const N = '300010';
const ready = { conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: 'Chaman matches the spec.', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' }], observedGeneration: 1 };

function live<T>(doc: Record<string, any>, extra: { externalName?: string; finalizer?: boolean; age?: number } = {}): T {
  return {
    ...doc,
    metadata: {
      ...doc.metadata,
      uid: `uid-${doc.metadata.name}`,
      generation: 1,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, extra.age ?? 0)).toISOString().replace('.000', ''),
      annotations: extra.externalName ? { 'chaman.io/external-name': extra.externalName, 'chaman.io/create-succeeded': '2026-01-01T00:00:00Z' } : {},
      ...(extra.finalizer ? { finalizers: ['chaman.io/finalizer'] } : {}),
    },
    status: ready,
  } as T;
}

describe('plan with a cluster: deletions', () => {
  let env: PlanEnv;
  let cert: MadeCertificate;
  const accounts: Record<string, ChamanAccount> = {};
  const rest = (name: string, deletionPolicy?: string) =>
    account(name, { type: 'REST', accountName: name, permissions: ['EmployerRestPublic'], certificates: [{ name: 'c1', fileName: 'c1.cer', secretRef: { name: 'cert' } }], ...(deletionPolicy ? { deletionPolicy } : {}) });

  beforeAll(async () => {
    env = await startPlanEnv();
    cert = await makeCertificate({ subject: 'CN=del', freshKey: true });
    await env.writer.putContact(N, CONTACT);
    for (const name of ['kept', 'del-delete', 'del-orphan']) {
      accounts[name] = await env.writer.createAccount(N, { type: 'REST', name, permissions: ['EmployerRestPublic'], certificates: [upload('c1', cert.der)] }, name);
    }
  });
  afterAll(() => env.stop());

  it('delete, orphan, a removed sender, and a kept account followed by its recorded external name', async () => {
    const other = { ...sender('300011'), metadata: { name: 'old-sender', namespace: NS } };
    const cluster: LiveCluster = {
      senders: [live<ChamanSender>(sender()), live<ChamanSender>(other)],
      accounts: [
        live<ChannelAccount>(rest('kept'), { externalName: accounts.kept!.id, finalizer: true }),
        live<ChannelAccount>(rest('del-delete', 'Delete'), { externalName: accounts['del-delete']!.id, finalizer: true }),
        live<ChannelAccount>(rest('del-orphan', 'Orphan'), { externalName: accounts['del-orphan']!.id }),
      ],
      grants: [grant() as never],
      namespaceLabels: new Map([[NS, {}]]),
      notes: [],
    };
    const reader: ClusterReader = { read: async () => cluster, secret: async () => 'absent', configMapKey: async () => undefined };
    const file = join(env.dir, 'input.yaml');
    writeFileSync(file, [sender(), rest('kept'), tlsSecret('cert', cert.pem, cert.privateKeyPem)].map((d) => `---\n${stringify(d)}`).join(''));
    const now = new Date();
    const loaded = await loadPlanInput([file], { now, sha1Cutoff: SETTINGS.sha1Cutoff });
    const before = env.emulator.requests().total;
    const plan = await makePlan({ input: loaded.input!, chaman: env.reader, cluster: reader, settings: SETTINGS, now });

    const byName = Object.fromEntries(plan.changes.map((c) => [c.name, c]));
    expect(plan.changes.map((c) => [c.kind, c.name, c.action])).toEqual([
      ['ChamanSender', 'apk', 'no-op'],
      ['ChannelAccount', 'kept', 'no-op'],
      ['ChannelAccount', 'del-delete', 'delete'],
      ['ChannelAccount', 'del-orphan', 'orphan'],
      ['ChamanSender', 'old-sender', 'orphan'],
    ]);
    expect(byName['del-delete']!.requests).toEqual([{ method: 'DELETE', operation: 'deleteAccount', path: `/api/v1/senders/${N}/accounts/${accounts['del-delete']!.id}` }]);
    expect(byName['del-delete']!.reason).toMatch(/definitive, R13/);
    expect(byName['del-delete']!.fields).toContainEqual(expect.objectContaining({ field: 'certificates', change: 'removed', certificate: expect.objectContaining({ subject: 'CN=del' }) }));
    expect(byName['del-delete']!.fields).toContainEqual(expect.objectContaining({ field: 'permissions', change: 'removed', before: 'EmployerRestPublic', labels: expect.objectContaining({ fr: 'Service Rest Employer - Public' }) }));
    expect(byName['del-orphan']).toMatchObject({ externalName: accounts['del-orphan']!.id, requests: [] });
    expect(byName.kept).toMatchObject({ externalName: accounts.kept!.id });
    expect(plan.notes).toEqual([]);
    expect(plan.summary).toMatchObject({ delete: 1, orphan: 2, noop: 2 });
    expect(env.emulator.requests().recent.filter((r) => r.seq > before && r.method !== 'GET')).toEqual([]);
    expect((await env.reader.listAccounts(N)).map((a) => a.name).sort()).toEqual(['del-delete', 'del-orphan', 'kept']);
  });
});
