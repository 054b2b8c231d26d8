// reconcileChannelAccount: level-triggered. Reads the ChannelAccount, its sender, its Secrets and
// the account in Chaman, then converges (Manage) or reports (Observe), and writes status only when
// it changed. Never knows HTTP or watches: it speaks to ports (ports.ts).
import type { ChamanSender, ChannelAccount, ChannelAccountStatus } from '../api/types.generated.ts';
import { NotFoundError } from '../chaman/errors.ts';
import type { ChamanAccount, ChamanClient } from '../chaman/types.ts';
import { isSingletonType, parseDuration } from '../domain/index.ts';
import type { Finding } from '../domain/types.ts';
import { readAccountInputs } from './account-inputs.ts';
import { planAccountUpdate, type PlanStep } from './account-plan.ts';
import { ANNOTATIONS, FINALIZER, isPaused } from './annotations.ts';
import { certificateExpiry } from './certificate-status.ts';
import { isReadyForGeneration, mergeConditions, outcomeConditions, type ConditionInput, type Outcome } from './conditions.ts';
import { certificateUpload, createRequest, type DesiredAccount } from './desired-account.ts';
import { errorOutcome, invalidOutcome, type ErrorOutcome } from './error-outcome.ts';
import type { ReconcileContext, ReconcileResult } from './ports.ts';
import { sameStatus } from './status-equality.ts';

const KIND = 'ChannelAccount';

const available = (message: string): Outcome => ({
  ready: { status: 'True', reason: 'Available', message },
  synced: { ok: true, reason: 'ReconcileSuccess', message: 'Chaman was read and matches the spec.' },
  progressing: false,
});

const waiting = (reason: 'SenderNotReady' | 'Paused' | 'Deleting', message: string, paused = false): Outcome => ({
  ready: { status: 'False', reason, message },
  synced: paused
    ? { ok: true, reason: 'ReconcilePaused', message }
    : { ok: true, reason: 'ReconcileSuccess', message },
  progressing: reason !== 'Paused',
});

interface Observed {
  account?: ChamanAccount;
  /** The account was recorded as created by us and has vanished from Chaman. */
  vanished?: boolean;
  ambiguous?: string;
}

export class ChannelAccountReconciler {
  private readonly ctx: ReconcileContext;
  constructor(ctx: ReconcileContext) {
    this.ctx = ctx;
  }

