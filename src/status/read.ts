// Reads what `status` shows from Kubernetes, and only from Kubernetes (never Chaman): the target's
// senders and accounts, the Secrets they name, and the namespace's core/v1 Events about chaman.io objects.
// A Secret's values are dropped here, as soon as it is read: only its key names and resourceVersion leave.
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import { isNotFound, KubeApiError, resourcePath, RESOURCES, type KubeClient, type KubeList, type KubeObject, type ResourceType } from '../kube/client.ts';
import { referencedSecretNames, type CoreEvent, type SecretSummary, type StatusSnapshot, type StatusTarget } from './snapshot.ts';

/** core/v1 Events: their involvedObject can be selected on the server (events.k8s.io/v1 names it `regarding`). */
const CORE_EVENTS: ResourceType = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
const PAGE_SIZE = 500;
/** Secrets read at once. */
const SECRET_READS_IN_FLIGHT = 8;

export async function readSnapshot(kube: KubeClient, target: StatusTarget, signal?: AbortSignal): Promise<StatusSnapshot> {
  const { senders, accounts } = await readObjects(kube, target, signal);
  const [secrets, events] = await Promise.all([readSecrets(kube, target.namespace, referencedSecretNames(senders, accounts), signal), readEvents(kube, target.namespace, signal)]);
  return { target, senders, accounts, secrets, events, observedAt: new Date() };
}

async function readObjects(kube: KubeClient, target: StatusTarget, signal?: AbortSignal): Promise<{ senders: ChamanSender[]; accounts: ChannelAccount[] }> {
  const ns = target.namespace;
  if (target.kind === 'all') {
    const [senders, accounts] = await Promise.all([list<ChamanSender>(kube, RESOURCES.chamanSenders, ns, {}, signal), list<ChannelAccount>(kube, RESOURCES.channelAccounts, ns, {}, signal)]);
    return { senders, accounts };
  }
  if (target.kind === 'sender') {
    const [sender, all] = await Promise.all([get<ChamanSender>(kube, RESOURCES.chamanSenders, ns, target.name!, signal), list<ChannelAccount>(kube, RESOURCES.channelAccounts, ns, {}, signal)]);
    return { senders: sender ? [sender] : [], accounts: all.filter((a) => a.spec?.senderRef?.name === target.name) };
  }
  const account = await get<ChannelAccount>(kube, RESOURCES.channelAccounts, ns, target.name!, signal);
  if (!account) return { senders: [], accounts: [] };
  const sender = await get<ChamanSender>(kube, RESOURCES.chamanSenders, ns, account.spec.senderRef.name, signal);
  return { senders: sender ? [sender] : [], accounts: [account] };
}

async function readSecrets(kube: KubeClient, namespace: string, names: string[], signal?: AbortSignal): Promise<Map<string, SecretSummary>> {
  const found = new Map<string, SecretSummary>();
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      try {
        const secret = await get<KubeObject & { data?: Record<string, string> }>(kube, RESOURCES.secrets, namespace, name, signal);
        if (secret) found.set(name, summarizeSecret(secret));
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 403)) throw err;
        found.set(name, { name, keys: [], forbidden: true });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SECRET_READS_IN_FLIGHT, names.length) }, worker));
  return found;
}

/** The Secret without its values: name, key names (data and stringData), resourceVersion. */
export function summarizeSecret(secret: KubeObject & { data?: Record<string, unknown>; stringData?: Record<string, unknown> }): SecretSummary {
  const keys = [...new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})])].sort();
  return { name: secret.metadata.name ?? '', keys, ...(secret.metadata.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}) };
}

/** The namespace's Events about chaman.io objects (a field selector on the server; Events live an hour). */
async function readEvents(kube: KubeClient, namespace: string, signal?: AbortSignal): Promise<CoreEvent[]> {
  const items = await list<KubeObject>(kube, CORE_EVENTS, namespace, { fieldSelector: `involvedObject.apiVersion=${RESOURCES.channelAccounts.group}/${RESOURCES.channelAccounts.version}` }, signal);
  return items as unknown as CoreEvent[];
}

async function get<T>(kube: KubeClient, rt: ResourceType, namespace: string, name: string, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return await kube.request<T>({ verb: 'get', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace, name), ...(signal ? { signal } : {}) });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function list<T>(kube: KubeClient, rt: ResourceType, namespace: string, query: Record<string, string>, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const page = await kube.request<KubeList>({
      verb: 'list',
      resource: rt.plural,
      method: 'GET',
      path: resourcePath(rt, namespace),
      query: { ...query, limit: PAGE_SIZE, continue: cont },
      ...(signal ? { signal } : {}),
    });
    items.push(...(page.items as T[]));
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return items;
}
