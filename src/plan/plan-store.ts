// The KubeStore the reconciler sees during a plan: the cluster as it will be once the input is
// applied (the input's objects, over what --kubeconfig showed of them), and the input's Secrets.
// Nothing is written: status, annotations and the client-ID ConfigMap are kept here, so the next
// object's reconcile sees them (an account sees its sender Ready once the sender's plan converged).
import type { ChamanSender, ChamanSenderGrant, ChamanSenderStatus, ChannelAccount, ChannelAccountStatus } from '../api/types.generated.ts';
import { FINALIZER } from '../domain/annotations.ts';
import type { MetadataChange } from '../controller/driver/managed.ts';
import type { KubeStore, SecretContent } from '../controller/ports.ts';
import { ANNOTATIONS } from '../domain/annotations.ts';

export interface ClientIdPublication {
  configMap: string;
  key: string;
  /** The value in the cluster now, when --kubeconfig could read it. */
  current?: string;
}

/** What the plan knows of the cluster after the apply. Objects are keyed by `namespace/name`. */
export interface PlanWorld {
  senders: Map<string, ChamanSender>;
  accounts: Map<string, ChannelAccount>;
  /** ChamanSenders of other namespaces (from --kubeconfig): one sender number, one ChamanSender. */
  otherSenders: ChamanSender[];
  grants: ChamanSenderGrant[];
  namespaceLabels: Map<string, Record<string, string>>;
  /** Secrets by `namespace/name`: the input's first, then (with --kubeconfig) the cluster's. */
  readSecret(namespace: string, name: string): Promise<SecretContent | 'absent'>;
  /** The client ID a ConfigMap holds now, when it can be read. */
  readClientId?(namespace: string, configMap: string, key: string): Promise<string | undefined>;
}

export const keyOf = (o: { metadata: { namespace?: string; name: string } }): string => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

export class PlanStore implements KubeStore {
  private readonly world: PlanWorld;
  /** Client-ID publications the reconciles asked for, by account key. */
  readonly publications = new Map<string, ClientIdPublication>();
  /** Keys whose status a reconcile wrote (cleared by the caller before each one). */
  readonly statusWritten = new Set<string>();

  constructor(world: PlanWorld) {
    this.world = world;
  }

  getSender(namespace: string, name: string): ChamanSender | undefined {
    return this.world.senders.get(`${namespace}/${name}`);
  }

  accountsOfSender(namespace: string, senderName: string): ChannelAccount[] {
    return [...this.world.accounts.values()].filter((a) => (a.metadata.namespace ?? 'default') === namespace && a.spec.senderRef.name === senderName);
  }

  sendersWithNumber(senderNumber: string): ChamanSender[] {
    return [...this.world.senders.values(), ...this.world.otherSenders].filter((s) => s.spec.senderNumber === senderNumber);
  }

  accountsClaiming(namespace: string, senderName: string, externalId: string): ChannelAccount[] {
    return this.accountsOfSender(namespace, senderName).filter((a) => a.metadata.annotations?.[ANNOTATIONS.externalName] === externalId);
  }

  grants(): ChamanSenderGrant[] {
    return this.world.grants;
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.world.namespaceLabels.get(namespace);
  }

  readSecret(namespace: string, name: string): Promise<SecretContent | 'absent'> {
    return this.world.readSecret(namespace, name);
  }

  secretVersion(): string | undefined {
    return undefined; // only the operator's own client cache asks, and plan has none
  }

  async applyAccountStatus(account: ChannelAccount, status: ChannelAccountStatus): Promise<undefined> {
    const held = this.world.accounts.get(keyOf(account));
    if (held) held.status = status;
    this.statusWritten.add(keyOf(account));
    return undefined;
  }

  async applySenderStatus(sender: ChamanSender, status: ChamanSenderStatus): Promise<undefined> {
    const held = this.world.senders.get(keyOf(sender));
    if (held) held.status = status;
    this.statusWritten.add(keyOf(sender));
    return undefined;
  }

  async updateMetadata<T extends ChamanSender | ChannelAccount>(object: T, change: MetadataChange): Promise<T> {
    const written = structuredClone(object);
    const annotations = { ...written.metadata.annotations };
    for (const [key, value] of Object.entries(change.annotations ?? {})) {
      if (value === null) delete annotations[key];
      else annotations[key] = value;
    }
    written.metadata.annotations = annotations;
    if (change.finalizer !== undefined) {
      const others = (written.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
      written.metadata.finalizers = change.finalizer ? [...others, FINALIZER] : others;
    }
    const map = (written.kind === 'ChamanSender' ? this.world.senders : this.world.accounts) as Map<string, T>;
    if (map.has(keyOf(written))) map.set(keyOf(written), written);
    return written;
  }

  async publishClientId(account: ChannelAccount, configMap: string, key: string, clientId: string): Promise<void> {
    const current = await this.world.readClientId?.(account.metadata.namespace ?? 'default', configMap, key);
    if (current !== clientId) this.publications.set(keyOf(account), { configMap, key, ...(current !== undefined ? { current } : {}) });
  }
}
