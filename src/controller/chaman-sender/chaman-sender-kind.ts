// ChamanSender for the reconcile driver: its contact data in Chaman (R1) is the external resource;
// it always exists (a sender number is Chaman's, not ours), so there is no create and no delete.
// The sender is held (finalizer) while any ChannelAccount still references it.
import { EVENT_REASONS } from '../../api/common.ts';
import { checkChamanSender } from '../../api/semantic.ts';
import type { ChamanSender, ChamanSenderStatus } from '../../api/types.generated.ts';
import type { ChamanClient, ChamanSenderInfo } from '../../chaman/types.ts';
import { CHANNEL_TYPES, accountCountKey, type Contact } from '../../domain/types.ts';
import { isReadyForGeneration, mergeConditions, outcomeConditions, type Condition, type Outcome } from '../driver/conditions.ts';
import { invalidOutcome } from '../driver/error-policy.ts';
import type { SeenSenders } from '../resync/list-resync.ts';
import { chamanWording } from '../chaman-wording.ts';
import type { Connection, ExternalClient, ManagedKind, Observation, ObjectPolicies, ReconcileScope, Updated } from '../driver/managed.ts';
import type { KindContext } from '../ports.ts';

export class ChamanSenderKind implements ManagedKind<ChamanSender, ChamanSenderInfo> {
  readonly kind = 'ChamanSender';
  readonly creates = false;
  // A sender is found by its number, never ambiguous, never created nor deleted: few of these words are used.
  readonly wording = chamanWording('sender', 'CannotIdentifySender');
  private readonly ctx: KindContext;

  constructor(ctx: KindContext) {
    this.ctx = ctx;
  }

  policies(): ObjectPolicies {
    return { manage: true, deleteExternal: false, finalizer: true };
  }

  async connect(sender: ChamanSender, scope: ReconcileScope): Promise<Connection<ChamanSenderInfo>> {
    const findings = checkChamanSender(sender.spec);
    if (findings.some((f) => f.severity === 'error')) {
      const stop = invalidOutcome(findings);
      return { result: 'invalid', stop, event: { reason: stop.invalid!.reason, message: stop.ready.message } };
    }
    // Nothing is sent to Chaman for a sender this namespace may not act for.
    const refusal = this.ctx.tenancy.senderRefusal(sender);
    if (refusal) return { result: 'error', stop: refusal, event: { reason: refusal.ready.reason, message: refusal.ready.message } };
    const chaman = (await this.ctx.chamanFor(sender)).withSignal(scope.signal);
    return { external: new ChamanContactClient(sender, chaman, this.ctx.seenSenders) };
  }

  async connectForDeletion(sender: ChamanSender): Promise<Connection<ChamanSenderInfo>> {
    const accounts = this.ctx.kube.accountsOfSender(sender.metadata.namespace ?? 'default', sender.metadata.name);
    if (accounts.length > 0) {
      const names = accounts.map((a) => a.metadata.name).join(', ');
      return {
        result: 'success',
        stop: {
          ready: { status: 'False', reason: 'Deleting', message: `Waiting for ${accounts.length} ChannelAccount(s) that reference this sender to be deleted: ${names}.` },
          synced: { ok: true, reason: 'ReconcileSuccess', message: 'Deletion waits for the accounts.' },
          progressing: true,
        },
      };
    }
    // Nothing to delete in Chaman: the contact data stays with the sender number.
    return { external: new ChamanContactClient(sender, undefined, this.ctx.seenSenders) };
  }

  afterConverged(sender: ChamanSender, info: ChamanSenderInfo, scope: ReconcileScope): void {
    this.ctx.seenSenders.record(sender.metadata.uid ?? '', info, scope.now.getTime());
  }

  composeStatus(sender: ChamanSender, outcome: Outcome, _info: ChamanSenderInfo | undefined, now: Date): { status: ChamanSenderStatus } {
    const generation = sender.metadata.generation ?? 0;
    const accounts = this.ctx.kube.accountsOfSender(sender.metadata.namespace ?? 'default', sender.metadata.name);
    const count = (type: string) => accounts.filter((a) => a.spec.type === type).length;
    return {
      status: {
        observedGeneration: generation,
        conditions: mergeConditions(sender.status?.conditions as Condition[] | undefined, outcomeConditions(outcome), generation, now),
        accounts: Object.fromEntries(CHANNEL_TYPES.map((type) => [accountCountKey(type), count(type)])) as ChamanSenderStatus['accounts'],
      },
    };
  }

  writeStatus(sender: ChamanSender, status: ChamanSenderStatus): Promise<string | undefined> {
    return this.ctx.kube.applySenderStatus(sender, status);
  }
}

function wantedContact(sender: ChamanSender): Contact {
  const c = sender.spec.contact;
  return { name: c.name, ...(c.role ? { role: c.role } : {}), phone: c.phone, email: c.email, language: c.language };
}

function sameContact(a: Contact | null, b: Contact): boolean {
  if (!a) return false;
  return (
    a.name === b.name &&
    (a.role ?? '') === (b.role ?? '') &&
    a.phone.countryCode === b.phone.countryCode &&
    a.phone.number === b.phone.number &&
    a.email === b.email &&
    a.language === b.language
  );
}

class ChamanContactClient implements ExternalClient<ChamanSenderInfo> {
  private readonly sender: ChamanSender;
  private readonly chaman: ChamanClient | undefined;
  private readonly seen: SeenSenders;

  constructor(sender: ChamanSender, chaman: ChamanClient | undefined, seen: SeenSenders) {
    this.sender = sender;
    this.chaman = chaman;
    this.seen = seen;
  }

  /** Woken by its accounts (their counts) or a retry, a sender whose contact Chaman last showed as wanted is not read again. */
  async observe(): Promise<Observation<ChamanSenderInfo>> {
    const { uid = '' } = this.sender.metadata;
    const seen = this.seen.lastSeen(uid, this.sender.spec.senderNumber);
    if (seen && sameContact(seen.contact, wantedContact(this.sender))) return { resource: seen, differences: [] };
    this.seen.forget(uid);
    const info = await this.client().getSender(this.sender.spec.senderNumber);
    if (sameContact(info.contact, wantedContact(this.sender))) return { resource: info, differences: [] };
    const drift = info.contact !== null && isReadyForGeneration(this.sender.status, this.sender.metadata.generation);
    return { resource: info, differences: [info.contact ? 'contact data' : 'no contact data yet (R1)'], drift };
  }

  create(): Promise<never> {
    throw new Error('a sender is never created in Chaman: it exists with its number');
  }

  async update(observation: Observation<ChamanSenderInfo>): Promise<Updated<ChamanSenderInfo>> {
    const number = this.sender.spec.senderNumber;
    const had = observation.resource?.contact ?? null;
    const info = await this.client().putContact(number, wantedContact(this.sender));
    if (had && observation.drift) return { resource: info };
    return {
      resource: info,
      event: had
        ? { reason: EVENT_REASONS.contactUpdated, message: `Contact data of sender ${number} updated in Chaman (R1).` }
        : { reason: EVENT_REASONS.contactCreated, message: `Contact data of sender ${number} created in Chaman (R1).` },
    };
  }

  async delete(): Promise<void> {}

  private client(): ChamanClient {
    if (!this.chaman) throw new Error('no Chaman client while deleting a sender');
    return this.chaman;
  }
}
