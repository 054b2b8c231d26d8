// KubeStore on the informers (reads) and KubeObjects (writes): the Kubernetes side of the ports.
import type { ChamanSender, ChamanSenderGrant, ChamanSenderStatus, ChannelAccount, ChannelAccountStatus } from '../api/types.generated.ts';
import type { Logger } from 'pino';
import { RESOURCES, apiVersionOf, isNotFound, type KubeClient, type KubeObject, type ResourceType } from '../kube/client.ts';
import { informerMetricsHooks } from '../kube/index.ts';
import { Informer } from '../kube/informer.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import type { KubeObjects } from '../kube/objects.ts';
import { referencedSecrets } from './channel-account/account-inputs.ts';
import { ANNOTATIONS, FINALIZER, MANAGED_BY_LABEL } from '../domain/annotations.ts';
import { NeedsUserError } from './driver/error-policy.ts';
import type { MetadataChange } from './driver/managed.ts';
import { ownsNamespace, type Shard } from './sharding.ts';
import type { KubeStore, SecretContent } from './ports.ts';

/** The informer indexes the operator keeps, so an event or a reconcile never scans the whole cache. */
export const INDEX = {
  /** ChannelAccounts by `namespace/senderName`. */
  accountsBySender: 'bySender',
  /** ChannelAccounts by each Secret they reference, `namespace/secretName`. */
  accountsBySecret: 'bySecret',
  /** ChamanSenders by their credentials Secret, `namespace/secretName`. */
  sendersByCredentials: 'byCredentials',
  /** ChamanSenders by sender number (one sender number, one ChamanSender). */
  sendersByNumber: 'byNumber',
  /** ChannelAccounts by `namespace/senderName/externalName` (one Chaman account, one ChannelAccount). */
  accountsByExternalName: 'byExternalName',
} as const;

/** The keys of those indexes: one definition, for the index functions and the lookups alike. */
export const INDEX_KEY = {
  /** A sender, or a Secret: `namespace/name`. */
  inNamespace: (namespace: string | undefined, name: string): string => `${namespace}/${name}`,
  /** A claim on a Chaman account: `namespace/senderName/externalName`. */
  claim: (namespace: string | undefined, senderName: string, externalName: string): string => `${namespace}/${senderName}/${externalName}`,
} as const;

/** Adds the operator's indexes to its informers. */
export function addIndexes(accounts: Informers['accounts'], senders: Informers['senders']): void {
  accounts.addIndex(INDEX.accountsBySender, (a) => [INDEX_KEY.inNamespace(a.metadata.namespace, a.spec.senderRef.name)]);
  accounts.addIndex(INDEX.accountsBySecret, (a) => referencedSecrets(a.spec).map((s) => INDEX_KEY.inNamespace(a.metadata.namespace, s)));
  accounts.addIndex(INDEX.accountsByExternalName, (a) => {
    const id = a.metadata.annotations?.[ANNOTATIONS.externalName];
    return id ? [INDEX_KEY.claim(a.metadata.namespace, a.spec.senderRef.name, id)] : [];
  });
  senders.addIndex(INDEX.sendersByCredentials, (s) => (s.spec.credentialsSecretRef ? [INDEX_KEY.inNamespace(s.metadata.namespace, s.spec.credentialsSecretRef.name)] : []));
  senders.addIndex(INDEX.sendersByNumber, (s) => [s.spec.senderNumber]);
}

export interface Informers {
  /** Every namespace's, sharded or not: tenancy ranks every sender of a number. */
  senders: Informer<ChamanSender & KubeObject>;
  /** Sharded, only this shard's namespaces' (shardScope). */
  accounts: Informer<ChannelAccount & KubeObject>;
  /** Metadata only: the cache never holds Secret content. Sharded, this shard's namespaces only. */
  secrets: Informer<KubeObject>;
  /** Metadata only, and only ConfigMaps the operator manages. Sharded, this shard's namespaces only. */
  configMaps: Informer<KubeObject>;
  /** Cluster-scoped; only when grants are required. */
  grants?: Informer<ChamanSenderGrant & KubeObject>;
  /** Metadata only (labels, for a grant's namespaceSelector); only when grants are required. */
  namespaces?: Informer<KubeObject>;
}

