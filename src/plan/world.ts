// The cluster as it will be once the input is applied: each input object over its live copy (the
// operator's annotations, finalizers and status stay; the spec is the input's), and, with
// --kubeconfig, the live objects the input no longer holds, marked as being deleted.
import { createHash } from 'node:crypto';
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import { ANNOTATIONS } from '../domain/annotations.ts';
import type { SecretContent } from '../controller/ports.ts';
import type { PlanInput } from './input.ts';
import type { LiveCluster } from './live.ts';
import { keyOf, type PlanWorld } from './plan-store.ts';
import { rfc3339 } from '../domain/time.ts';

type Managed = ChamanSender | ChannelAccount;

export interface PlannedWorld {
  world: PlanWorld;
  /** What the cluster holds now, by key (empty without --kubeconfig). */
  live: Map<string, Managed>;
  /** Keys of the objects the input no longer holds (deleted by the apply). */
  deleted: Set<string>;
  /** `namespace/name` of referenced Secrets found neither in the input nor (with --kubeconfig) in the cluster. */
  missingSecrets: Set<string>;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The input object as the reconciler will see it after the apply. */
function planned<T extends Managed>(input: T, live: T | undefined, now: Date, lookup: boolean): T {
  const object = structuredClone(input);
  const annotations = { ...live?.metadata.annotations, ...input.metadata.annotations };
  // Without a live copy, the reconciler's own lookup (create guard) finds an account Chaman already
  // holds by its singleton type or REST name, as after a create whose answer was lost.
  if (lookup && object.kind === 'ChannelAccount' && !annotations[ANNOTATIONS.externalName]) annotations[ANNOTATIONS.createPending] = rfc3339(now);
  if (!live) {
    object.metadata = { ...object.metadata, uid: `plan:${keyOf(input)}`, creationTimestamp: rfc3339(now), generation: 1, annotations };
    return object;
  }
  const generation = (live.metadata.generation ?? 1) + (sameJson(live.spec, input.spec) ? 0 : 1);
  return { ...object, metadata: { ...live.metadata, labels: input.metadata.labels ?? live.metadata.labels, annotations, generation }, status: live.status };
}

export function planWorld(input: PlanInput, live: LiveCluster | undefined, now: Date, readLiveSecret?: (ns: string, name: string) => Promise<SecretContent | 'absent'>): PlannedWorld {
  const liveByKey = new Map<string, Managed>([...(live?.senders ?? []), ...(live?.accounts ?? [])].map((o) => [`${o.kind}:${keyOf(o)}`, o]));
  const lookup = live === undefined;
  const missingSecrets = new Set<string>();
  const world: PlanWorld = {
    senders: new Map(input.senders.map((s) => [keyOf(s), planned(s, liveByKey.get(`ChamanSender:${keyOf(s)}`) as ChamanSender | undefined, now, lookup)])),
    accounts: new Map(input.accounts.map((a) => [keyOf(a), planned(a, liveByKey.get(`ChannelAccount:${keyOf(a)}`) as ChannelAccount | undefined, now, lookup)])),
    otherSenders: (live?.allSenders ?? []).filter((s) => !input.namespaces.includes(s.metadata.namespace ?? 'default')),
    grants: [...input.grants, ...(live?.grants ?? []).filter((g) => !input.grants.some((i) => i.metadata.name === g.metadata.name))],
    namespaceLabels: new Map([...(live?.namespaceLabels ?? []), ...input.namespaceLabels]),
    readSecret: secretReader(input, missingSecrets, readLiveSecret),
  };
  const deleted = new Set<string>();
  const gone = rfc3339(now);
  for (const sender of live?.senders ?? []) {
    if (!world.senders.has(keyOf(sender))) {
      world.senders.set(keyOf(sender), { ...sender, metadata: { ...sender.metadata, deletionTimestamp: gone } });
      deleted.add(`ChamanSender:${keyOf(sender)}`);
    }
  }
  for (const account of live?.accounts ?? []) {
    if (!world.accounts.has(keyOf(account))) {
      world.accounts.set(keyOf(account), { ...account, metadata: { ...account.metadata, deletionTimestamp: gone } });
      deleted.add(`ChannelAccount:${keyOf(account)}`);
    }
  }
  return { world, live: liveByKey, deleted, missingSecrets };
}

/**
 * The input's Secrets, then the cluster's. An input Secret stands for what the cluster will hold: its
 * version is the live one when the content is the same, else one derived from the content (so a
 * changed FTP password reads as changed, as the operator sees a new resourceVersion).
 */
function secretReader(input: PlanInput, missing: Set<string>, readLive?: (ns: string, name: string) => Promise<SecretContent | 'absent'>): PlanWorld['readSecret'] {
  return async (namespace, name) => {
    const key = `${namespace}/${name}`;
    const data = input.secrets.get(key);
    const current = readLive ? await readLive(namespace, name) : 'absent';
    if (!data && current === 'absent') missing.add(input.opaqueSecrets.has(key) ? `${key} (encrypted or generated in the input)` : key);
    if (!data) return current;
    const digest = (d: Record<string, Uint8Array>) =>
      createHash('sha256').update(JSON.stringify(Object.keys(d).sort().map((k) => [k, Buffer.from(d[k]!).toString('base64')]))).digest('hex');
    if (current !== 'absent' && digest(current.data) === digest(data)) return current;
    return { data, resourceVersion: `input-${digest(data).slice(0, 16)}` };
  };
}