  async reconcile(initial: ChannelAccount): Promise<ReconcileResult> {
    let account = initial;
    const { kube } = this.ctx;
    const namespace = account.metadata.namespace ?? 'default';
    const manage = (account.spec.managementPolicy ?? 'Manage') === 'Manage';
    const deletionPolicy = account.spec.deletionPolicy ?? this.ctx.settings.defaultDeletionPolicy;
    const sender = kube.getSender(namespace, account.spec.senderRef.name);

    if (account.metadata.deletionTimestamp) return this.finalize(account, sender, manage && deletionPolicy === 'Delete');
    if (isPaused(account.metadata.annotations)) {
      return this.finish(account, waiting('Paused', 'Reconciliation is paused by the annotation chaman.io/paused: "true".', true), {}, 'paused');
    }
    account = await kube.setFinalizer(account, manage && deletionPolicy === 'Delete');

    if (!sender || !isReadyForGeneration(sender.status, sender.metadata.generation)) {
      const message = sender
        ? `ChamanSender "${sender.metadata.name}" is not Ready yet; the account waits for its contact data (R1).`
        : `ChamanSender "${account.spec.senderRef.name}" does not exist in namespace ${namespace}; create it (R1).`;
      return this.finish(account, waiting('SenderNotReady', message), {}, 'success');
    }

    const duplicate = this.olderSingleton(account, sender);
    if (duplicate) {
      return this.finishError(account, invalidOutcome([duplicate]), {});
    }

    let client: ChamanClient;
    try {
      client = await this.ctx.chamanFor(sender);
    } catch (error) {
      return this.finishError(account, errorOutcome(error), {});
    }
    const senderNumber = sender.spec.senderNumber;
    try {
      const now = this.ctx.now();
      const catalog = await this.ctx.catalog(client);
      const inputs = await readAccountInputs(account, kube, catalog, { now, sha1Cutoff: this.ctx.settings.sha1Cutoff });
      const observed = await this.observe(account, client, senderNumber);
      const status = statusFrom(account, observed.account, inputs.passwordSecretVersion);
      const recheck = inputs.recheckAt ? { requeueAt: inputs.recheckAt } : {};

      for (const warning of inputs.findings.filter((f) => f.severity === 'warning')) {
        this.ctx.events.warning(account, 'RuleWarning', `${warning.field}: ${warning.message} [${warning.rule}]`);
      }
      if (!inputs.desired) return this.finishError(account, invalidOutcome(inputs.findings), status, observed.account, recheck);
      if (observed.ambiguous) {
        return this.finish(account, stalledOutcome(observed.ambiguous), status, 'error', observed.account);
      }
      if (!manage) return this.reportOnly(account, inputs.desired, observed, status, inputs.passwordSecretVersion);
      if (observed.account && account.metadata.annotations?.[ANNOTATIONS.externalName] !== observed.account.id) {
        // A create whose outcome was unknown (a crash, a lost answer) had in fact succeeded: record it.
        account = await kube.patchAnnotations(account, {
          [ANNOTATIONS.externalName]: observed.account.id,
          [ANNOTATIONS.createPending]: null,
          [ANNOTATIONS.createSucceeded]: now.toISOString(),
        });
        this.ctx.events.normal(account, 'CreateRecovered', `Found the account ${observed.account.id} that an interrupted create had made in Chaman; no second account was created.`);
      }

      if (!observed.account) {
        if (observed.vanished) {
          this.ctx.metrics.drift.inc({ kind: KIND, action: 'corrected' });
          this.ctx.events.warning(account, 'DriftCorrected', 'The account was deleted in Chaman by hand; creating it again.');
        }
        return this.create(account, client, senderNumber, inputs.desired, inputs.passwordSecretVersion);
      }
      return this.update(account, client, senderNumber, inputs.desired, observed.account, status, inputs.passwordSecretVersion);
    } catch (error) {
      if (kube.isConflict(error)) throw error; // a stale copy: the work queue retries with a fresh one
      return this.finishError(account, errorOutcome(error), {});
    }
  }

  /** R2: of several singleton accounts for one sender, the oldest wins; the others are Invalid. */
  private olderSingleton(account: ChannelAccount, sender: ChamanSender): Finding | undefined {
    if (!isSingletonType(account.spec.type)) return undefined;
    const namespace = account.metadata.namespace ?? 'default';
    const rivals = this.ctx.kube
      .listAccounts(namespace)
      .filter(
        (other) =>
          other.metadata.uid !== account.metadata.uid &&
          !other.metadata.deletionTimestamp &&
          other.spec.type === account.spec.type &&
          other.spec.senderRef.name === sender.metadata.name &&
          olderThan(other, account),
      );
    const winner = rivals[0];
    if (!winner) return undefined;
    return {
      rule: 'R2',
      field: 'spec.type',
      severity: 'error',
      reason: 'DuplicateChannel',
      message: `ChannelAccount "${winner.metadata.name}" (older) already is the ${account.spec.type} account of sender "${sender.metadata.name}"; Chaman allows one per sender (R2). Delete one of them.`,
    };
  }

