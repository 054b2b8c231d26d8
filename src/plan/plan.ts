// `plan`: what applying the input would do in Chaman, object by object, decided by a dry run of the
// operator's reconcile (dry-run.ts) against what Chaman and, with --kubeconfig, the cluster hold now.
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import type { ChamanClient } from '../chaman/types.ts';
import type { Settings } from '../controller/ports.ts';
import { accountChange, deletionChange, senderChange } from './derive.ts';
import { DryRun } from './dry-run.ts';
import type { PlanInput } from './input.ts';
import type { ClusterReader } from './live.ts';
import { keyOf, PlanStore } from './plan-store.ts';
import { summarize, type Plan, type PlanChange } from './types.ts';
import { planWorld } from './world.ts';
import { ANNOTATIONS } from '../domain/annotations.ts';

export interface PlanOptions {
  input: PlanInput;
  /** Reads Chaman; plan never writes through it. */
  chaman: ChamanClient;
  /** With --kubeconfig: the cluster, read only. */
  cluster?: ClusterReader;
  settings: Settings;
  now: Date;
}

export const NO_KUBECONFIG_NOTE =
  'Without --kubeconfig, deletions cannot be seen (an object removed from the input is not shown), and each account is matched by what Chaman shows: its chaman.io/external-name annotation, its singleton type (FTP, SFTP, SOAP) or its REST account name.';

export async function makePlan(options: PlanOptions): Promise<Plan> {
  const { input, cluster, now } = options;
  const live = cluster ? await cluster.read(input.namespaces) : undefined;
  const notes = [...(live?.notes ?? [])];
  if (!cluster) notes.push(NO_KUBECONFIG_NOTE);
  let settings = options.settings;
  if (settings.requireSenderGrant && input.grants.length === 0 && live?.grants === undefined) {
    settings = { ...settings, requireSenderGrant: false };
    if (cluster === undefined) notes.push('No ChamanSenderGrant in the input and no --kubeconfig: the grant each sender needs was not checked.');
  }
  const { world, live: liveByKey, deleted, missingSecrets } = planWorld(input, live, now, cluster?.secret);
  if (cluster) world.readClientId = cluster.configMapKey;
  const store = new PlanStore(world);
  const dry = new DryRun(store, options.chaman, settings, now);
  const catalog = await dry.reads.listPermissions();
  const changes: PlanChange[] = [];

  for (const sender of [...world.senders.values()].filter((s) => !s.metadata.deletionTimestamp)) {
    const run = await dry.reconcile(sender);
    changes.push(senderChange(run, world.senders.get(run.key)!));
  }
  const senderNumber = (a: ChannelAccount) => world.senders.get(`${a.metadata.namespace ?? 'default'}/${a.spec.senderRef.name}`)?.spec.senderNumber ?? '';
  for (const account of [...world.accounts.values()]) {
    const isDeleted = deleted.has(`ChannelAccount:${keyOf(account)}`);
    const liveCopy = liveByKey.get(`ChannelAccount:${keyOf(account)}`) as ChannelAccount | undefined;
    const policies = dry.accountKind.policies(account);
    const run = await dry.reconcile(account);
    const after = world.accounts.get(run.key)!;
    if (isDeleted) {
      changes.push(await deletionChange(run, senderNumber(account), policies.deleteExternal, after, catalog));
      continue;
    }
    const publication = store.publications.get(run.key);
    changes.push(
      await accountChange(run, {
        after,
        senderNumber: senderNumber(account),
        ...(liveCopy?.metadata.annotations?.[ANNOTATIONS.externalName] ? { liveExternalName: liveCopy.metadata.annotations[ANNOTATIONS.externalName] } : {}),
        catalog,
        ...(publication ? { publication } : {}),
        publicationKnown: cluster !== undefined,
      }),
    );
  }
  for (const key of deleted) {
    if (!key.startsWith('ChamanSender:')) continue;
    const sender = world.senders.get(key.slice('ChamanSender:'.length)) as ChamanSender;
    const [namespace, name] = keyOf(sender).split('/') as [string, string];
    changes.push({
      kind: 'ChamanSender',
      namespace,
      name,
      senderNumber: sender.spec.senderNumber,
      action: 'orphan',
      reason: `A sender is never deleted in Chaman: sender ${sender.spec.senderNumber} and its contact data stay there.`,
      fields: [],
      requests: [],
    });
  }
  if (missingSecrets.size > 0) {
    const names = [...missingSecrets].sort().join(', ');
    notes.push(
      cluster
        ? `Secrets referenced but found neither in the input nor in the cluster: ${names}. Give them with -f, or create them in the cluster.`
        : `Secrets referenced but not in the input (the cluster was not read: no --kubeconfig): ${names}. Give them with -f, or run with --kubeconfig where they exist.`,
    );
  }
  return { formatVersion: '1', changes, summary: summarize(changes), observedAt: now.toISOString(), notes };
}
