// Which events wake which keys: the informers' handlers of the operator. Level-triggered: a handler
// only enqueues (a reconcile always reads the current state), and it enqueues what may now decide
// differently: a sender's accounts when it changes, every sender when grants change, the rivals of a
// claim or a singleton, the accounts of a Secret. The echo of the operator's own writes wakes nothing.
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import { ANNOTATIONS } from '../domain/annotations.ts';
import { isSingletonType } from '../domain/index.ts';
import type { KubeObject } from '../kube/client.ts';
import { INDEX, INDEX_KEY, type Informers } from './kube-store.ts';
import type { OwnWrites } from './own-writes.ts';
import type { ConvergedAccounts, SeenSenders } from './resync/list-resync.ts';

const ACCOUNT = 'ChannelAccount';

/**
 * How long a sender waits to count its accounts after one came or went: a burst of accounts (a file
 * applied one object at a time) then costs its status one or two writes, not one per account.
 */
export const SENDER_COUNT_DELAY_MS = 1000;

/** What the handlers may do: enqueue keys, and forget what is no longer to be trusted. */
export interface EventActions {
  /** Now, or `afterMs` later (the earliest pending time wins). */
  enqueueSender(namespace: string | undefined, name: string, afterMs?: number): void;
  enqueueAccount(account: ChannelAccount): void;
  enqueueGrant(name: string): void;
  enqueueGrants(): void;
  /** A sender just added: its first resync a period away. */
  scheduleResync(sender: ChamanSender): void;
  releaseAccountsWaitingFor(sender: ChamanSender): void;
  ownWrites: OwnWrites;
  seenSenders: SeenSenders;
  converged: ConvergedAccounts;
}

export function wireEventHandlers(informers: Informers, actions: EventActions): void {
  const handlers = new EventHandlers(informers, actions);
  handlers.wireSenderEvents();
  handlers.wireTenancyEvents();
  handlers.wireAccountEvents();
  handlers.wireSecretAndConfigMapEvents();
}

/** A change the reconciler must act on: the spec (generation), annotations (pause, adoption, requests) or deletion. */
function specOrIntentChanged(old: KubeObject, next: KubeObject): boolean {
  return (
    old.metadata.generation !== next.metadata.generation ||
    old.metadata.deletionTimestamp !== next.metadata.deletionTimestamp ||
    JSON.stringify(old.metadata.annotations ?? {}) !== JSON.stringify(next.metadata.annotations ?? {})
  );
}

/** chaman.io/reconcile-requested-at changed: the user asks for a fresh look at Chaman. */
function reconcileRequested(old: KubeObject, next: KubeObject): boolean {
  return old.metadata.annotations?.[ANNOTATIONS.reconcileRequestedAt] !== next.metadata.annotations?.[ANNOTATIONS.reconcileRequestedAt];
}

/** What accounts wait on: whether their sender is Ready for its generation. */
function readiness(s: ChamanSender): string {
  const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
  return `${ready?.status}/${ready?.observedGeneration === s.metadata.generation}`;
}

class EventHandlers {
  private readonly i: Informers;
  private readonly a: EventActions;

  constructor(informers: Informers, actions: EventActions) {
    this.i = informers;
    this.a = actions;
  }

  private accountsOf(namespace: string | undefined, senderName: string): readonly ChannelAccount[] {
    return this.i.accounts.byIndex(INDEX.accountsBySender, INDEX_KEY.inNamespace(namespace, senderName));
  }

  /** A sender changed: it reconciles, and its accounts look again (they wait for it: SenderNotReady). */
  private onSender(s: ChamanSender): void {
    this.a.enqueueSender(s.metadata.namespace, s.metadata.name);
    for (const a of this.accountsOf(s.metadata.namespace, s.metadata.name)) this.a.enqueueAccount(a);
  }

  /** Tenancy: a sender's standing depends on the other senders of its number and on the grants. */
  private onSenderComeOrGone(s: ChamanSender): void {
    this.onSender(s);
    for (const other of this.i.senders.byIndex(INDEX.sendersByNumber, s.spec.senderNumber)) {
      // Not itself again: queued a second time while already running, it would run twice.
      if (other.metadata.uid !== s.metadata.uid) this.a.enqueueSender(other.metadata.namespace, other.metadata.name);
    }
    this.a.enqueueGrants();
  }

  wireSenderEvents(): void {
    this.i.senders
      .on('add', (s) => {
        this.onSenderComeOrGone(s);
        this.a.scheduleResync(s);
      })
      .on('update', (old, s) => {
        if (reconcileRequested(old, s)) this.a.seenSenders.forget(s.metadata.uid ?? '');
        this.a.ownWrites.unlessEcho(s.metadata.uid ?? '', s.metadata.resourceVersion, () => {
          if (specOrIntentChanged(old, s)) this.a.enqueueSender(s.metadata.namespace, s.metadata.name);
        });
        if (readiness(old) !== readiness(s)) {
          this.a.releaseAccountsWaitingFor(s);
          for (const a of this.accountsOf(s.metadata.namespace, s.metadata.name)) this.a.enqueueAccount(a);
        }
        if (old.metadata.deletionTimestamp !== s.metadata.deletionTimestamp) this.onSenderComeOrGone(s);
      })
      .on('delete', (s) => {
        this.a.seenSenders.forget(s.metadata.uid ?? '');
        this.a.ownWrites.forget(s.metadata.uid ?? '');
        this.a.releaseAccountsWaitingFor(s);
        this.onSenderComeOrGone(s);
      });
  }

