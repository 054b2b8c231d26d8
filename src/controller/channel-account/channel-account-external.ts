// The Chaman side of a ChannelAccount, as the four verbs of the driver's ExternalClient: observe,
// create, update, delete. Knows Chaman's API (through the ChamanClient port), never Kubernetes.
import { createHash } from 'node:crypto';
import type { ChannelAccount } from '../../api/types.generated.ts';
import { ConflictError, NotFoundError } from '../../chaman/errors.ts';
import type { ChamanAccount, ChamanClient, CreateAccountRequest } from '../../chaman/types.ts';
import { credentialKind, foreignAccount, isAccountId, isSingletonType } from '../../domain/index.ts';
import { planAccountUpdate, type AccountPlan, type PlanStep } from '../../domain/account-plan.ts';
import { ANNOTATIONS } from '../../domain/annotations.ts';
import { isReadyForGeneration } from '../driver/conditions.ts';
import { certificateUpload, createRequest, type DesiredAccount } from '../../domain/desired-account.ts';
import { NeedsUserError } from '../driver/error-policy.ts';
import type { ConvergedAccounts } from '../resync/list-resync.ts';
import type { ExternalClient, Observation, Updated } from '../driver/managed.ts';

/** What Chaman holds for an account, and which version of the FTP password Secret it was given. */
export interface HeldAccount {
  account: ChamanAccount;
  passwordSecretVersion?: string;
}

export interface AccountInputsForChaman {
  /** Undefined while deleting: only observe and delete are used then. */
  desired?: DesiredAccount;
  passwordSecretVersion?: string;
  /** What Chaman last showed of each account; forgotten before any write. */
  known: ConvergedAccounts;
}

export class ChamanAccountClient implements ExternalClient<HeldAccount, AccountPlan> {
  private readonly object: ChannelAccount;
  private readonly chaman: ChamanClient;
  private readonly senderNumber: string;
  private readonly inputs: AccountInputsForChaman;

  constructor(object: ChannelAccount, chaman: ChamanClient, senderNumber: string, inputs: AccountInputsForChaman) {
    this.object = object;
    this.chaman = chaman;
    this.senderNumber = senderNumber;
    this.inputs = inputs;
  }

  /**
   * Finds the account: by external name, or (a create of unknown outcome, or Observe) by looking for it.
   * What Chaman last showed is trusted only to conclude that nothing needs doing; any difference is
   * planned again from a fresh read.
   */
  async observe(): Promise<Observation<HeldAccount, AccountPlan>> {
    const externalId = this.object.metadata.annotations?.[ANNOTATIONS.externalName];
    const seen = externalId && this.inputs.desired ? this.inputs.known.lastSeen(this.senderNumber, externalId) : undefined;
    if (seen) {
      const trusted = this.compare(seen);
      if (trusted.differences.length === 0) return trusted;
    }
    const found = await this.find();
    if (!found.account) return { differences: [], ...(found.vanished ? { vanished: true } : {}), ...(found.ambiguous ? { ambiguous: found.ambiguous } : {}) };
    return this.compare(found.account);
  }

  private compare(account: ChamanAccount): Observation<HeldAccount, AccountPlan> {
    const foreign = foreignAccount(account, { type: this.object.spec.type, senderNumber: this.senderNumber });
    if (foreign) return { differences: [], foreign };
    const held: HeldAccount = { account, ...this.heldPasswordVersion() };
    const desired = this.inputs.desired;
    if (!desired) return { resource: held, externalName: account.id, differences: [] };
    const given = this.object.status?.passwordSecretVersion;
    const passwordChanged = credentialKind(desired.type) === 'password' && given !== undefined && this.inputs.passwordSecretVersion !== undefined && given !== this.inputs.passwordSecretVersion;
    const planned = planAccountUpdate(desired, account, { passwordChanged });
    return { resource: held, externalName: account.id, differences: planned.differences, planned, drift: this.isDrift(desired) };
  }

