// reconcileChamanSender: makes the contact data in Chaman match the spec (R1), counts the
// accounts that reference the sender, and holds the sender (finalizer) while any still does.
import { checkChamanSender } from '../api/semantic.ts';
import type { ChamanSender, ChamanSenderStatus, ChannelAccount } from '../api/types.generated.ts';
import type { ChamanClient } from '../chaman/types.ts';
import type { Contact } from '../domain/types.ts';
import { isPaused } from './annotations.ts';
import { mergeConditions, outcomeConditions, type Outcome } from './conditions.ts';
import { errorOutcome, invalidOutcome, type ErrorOutcome } from './error-outcome.ts';
import { RetryableReconcileError } from './channel-account-reconciler.ts';
import type { ReconcileContext, ReconcileResult } from './ports.ts';
import { sameStatus } from './status-equality.ts';

const KIND = 'ChamanSender';

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

export class ChamanSenderReconciler {
  private readonly ctx: ReconcileContext;
  constructor(ctx: ReconcileContext) {
    this.ctx = ctx;
  }

  async reconcile(initial: ChamanSender): Promise<ReconcileResult> {
    let sender = initial;
    const { kube } = this.ctx;
    const namespace = sender.metadata.namespace ?? 'default';
    const accounts = kube.listAccounts(namespace).filter((a) => a.spec.senderRef.name === sender.metadata.name);

    if (sender.metadata.deletionTimestamp) {
      if (accounts.length > 0) {
        const names = accounts.map((a) => a.metadata.name).join(', ');
        return this.finish(sender, {
          ready: { status: 'False', reason: 'Deleting', message: `Waiting for ${accounts.length} ChannelAccount(s) that reference this sender to be deleted: ${names}.` },
          synced: { ok: true, reason: 'ReconcileSuccess', message: 'Deletion waits for the accounts.' },
          progressing: true,
        }, accounts);
      }
      this.ctx.metrics.forgetResource(KIND, namespace, sender.metadata.name);
      await kube.setFinalizer(sender, false);
      return {};
    }
    if (isPaused(sender.metadata.annotations)) {
      const message = 'Reconciliation is paused by the annotation chaman.io/paused: "true".';
      return this.finish(sender, { ready: { status: 'False', reason: 'Paused', message }, synced: { ok: true, reason: 'ReconcilePaused', message }, progressing: false }, accounts, 'paused');
    }
    sender = await kube.setFinalizer(sender, true);

    const findings = checkChamanSender(sender.spec);
    if (findings.some((f) => f.severity === 'error')) return this.fail(sender, invalidOutcome(findings), accounts);

    try {
      const client: ChamanClient = await this.ctx.chamanFor(sender);
      const current = await client.getSender(sender.spec.senderNumber);
      const wanted: Contact = {
        name: sender.spec.contact.name,
        ...(sender.spec.contact.role ? { role: sender.spec.contact.role } : {}),
        phone: sender.spec.contact.phone,
        email: sender.spec.contact.email,
        language: sender.spec.contact.language,
      };
      if (!sameContact(current.contact, wanted)) {
        await client.putContact(sender.spec.senderNumber, wanted);
        this.ctx.events.normal(sender, current.contact ? 'ContactUpdated' : 'ContactCreated', `Contact data of sender ${sender.spec.senderNumber} ${current.contact ? 'updated' : 'created'} in Chaman (R1).`);
      }
    } catch (error) {
      if (kube.isConflict(error)) throw error; // a stale copy: the work queue retries with a fresh one
      return this.fail(sender, errorOutcome(error), accounts);
    }
    return this.finish(sender, {
      ready: { status: 'True', reason: 'Available', message: `The contact data of sender ${sender.spec.senderNumber} in Chaman matches the spec.` },
      synced: { ok: true, reason: 'ReconcileSuccess', message: 'Chaman was read and matches the spec.' },
      progressing: false,
    }, accounts);
  }

  private async fail(sender: ChamanSender, error: ErrorOutcome, accounts: ChannelAccount[]): Promise<ReconcileResult> {
    const previous = sender.status?.conditions?.find((c) => c.type === 'Ready');
    if (previous?.message !== error.outcome.ready.message) this.ctx.events.warning(sender, error.eventReason, error.outcome.ready.message);
    await this.finish(sender, error.outcome, accounts, error.outcome.invalid ? 'invalid' : 'error');
    if (error.retry) throw new RetryableReconcileError(error.outcome.ready.message, error.retryAfterMs);
    return {};
  }

  private async finish(
    sender: ChamanSender,
    outcome: Outcome,
    accounts: ChannelAccount[],
    result: 'success' | 'error' | 'invalid' | 'paused' = 'success',
  ): Promise<ReconcileResult> {
    const now = this.ctx.now();
    const generation = sender.metadata.generation ?? 0;
    const count = (type: string) => accounts.filter((a) => a.spec.type === type).length;
    const next: ChamanSenderStatus = {
      observedGeneration: generation,
      conditions: mergeConditions(sender.status?.conditions as never, outcomeConditions(outcome), generation, now),
      accounts: { ftp: count('FTP'), sftp: count('SFTP'), soap: count('SOAP'), rest: count('REST') },
    };
    if (!sameStatus(sender.status, next)) {
      await this.ctx.kube.applySenderStatus(sender, { ...next, lastSyncTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z') });
    }
    const namespace = sender.metadata.namespace ?? 'default';
    this.ctx.metrics.setResourceState(KIND, namespace, sender.metadata.name, outcome.ready.status === 'True' ? 'Ready' : outcome.ready.reason, outcome.synced.ok);
    this.ctx.metrics.reconcileTotal.inc({ kind: KIND, result });
    return {};
  }
}
