// With --kubeconfig, what the cluster holds now, read only (get and list): the ChamanSenders and
// ChannelAccounts of the input's namespaces (external names, deletion policies, objects the input no
// longer holds), the grants, namespace labels, and the Secrets and ConfigMaps the input does not hold.
// A read the credential may not make is noted, not fatal: the plan says what it could not see.
import type { ChamanSender, ChamanSenderGrant, ChannelAccount } from '../api/types.generated.ts';
import type { SecretContent } from '../controller/ports.ts';
import { KubeApiError, RESOURCES, resourcePath, type KubeClient, type KubeList, type KubeObject, type ResourceType } from '../kube/client.ts';
import { KubeObjects } from '../kube/objects.ts';

export interface LiveCluster {
  senders: ChamanSender[];
  accounts: ChannelAccount[];
  /** ChamanSenders of every namespace, when the credential may list them. */
  allSenders?: ChamanSender[];
  /** undefined: could not be read. */
  grants?: ChamanSenderGrant[];
  namespaceLabels: Map<string, Record<string, string>>;
  notes: string[];
}

/** What plan reads of the cluster (a port: the CLI gives it a KubeClient, tests a fake). */
export interface ClusterReader {
  read(namespaces: string[]): Promise<LiveCluster>;
  secret(namespace: string, name: string): Promise<SecretContent | 'absent'>;
  configMapKey(namespace: string, configMap: string, key: string): Promise<string | undefined>;
}

export function kubeClusterReader(kube: KubeClient): ClusterReader {
  return {
    read: (namespaces) => readLiveCluster(kube, namespaces),
    secret: (namespace, name) => readLiveSecret(kube, namespace, name),
    configMapKey: (namespace, name, key) => readLiveConfigMapKey(kube, namespace, name, key),
  };
}

const forbidden = (e: unknown): boolean => e instanceof KubeApiError && (e.status === 403 || e.status === 401);

async function list<T>(kube: KubeClient, rt: ResourceType, namespace?: string): Promise<T[]> {
  const answer = await kube.request<KubeList<KubeObject>>({ verb: 'list', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace) });
  return answer.items.map((item) => ({ ...item, apiVersion: answer.apiVersion ?? `${rt.group}/${rt.version}`, kind: rt.kind }) as T);
}

export async function readLiveCluster(kube: KubeClient, namespaces: string[]): Promise<LiveCluster> {
  const live: LiveCluster = { senders: [], accounts: [], namespaceLabels: new Map(), notes: [] };
  const objects = new KubeObjects(kube);
  for (const namespace of namespaces) {
    live.senders.push(...(await list<ChamanSender>(kube, RESOURCES.chamanSenders, namespace)));
    live.accounts.push(...(await list<ChannelAccount>(kube, RESOURCES.channelAccounts, namespace)));
    try {
      const ns = await objects.get(RESOURCES.namespaces, undefined, namespace);
      if (ns) live.namespaceLabels.set(namespace, (ns.metadata.labels ?? {}) as Record<string, string>);
    } catch (e) {
      if (!forbidden(e)) throw e;
    }
  }
  try {
    live.grants = await list<ChamanSenderGrant>(kube, RESOURCES.chamanSenderGrants);
  } catch (e) {
    if (!forbidden(e)) throw e;
    live.notes.push('The ChamanSenderGrants could not be read (forbidden): the grant each sender needs was not checked.');
  }
  try {
    live.allSenders = await list<ChamanSender>(kube, RESOURCES.chamanSenders);
  } catch (e) {
    if (!forbidden(e)) throw e;
    live.notes.push('ChamanSenders of other namespaces could not be listed (forbidden): a sender number managed elsewhere (SenderConflict) was not checked.');
  }
  return live;
}

/** A Secret of the cluster, or absent when it does not exist or may not be read. */
export async function readLiveSecret(kube: KubeClient, namespace: string, name: string): Promise<SecretContent | 'absent'> {
  try {
    const secret = await new KubeObjects(kube).getSecretData(namespace, name);
    return secret ? { data: secret.data as Record<string, Uint8Array>, resourceVersion: secret.resourceVersion } : 'absent';
  } catch (e) {
    if (forbidden(e)) return 'absent';
    throw e;
  }
}

export async function readLiveConfigMapKey(kube: KubeClient, namespace: string, name: string, key: string): Promise<string | undefined> {
  try {
    const cm = await new KubeObjects(kube).get<KubeObject & { data?: Record<string, string> }>(RESOURCES.configMaps, namespace, name);
    return cm?.data?.[key];
  } catch (e) {
    if (forbidden(e)) return undefined;
    throw e;
  }
}