  /** Finds the account in Chaman: by external name, or (after an unknown create outcome) by looking for it. */
  private async observe(account: ChannelAccount, client: ChamanClient, senderNumber: string): Promise<Observed> {
    const annotations = account.metadata.annotations ?? {};
    const externalId = annotations[ANNOTATIONS.externalName];
    if (externalId) {
      try {
        return { account: await client.getAccount(senderNumber, externalId) };
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        const ours = annotations[ANNOTATIONS.createSucceeded] !== undefined;
        if (ours) return { vanished: true };
        return {
          ambiguous: `The account "${externalId}" named by the annotation chaman.io/external-name does not exist in Chaman for sender ${senderNumber}. Remove the annotation to create a new account, or set it to an existing account id.`,
        };
      }
    }
    const pending = annotations[ANNOTATIONS.createPending] !== undefined;
    const manage = (account.spec.managementPolicy ?? 'Manage') === 'Manage';
    if (!pending && manage) return {};
    // A create whose outcome is unknown (crash, timeout), or Observe without an external name: look for it.
    const accounts = await client.listAccounts(senderNumber);
    const name = account.spec.accountName ?? account.metadata.name;
    const candidates = accounts.filter((a) => a.type === account.spec.type && (isSingletonType(a.type) || a.name === name));
    if (candidates.length === 1) return { account: candidates[0]! };
    if (candidates.length > 1) {
      return {
        ambiguous: `Chaman holds ${candidates.length} ${account.spec.type} accounts named "${name}" (${candidates.map((c) => c.id).join(', ')}) and the operator cannot tell which one is this ChannelAccount's. Set the annotation chaman.io/external-name to the right id.`,
      };
    }
    return {};
  }

  private async create(
    account: ChannelAccount,
    client: ChamanClient,
    senderNumber: string,
    desired: DesiredAccount,
    passwordSecretVersion: string | undefined,
  ): Promise<ReconcileResult> {
    const { kube } = this.ctx;
    // The create guard: recorded before the call, so a crash in between is detected and looked up.
    // A create whose outcome is unknown keeps its stamp, and so its Idempotency-Key: a retry can
    // never make a second account. A new create (after a deletion by hand) gets a new key.
    const stamp = account.metadata.annotations?.[ANNOTATIONS.createPending] ?? this.ctx.now().toISOString();
    account = await kube.patchAnnotations(account, {
      [ANNOTATIONS.createPending]: stamp,
      [ANNOTATIONS.createFailed]: null,
    });
    // Status says so from the first reconcile on, not only once Chaman answered (a rate-limited API can be slow).
    await this.progress(account, 'Creating', `Creating the ${desired.type} account "${desired.name}" in Chaman.`);
    let created: ChamanAccount;
    try {
      created = await client.createAccount(senderNumber, createRequest(desired), `chaman-operator-${account.metadata.uid}-${Date.parse(stamp)}`);
    } catch (error) {
      const outcome = errorOutcome(error);
      if (!outcome.retry) {
        account = await kube.patchAnnotations(account, {
          [ANNOTATIONS.createPending]: null,
          [ANNOTATIONS.createFailed]: this.ctx.now().toISOString(),
        });
      }
      return this.finishError(account, outcome, {});
    }
    account = await kube.patchAnnotations(account, {
      [ANNOTATIONS.externalName]: created.id,
      [ANNOTATIONS.createPending]: null,
      [ANNOTATIONS.createSucceeded]: this.ctx.now().toISOString(),
    });
    this.ctx.events.normal(account, 'Created', `Created the ${desired.type} account "${desired.name}" (${created.id}) in Chaman.`);
    await this.publishClientId(account, created);
    return this.finish(account, available(`The ${desired.type} account exists in Chaman and matches the spec.`), statusFrom(account, created, passwordSecretVersion), 'success', created);
  }