const rtOf = (o: ChamanSender | ChannelAccount) => (o.kind === 'ChamanSender' ? RESOURCES.chamanSenders : RESOURCES.channelAccounts);

export class InformerKubeStore implements KubeStore {
  private readonly informers: Informers;
  private readonly objects: KubeObjects;

  constructor(informers: Informers, objects: KubeObjects) {
    this.informers = informers;
    this.objects = objects;
  }

  getSender(namespace: string, name: string): ChamanSender | undefined {
    return this.informers.senders.get(namespace, name);
  }

  sendersWithNumber(senderNumber: string): ChamanSender[] {
    return [...this.informers.senders.byIndex(INDEX.sendersByNumber, senderNumber)];
  }

  accountsClaiming(namespace: string, senderName: string, externalId: string): ChannelAccount[] {
    return [...this.informers.accounts.byIndex(INDEX.accountsByExternalName, INDEX_KEY.claim(namespace, senderName, externalId))];
  }

  grants(): ChamanSenderGrant[] {
    return this.informers.grants ? [...this.informers.grants.values()] : [];
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.informers.namespaces?.get(undefined, namespace)?.metadata.labels ?? undefined;
  }

  accountsOfSender(namespace: string, senderName: string): ChannelAccount[] {
    return [...this.informers.accounts.byIndex(INDEX.accountsBySender, INDEX_KEY.inNamespace(namespace, senderName))];
  }

  /** Read at each reconcile that needs it and kept no longer (SPEC: no Secret content beyond one reconcile). */
  async readSecret(namespace: string, name: string): Promise<SecretContent | 'absent'> {
    const secret = await this.objects.getSecretData(namespace, name);
    if (!secret) return 'absent';
    return { data: secret.data, resourceVersion: secret.resourceVersion };
  }

  secretVersion(namespace: string, name: string): string | undefined {
    return this.informers.secrets.get(namespace, name)?.metadata.resourceVersion;
  }

  async applyAccountStatus(account: ChannelAccount, status: ChannelAccountStatus): Promise<string | undefined> {
    const written = await this.objects.applyStatus(RESOURCES.channelAccounts, account, status);
    return written?.metadata.resourceVersion;
  }

  async applySenderStatus(sender: ChamanSender, status: ChamanSenderStatus): Promise<string | undefined> {
    const written = await this.objects.applyStatus(RESOURCES.chamanSenders, sender, status);
    return written?.metadata.resourceVersion;
  }

  async updateMetadata<T extends ChamanSender | ChannelAccount>(object: T, change: MetadataChange): Promise<T> {
    const have = object.metadata.finalizers ?? [];
    const finalizers =
      change.finalizer === undefined || change.finalizer === have.includes(FINALIZER)
        ? undefined
        : change.finalizer
          ? [...have, FINALIZER]
          : have.filter((f) => f !== FINALIZER);
    try {
      const updated = await this.objects.patchMetadata<T>(rtOf(object), object, {
        ...(change.annotations ? { annotations: change.annotations } : {}),
        ...(finalizers ? { finalizers } : {}),
        precondition: true,
      });
      return updated ?? object;
    } catch (error) {
      // Releasing the finalizer of an object already gone is done.
      if (change.finalizer === false && isNotFound(error)) return object;
      throw error;
    }
  }

  async publishClientId(account: ChannelAccount, configMap: string, key: string, clientId: string): Promise<void> {
    const namespace = account.metadata.namespace ?? 'default';
    const result = await this.objects.ensureOwnedConfigMap(
      account,
      { namespace, name: configMap, labels: { ...MANAGED_BY_LABEL } },
      { [key]: clientId },
      this.informers.configMaps.get(namespace, configMap),
    );
    if (result === 'conflict') {
      throw new NeedsUserError(
        `ConfigMap "${configMap}" exists and is not owned by this ChannelAccount (the operator writes only a ConfigMap it created: ` +
          `this ChannelAccount as controller ownerReference and the label ${Object.entries(MANAGED_BY_LABEL).map(([k, v]) => `${k}=${v}`).join(',')}); ` +
          'choose another name in spec.rest.clientIdConfigMap or delete that ConfigMap.',
        { reason: 'Stalled', stalledReason: 'ConfigMapConflict' },
      );
    }
  }
}