  async create(guardKey: string): Promise<{ resource: HeldAccount; externalName: string }> {
    const desired = this.required();
    const request = createRequest(desired);
    const version = credentialKind(desired.type) === 'password' ? this.inputs.passwordSecretVersion : undefined;
    let created: ChamanAccount;
    try {
      created = await this.chaman.createAccount(this.senderNumber, request, createKey(guardKey, request, version));
    } catch (error) {
      if (error instanceof ConflictError && error.code === 'IDEMPOTENCY_KEY_REUSED') throw this.keyReused();
      throw error;
    }
    return { resource: { account: created, ...(version ? { passwordSecretVersion: version } : {}) }, externalName: created.id };
  }

  async update(observation: Observation<HeldAccount, AccountPlan>): Promise<Updated<HeldAccount> | 'recreate'> {
    const desired = this.required();
    const plan = observation.planned;
    if (!plan) throw new Error('update() needs the observation that planned it');
    const held = observation.resource!;
    if (plan.forbidden.length > 0) {
      if ((this.object.spec.replacementPolicy ?? 'Never') === 'Recreate') return 'recreate';
      const what = plan.forbidden.join('; ');
      throw new NeedsUserError(
        `Chaman does not allow editing ${what} on a ${desired.type} account (R12). Set spec.replacementPolicy: Recreate to let the operator delete and create it again (deletion is definitive, R13), or revert the spec.`,
        { reason: 'RequiresReplacement', stalledReason: 'RequiresReplacement' },
      );
    }
    this.inputs.known.forget(this.senderNumber, held.account.id); // unknown until it converges again
    for (const step of plan.steps) await this.run(held.account, step);
    const after = await this.chaman.getAccount(this.senderNumber, held.account.id);
    return { resource: { ...held, account: after } };
  }