  private async update(
    account: ChannelAccount,
    client: ChamanClient,
    senderNumber: string,
    desired: DesiredAccount,
    actual: ChamanAccount,
    status: ChannelAccountStatus,
    passwordSecretVersion: string | undefined,
  ): Promise<ReconcileResult> {
    const known = account.status?.passwordSecretVersion;
    const passwordChanged = desired.type === 'FTP' && known !== undefined && passwordSecretVersion !== undefined && known !== passwordSecretVersion;
    const plan = planAccountUpdate(desired, actual, { passwordChanged });

    if (plan.forbidden.length > 0) {
      const what = plan.forbidden.join('; ');
      if ((account.spec.replacementPolicy ?? 'Never') === 'Recreate') {
        this.ctx.events.normal(account, 'Replacing', `Chaman does not allow editing ${what} (R12): deleting and creating the account again (replacementPolicy Recreate).`);
        await client.deleteAccount(senderNumber, actual.id);
        const cleared = await this.ctx.kube.patchAnnotations(account, {
          [ANNOTATIONS.externalName]: null,
          [ANNOTATIONS.createSucceeded]: null,
        });
        return this.create(cleared, client, senderNumber, desired, passwordSecretVersion);
      }
      const message = `Chaman does not allow editing ${what} on a ${desired.type} account (R12). Set spec.replacementPolicy: Recreate to let the operator delete and create it again (deletion is definitive, R13), or revert the spec.`;
      return this.finish(
        account,
        {
          ready: { status: 'False', reason: 'RequiresReplacement', message },
          synced: { ok: true, reason: 'ReconcileSuccess', message },
          progressing: false,
          stalled: { reason: 'RequiresReplacement', message },
        },
        status,
        'success',
        actual,
      );
    }

    if (plan.steps.length === 0) {
      await this.publishClientId(account, actual);
      return this.finish(account, available(`The ${desired.type} account matches the spec.`), status, 'success', actual);
    }

    const specChanged = account.status?.observedGeneration !== account.metadata.generation;
    await this.progress(account, 'Updating', `Updating in Chaman: ${plan.differences.join('; ')}.`, status);
    for (const step of plan.steps) await runStep(client, senderNumber, actual.id, step);
    const after = await client.getAccount(senderNumber, actual.id);
    if (specChanged) {
      this.ctx.events.normal(account, 'Updated', `Updated in Chaman: ${plan.differences.join('; ')}.`);
    } else {
      this.ctx.metrics.drift.inc({ kind: KIND, action: 'corrected' });
      this.ctx.events.warning(account, 'DriftCorrected', `Chaman differed from the spec (changed outside the operator) and was corrected: ${plan.differences.join('; ')}.`);
    }
    await this.publishClientId(account, after);
    return this.finish(account, available(`The ${desired.type} account matches the spec.`), statusFrom(account, after, passwordSecretVersion), 'success', after);
  }

  /** Observe: adopt and report, never write to Chaman. */
  private async reportOnly(
    account: ChannelAccount,
    desired: DesiredAccount,
    observed: Observed,
    status: ChannelAccountStatus,
    passwordSecretVersion: string | undefined,
  ): Promise<ReconcileResult> {
    const actual = observed.account;
    if (!actual) {
      const message = `No ${desired.type} account "${desired.name}" found in Chaman to observe; create it there, or set the annotation chaman.io/external-name to its id.`;
      return this.finish(
        account,
        { ready: { status: 'False', reason: 'Creating', message }, synced: { ok: true, reason: 'ReconcileSuccess', message }, progressing: false, stalled: { reason: 'NotFound', message } },
        status,
        'success',
      );
    }
    if (account.metadata.annotations?.[ANNOTATIONS.externalName] !== actual.id) {
      account = await this.ctx.kube.patchAnnotations(account, { [ANNOTATIONS.externalName]: actual.id });
    }
    const plan = planAccountUpdate(desired, actual, { passwordChanged: false });
    if (plan.differences.length === 0) {
      await this.publishClientId(account, actual);
      return this.finish(account, available(`Observed: the ${desired.type} account matches the spec (managementPolicy Observe).`), statusFrom(account, actual, passwordSecretVersion), 'success', actual);
    }
    const message = `Observed drift (managementPolicy Observe, nothing is changed): ${plan.differences.join('; ')}.`;
    const previous = account.status?.conditions?.find((c) => c.type === 'Ready');
    if (previous?.message !== message) {
      this.ctx.metrics.drift.inc({ kind: KIND, action: 'reported' });
      this.ctx.events.warning(account, 'DriftDetected', message);
    }
    return this.finish(
      account,
      // Stalled: under Observe only a person can converge it (kstatus tools then report it, not "healthy").
      { ready: { status: 'False', reason: 'Drifted', message }, synced: { ok: true, reason: 'ReconcileSuccess', message: 'Chaman was read.' }, progressing: false, stalled: { reason: 'Drifted', message } },
      statusFrom(account, actual, passwordSecretVersion),
      'success',
      actual,
    );
  }