/** Objects in lists come without apiVersion and kind; owner references and status applies need them. */
function typed<T extends KubeObject>(rt: ResourceType) {
  return (obj: T): T => {
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    return obj;
  };
}

/**
 * What a shard watches and caches of the kinds it keeps to its namespaces: every use of an account, a
 * Secret or a managed ConfigMap is within one namespace (a sender's accounts, the Secrets they name, the
 * ConfigMaps they own, the claims on an external name: `namespace/sender/id`), so objects of another
 * shard's namespaces would only cost memory. Of listed namespaces it watches its own only; of none of
 * them, still the list (an empty one would mean every namespace), and keeps nothing. Unsharded, everything.
 */
export function shardScope(shard: Shard | undefined, namespaces: readonly string[]): { namespaces: readonly string[]; keep?: (obj: KubeObject) => boolean } {
  if (!shard || shard.count <= 1) return { namespaces };
  const own = namespaces.filter((ns) => ownsNamespace(shard, ns));
  return { namespaces: own.length > 0 ? own : namespaces, keep: (obj) => ownsNamespace(shard, obj.metadata.namespace) };
}

/**
 * The operator's informers: senders and accounts as whole objects, Secrets and its own ConfigMaps as
 * metadata, and grants and namespace labels when grants are required. A shard keeps only its
 * namespaces' accounts, Secrets and ConfigMaps; senders, grants and namespaces stay cluster-wide for
 * tenancy (one sender per number, a grant's claims).
 */
export function createInformers(
  client: KubeClient,
  namespaces: readonly string[],
  metrics: OperatorMetrics,
  logger: Logger,
  o: { requireSenderGrant: boolean; secretLabelSelector?: string; shard?: Shard },
): Informers {
  const restart = (resource: string) => informerMetricsHooks(metrics, resource);
  const common = { client, namespaces, logger };
  const mine = shardScope(o.shard, namespaces);
  const accounts = new Informer<ChannelAccount & KubeObject>({ ...common, ...mine, resource: RESOURCES.channelAccounts, transform: typed(RESOURCES.channelAccounts), hooks: restart('channelaccounts') });
  const senders = new Informer<ChamanSender & KubeObject>({ ...common, resource: RESOURCES.chamanSenders, transform: typed(RESOURCES.chamanSenders), hooks: restart('chamansenders') });
  addIndexes(accounts, senders);
  // Grants and namespace labels matter only when grants are required (and need cluster-wide RBAC).
  const tenancyInformers = o.requireSenderGrant
    ? {
        grants: new Informer<ChamanSenderGrant & KubeObject>({ ...common, namespaces: [], resource: RESOURCES.chamanSenderGrants, transform: typed(RESOURCES.chamanSenderGrants), hooks: restart('chamansendergrants') }),
        namespaces: new Informer({ ...common, namespaces: [], resource: RESOURCES.namespaces, metadataOnly: true, hooks: restart('namespaces') }),
      }
    : {};
  return {
    senders,
    accounts,
    secrets: new Informer({ ...common, ...mine, resource: RESOURCES.secrets, metadataOnly: true, ...(o.secretLabelSelector ? { labelSelector: o.secretLabelSelector } : {}), hooks: restart('secrets') }),
    configMaps: new Informer({
      ...common,
      ...mine,
      resource: RESOURCES.configMaps,
      metadataOnly: true,
      labelSelector: Object.entries(MANAGED_BY_LABEL).map(([k, v]) => `${k}=${v}`).join(','),
      hooks: restart('configmaps'),
    }),
    ...tenancyInformers,
  };
}