  async delete(observation: Observation<HeldAccount, AccountPlan>): Promise<void> {
    this.inputs.known.forget(this.senderNumber, observation.externalName!);
    try {
      await this.chaman.deleteAccount(this.senderNumber, observation.externalName!);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  /** The account name sent: a create whose answer was lost is looked up by it, even after a rename. */
  createIntent(): string {
    return this.required().name;
  }

  /** Chaman has seen this key with another body: an earlier create may have made the account. Never create again blindly. */
  private keyReused(): NeedsUserError {
    const { type } = this.object.spec;
    return new NeedsUserError(
      `An earlier create of this ChannelAccount reached Chaman with another request (Chaman answered IDEMPOTENCY_KEY_REUSED), so a ${type} account may already exist for it; the operator creates nothing more. ` +
        `Find that account among sender ${this.senderNumber}'s ${type} accounts in Chaman and set the annotation ${ANNOTATIONS.externalName} to its id, or delete it there and remove the annotation ${ANNOTATIONS.createPending}.`,
      { reason: 'Stalled', stalledReason: 'CreateOutcomeUnknown', mayHaveCreated: true },
    );
  }

  private required(): DesiredAccount {
    if (!this.inputs.desired) throw new Error('no desired state: this client was made for a deletion');
    return this.inputs.desired;
  }

  private heldPasswordVersion(): { passwordSecretVersion?: string } {
    const v = this.object.status?.passwordSecretVersion;
    return v ? { passwordSecretVersion: v } : {};
  }

  /**
   * Drift: Chaman differs although the operator had converged at this generation and the
   * certificates of the Secrets are still those it recorded then. A spec edit, a Secret change and
   * the retry of a failed edit are updates, not drift.
   */
  private isDrift(desired: DesiredAccount): boolean {
    const status = this.object.status;
    if (!isReadyForGeneration(status, this.object.metadata.generation)) return false;
    const recorded = (status?.certificates ?? []).map((c) => c.sha256Fingerprint).sort();
    const wanted = desired.certificates.map((c) => c.sha256Fingerprint).sort();
    return recorded.length === wanted.length && recorded.every((f, i) => f === wanted[i]);
  }

  private async find(): Promise<{ account?: ChamanAccount; vanished?: boolean; ambiguous?: string }> {
    const annotations = this.object.metadata.annotations ?? {};
    const externalId = annotations[ANNOTATIONS.externalName];
    if (externalId) {
      if (!isAccountId(externalId)) return { ambiguous: `The annotation ${ANNOTATIONS.externalName} is not a Chaman account id; set it to the account's id or remove it.` };
      try {
        return { account: await this.chaman.getAccount(this.senderNumber, externalId) };
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        if (annotations[ANNOTATIONS.createSucceeded] !== undefined) return { vanished: true };
        if (!this.inputs.desired) return {}; // deleting: nothing of that name to delete
        return {
          ambiguous: `The account "${externalId}" named by the annotation chaman.io/external-name does not exist in Chaman for sender ${this.senderNumber}. Remove the annotation to create a new account, or set it to an existing account id.`,
        };
      }
    }
    const pending = annotations[ANNOTATIONS.createPending] !== undefined;
    const observeOnly = (this.object.spec.managementPolicy ?? 'Manage') === 'Observe';
    if (!pending && !observeOnly) return {};
    // A create whose outcome is unknown (crash, timeout, lost answer), or Observe without an external name.
    const accounts = await this.chaman.listAccounts(this.senderNumber);
    const type = this.object.spec.type;
    const name = this.object.spec.accountName ?? this.object.metadata.name;
    // The name the pending create was sent with, which a rename since does not change.
    const names = new Set([name, ...(pending && annotations[ANNOTATIONS.createIntent] ? [annotations[ANNOTATIONS.createIntent]!] : [])]);
    const candidates = accounts.filter((a) => a.type === type && (isSingletonType(a.type) || names.has(a.name)));
    if (candidates.length === 1) return { account: candidates[0]! };
    if (candidates.length > 1) {
      return {
        ambiguous: `Chaman holds ${candidates.length} ${type} accounts named "${name}" (${candidates.map((c) => c.id).join(', ')}) and the operator cannot tell which one is this ChannelAccount's. Set the annotation chaman.io/external-name to the right id.`,
      };
    }
    return {};
  }

  private async run(actual: ChamanAccount, step: PlanStep): Promise<void> {
    const { chaman, senderNumber } = this;
    switch (step.kind) {
      case 'edit':
        await chaman.editAccount(senderNumber, actual.id, step.request);
        return;
      case 'addCertificate': {
        const upload = certificateUpload(step.certificate);
        await chaman.addCertificate(senderNumber, actual.id, upload, addCertificateKey(actual, upload.name, upload.fileName, step.certificate.sha256Fingerprint));
        return;
      }
      case 'replaceCertificate':
        await chaman.replaceCertificate(senderNumber, actual.id, step.certificateId, certificateUpload(step.certificate));
        return;
      case 'removeCertificate':
        try {
          await chaman.removeCertificate(senderNumber, actual.id, step.certificateId);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error; // already gone: a retried remove
        }
        return;
    }
  }
}

/**
 * The Idempotency-Key of one intended add: this certificate, under this name and file name, onto the
 * account as it was seen (its certificate ids). A retry of the same add reuses it, so Chaman never
 * holds the certificate twice; any later add (another name, or after a removal) is another operation
 * with another key, never a replay of an old answer.
 */
export function addCertificateKey(account: ChamanAccount, name: string, fileName: string, fingerprint: string): string {
  const held = account.certificates.map((c) => c.id).sort();
  const digest = createHash('sha256').update(JSON.stringify([account.id, name, fileName, fingerprint, held])).digest('hex');
  return `add-${account.id}-${digest.slice(0, 32)}`;
}

/**
 * The Idempotency-Key of one create: the object's pending create (`guardKey`: uid and guard stamp) and
 * what it sends, so a key never names two bodies. The password is not in the digest (the key travels
 * in a header and may be logged by a proxy): the version of its Secret stands for it.
 */
export function createKey(guardKey: string, request: CreateAccountRequest, passwordSecretVersion: string | undefined): string {
  const { password: _password, ...publicPart } = request;
  const digest = createHash('sha256').update(JSON.stringify([publicPart, passwordSecretVersion ?? null])).digest('hex');
  return `${guardKey}-${digest.slice(0, 16)}`;
}