  private async finalize(account: ChannelAccount, sender: ChamanSender | undefined, deleteInChaman: boolean): Promise<ReconcileResult> {
    const { kube } = this.ctx;
    if (!account.metadata.finalizers?.includes(FINALIZER)) return {};
    const externalId = account.metadata.annotations?.[ANNOTATIONS.externalName];
    if (deleteInChaman && externalId && sender) {
      try {
        const client = await this.ctx.chamanFor(sender);
        await client.deleteAccount(sender.spec.senderNumber, externalId);
        this.ctx.events.normal(account, 'Deleted', `Deleted the account ${externalId} in Chaman (deletionPolicy Delete; definitive, R13).`);
      } catch (error) {
        if (!(error instanceof NotFoundError)) return this.finishError(account, errorOutcome(error), {});
      }
    } else if (externalId) {
      this.ctx.events.normal(account, 'Orphaned', `Left the account ${externalId} in Chaman (deletionPolicy Orphan or managementPolicy Observe).`);
    }
    this.ctx.metrics.forgetResource(KIND, account.metadata.namespace ?? 'default', account.metadata.name);
    this.ctx.metrics.setAccountCertificates(certLabels(account), []);
    await kube.setFinalizer(account, false);
    return {};
  }

  /** Ready=False with a progress reason, written before slow Chaman calls (metrics and requeue untouched). */
  private async progress(account: ChannelAccount, reason: 'Creating' | 'Updating', message: string, status: ChannelAccountStatus = {}): Promise<void> {
    const outcome: Outcome = { ready: { status: 'False', reason, message }, synced: { ok: true, reason: 'ReconcileSuccess', message }, progressing: true };
    const generation = account.metadata.generation ?? 0;
    const now = this.ctx.now();
    const next: ChannelAccountStatus = {
      ...keepFromPrevious(account.status, status),
      observedGeneration: generation,
      conditions: mergeConditions(account.status?.conditions as never, [...outcomeConditions(outcome), ...certificateConditionsKept(account.status)], generation, now),
    };
    await this.ctx.kube.applyAccountStatus(account, next);
    account.status = next; // what follows compares with what was just written
  }

  private async publishClientId(account: ChannelAccount, actual: ChamanAccount): Promise<void> {
    const target = account.spec.rest?.clientIdConfigMap;
    if (target && actual.clientId) await this.ctx.kube.publishClientId(account, target.name, target.key ?? 'clientId', actual.clientId);
  }

  private async finishError(
    account: ChannelAccount,
    error: ErrorOutcome,
    status: ChannelAccountStatus,
    actual?: ChamanAccount,
    extra: { requeueAt?: Date } = {},
  ): Promise<ReconcileResult> {
    const previous = account.status?.conditions?.find((c) => c.type === 'Ready');
    if (previous?.message !== error.outcome.ready.message) this.ctx.events.warning(account, error.eventReason, error.outcome.ready.message);
    const result = await this.finish(account, error.outcome, status, error.outcome.invalid ? 'invalid' : 'error', actual, extra);
    if (error.retry) throw new RetryableReconcileError(error.outcome.ready.message, error.retryAfterMs);
    return result;
  }