  /** Grants and namespace labels decide who may act: every sender looks again when they change. */
  wireTenancyEvents(): void {
    const { senders, grants, namespaces } = this.i;
    const allSenders = () => senders.forEach((s) => this.a.enqueueSender(s.metadata.namespace, s.metadata.name));
    grants
      ?.on('add', allSenders)
      .on('update', (old, g) => {
        if (old.metadata.generation !== g.metadata.generation) allSenders();
      })
      .on('delete', allSenders);
    grants?.on('add', (g) => this.a.enqueueGrant(g.metadata.name)).on('update', (_o, g) => this.a.enqueueGrant(g.metadata.name));
    namespaces?.on('update', (old, ns) => {
      if (JSON.stringify(old.metadata.labels ?? {}) === JSON.stringify(ns.metadata.labels ?? {})) return;
      senders.forEach((s) => this.a.enqueueSender(s.metadata.namespace, s.metadata.name), ns.metadata.name);
      this.a.enqueueGrants();
    });
  }

  wireAccountEvents(): void {
    const { senders, accounts } = this.i;
    // One Chaman account, one ChannelAccount: when a claim comes or goes, the other claimers look again.
    const wakeClaimers = (a: ChannelAccount) => {
      const id = a.metadata.annotations?.[ANNOTATIONS.externalName];
      if (!id) return;
      for (const other of accounts.byIndex(INDEX.accountsByExternalName, INDEX_KEY.claim(a.metadata.namespace, a.spec.senderRef.name, id))) {
        if (other.metadata.uid !== a.metadata.uid) this.a.enqueueAccount(other);
      }
    };
    /** What Chaman last showed of the account is no longer trusted: its next reconcile reads it. */
    const forgetSeen = (a: ChannelAccount) => {
      const sender = senders.get(a.metadata.namespace, a.spec.senderRef.name);
      const id = a.metadata.annotations?.[ANNOTATIONS.externalName];
      if (sender && id) this.a.converged.forget(sender.spec.senderNumber, id);
    };
    const onAccountAddedOrGone = (a: ChannelAccount) => {
      this.a.enqueueAccount(a);
      wakeClaimers(a);
      this.a.enqueueSender(a.metadata.namespace, a.spec.senderRef.name, SENDER_COUNT_DELAY_MS); // counts, finalizer release
      // R2: when a singleton rival comes or goes, the others may proceed. Other types have no rivals.
      if (!isSingletonType(a.spec.type)) return;
      for (const rival of this.accountsOf(a.metadata.namespace, a.spec.senderRef.name)) {
        if (rival.spec.type === a.spec.type && rival.metadata.uid !== a.metadata.uid) this.a.enqueueAccount(rival);
      }
    };
    accounts
      .on('add', onAccountAddedOrGone)
      .on('update', (old, a) => {
        if (reconcileRequested(old, a)) forgetSeen(a);
        if (old.metadata.deletionTimestamp !== a.metadata.deletionTimestamp) return onAccountAddedOrGone(a);
        // Our own writes come back as updates: they need no reconcile (status writes change no intent).
        this.a.ownWrites.unlessEcho(a.metadata.uid ?? '', a.metadata.resourceVersion, () => {
          if (!specOrIntentChanged(old, a)) return;
          this.a.enqueueAccount(a);
          wakeClaimers(old);
          wakeClaimers(a);
        });
      })
      .on('delete', (a) => {
        this.a.ownWrites.forget(a.metadata.uid ?? '');
        onAccountAddedOrGone(a);
        forgetSeen(a);
      });
  }

  /** A referenced Secret changed: its accounts and senders look again; a published ConfigMap changed: its owner does. */
  wireSecretAndConfigMapEvents(): void {
    const { senders, accounts, secrets, configMaps } = this.i;
    const onSecret = (s: KubeObject) => {
      const ref = INDEX_KEY.inNamespace(s.metadata.namespace, s.metadata.name ?? '');
      for (const a of accounts.byIndex(INDEX.accountsBySecret, ref)) this.a.enqueueAccount(a);
      for (const sender of senders.byIndex(INDEX.sendersByCredentials, ref)) this.onSender(sender);
    };
    secrets
      .on('add', onSecret)
      .on('update', (old, s) => {
        if (old.metadata.resourceVersion !== s.metadata.resourceVersion) onSecret(s);
      })
      .on('delete', onSecret);
    const onConfigMap = (cm: KubeObject) => {
      for (const ref of cm.metadata.ownerReferences ?? []) {
        if (ref.kind !== ACCOUNT) continue;
        const owner = accounts.get(cm.metadata.namespace, ref.name);
        if (owner) this.a.enqueueAccount(owner);
      }
    };
    configMaps.on('update', (_old, cm) => onConfigMap(cm)).on('delete', onConfigMap);
  }
}