  /** Writes status (when it changed), metrics, and computes the next requeue. */
  private async finish(
    account: ChannelAccount,
    outcome: Outcome,
    status: ChannelAccountStatus,
    result: 'success' | 'error' | 'invalid' | 'paused',
    actual?: ChamanAccount,
    extra: { requeueAt?: Date } = {},
  ): Promise<ReconcileResult> {
    const now = this.ctx.now();
    const generation = account.metadata.generation ?? 0;
    const warningMs = account.spec.certificateExpiryWarning
      ? parseDuration(account.spec.certificateExpiryWarning)
      : this.ctx.settings.certExpiryWarningMs;
    const described = keepFromPrevious(account.status, status);
    // Without a fresh read, the certificates last seen in Chaman still tell when they expire.
    const certs = actual?.certificates ?? described.certificates ?? [];
    const expiry = certificateExpiry(certs, now, warningMs);
    const wanted: ConditionInput[] = [...outcomeConditions(outcome), ...expiry.conditions];
    const next: ChannelAccountStatus = {
      ...described,
      ...(expiry.nextCertificateExpiry ? { nextCertificateExpiry: expiry.nextCertificateExpiry } : {}),
      observedGeneration: generation,
      conditions: mergeConditions(account.status?.conditions as never, wanted, generation, now),
    };
    if (!sameStatus(account.status, next)) {
      next.lastSyncTime = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
      await this.ctx.kube.applyAccountStatus(account, next);
    }
    const namespace = account.metadata.namespace ?? 'default';
    this.ctx.metrics.setResourceState(KIND, namespace, account.metadata.name, outcome.ready.status === 'True' ? 'Ready' : outcome.ready.reason, outcome.synced.ok);
    if (actual) this.ctx.metrics.setAccountCertificates(certLabels(account), certs);
    this.ctx.metrics.reconcileTotal.inc({ kind: KIND, result });

    const candidates = [expiry.nextCheckAt, extra.requeueAt].filter((d): d is Date => d !== undefined).map((d) => d.getTime() - now.getTime());
    return candidates.length ? { requeueAfterMs: Math.max(1000, Math.min(...candidates)) } : {};
  }
}

export class RetryableReconcileError extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

function olderThan(a: ChannelAccount, b: ChannelAccount): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta < tb || (ta === tb && a.metadata.name < b.metadata.name);
}

function stalledOutcome(message: string): Outcome {
  return {
    ready: { status: 'False', reason: 'Stalled', message },
    synced: { ok: false, reason: 'ReconcileError', message },
    progressing: false,
    stalled: { reason: 'CannotIdentifyAccount', message },
  };
}

async function runStep(client: ChamanClient, senderNumber: string, accountId: string, step: PlanStep): Promise<void> {
  switch (step.kind) {
    case 'edit':
      await client.editAccount(senderNumber, accountId, step.request);
      return;
    case 'addCertificate':
      // Keyed by account and certificate, so a retried add never uploads it twice.
      await client.addCertificate(senderNumber, accountId, certificateUpload(step.certificate), `add-${accountId}-${step.certificate.sha256Fingerprint.replaceAll(':', '')}`);
      return;
    case 'replaceCertificate':
      await client.replaceCertificate(senderNumber, accountId, step.certificateId, certificateUpload(step.certificate));
      return;
    case 'removeCertificate':
      await client.removeCertificate(senderNumber, accountId, step.certificateId);
      return;
  }
}

function certLabels(account: ChannelAccount) {
  return {
    namespace: account.metadata.namespace ?? 'default',
    account: account.metadata.name,
    sender: account.spec.senderRef.name,
    type: account.spec.type,
  };
}

/** The status fields that describe Chaman's account. */
export function statusFrom(account: ChannelAccount, actual: ChamanAccount | undefined, passwordSecretVersion: string | undefined): ChannelAccountStatus {
  if (!actual) return {};
  return {
    externalId: actual.id,
    ...(actual.username ? { username: actual.username } : {}),
    ...(actual.clientId ? { clientId: actual.clientId } : {}),
    certificates: actual.certificates.map(({ id: _id, ...details }) => details),
    ...(account.spec.type === 'FTP' && passwordSecretVersion ? { passwordSecretVersion } : {}),
  };
}

/** CertExpiring and CertExpired as status last said, while a write says only "in progress". */
function certificateConditionsKept(previous: ChannelAccountStatus | undefined): ConditionInput[] {
  return (previous?.conditions ?? [])
    .filter((c) => c.type === 'CertExpiring' || c.type === 'CertExpired')
    .map(({ type, status, reason, message }) => ({ type, status: status as ConditionInput['status'], reason, message }));
}

/** Without a fresh read of Chaman, keep what status last said about it. */
function keepFromPrevious(previous: ChannelAccountStatus | undefined, fresh: ChannelAccountStatus): ChannelAccountStatus {
  if (fresh.externalId) return fresh;
  const { externalId, username, clientId, certificates, nextCertificateExpiry, passwordSecretVersion } = previous ?? {};
  return { externalId, username, clientId, certificates, nextCertificateExpiry, passwordSecretVersion, ...fresh };
}
