// ChannelAccount for the reconcile driver: what must hold before Chaman is touched (the sender is
// Ready, R2 by age, the Secrets follow the rules), the status that describes Chaman's account, and
// the external client that talks to it. Reads like SPEC section 3; knows neither HTTP nor watches.
import { EVENT_REASONS } from '../../api/common.ts';
import { credentialBlocks } from '../../api/credential-blocks.ts';
import type { ChamanSender, ChannelAccount, ChannelAccountStatus } from '../../api/types.generated.ts';
import { checkExternalName, credentialKind, isSingletonType, parseDuration } from '../../domain/index.ts';
import type { Finding } from '../../domain/types.ts';
import { readAccountInputs } from './account-inputs.ts';
import { ANNOTATIONS } from '../../domain/annotations.ts';
import { certificateExpiry } from './certificate-status.ts';
import { ChamanAccountClient, type HeldAccount } from './channel-account-external.ts';
import { ACCOUNT_WORDING } from './account-wording.ts';
import { isReadyForGeneration, mergeConditions, outcomeConditions, type Condition, type Outcome } from '../driver/conditions.ts';
import { invalidOutcome, stalledOutcome } from '../driver/error-policy.ts';
import type { Connection, ManagedKind, ObjectPolicies, ReconcileScope } from '../driver/managed.ts';
import type { KindContext } from '../ports.ts';

export class ChannelAccountKind implements ManagedKind<ChannelAccount, HeldAccount> {
  readonly kind = 'ChannelAccount';
  readonly creates = true;
  readonly wording = ACCOUNT_WORDING;
  private readonly ctx: KindContext;

  constructor(ctx: KindContext) {
    this.ctx = ctx;
  }

  policies(account: ChannelAccount): ObjectPolicies {
    const manage = (account.spec.managementPolicy ?? 'Manage') === 'Manage';
    const deleteExternal = manage && (account.spec.deletionPolicy ?? this.ctx.settings.defaultDeletionPolicy) === 'Delete';
    return { manage, deleteExternal, finalizer: deleteExternal };
  }

  async connect(account: ChannelAccount, scope: ReconcileScope): Promise<Connection<HeldAccount>> {
    const namespace = account.metadata.namespace ?? 'default';
    const sender = this.ctx.kube.getSender(namespace, account.spec.senderRef.name);
    // Asked of the cluster as it is now, not of the sender's last status: a grant revoked while the
    // operator was down, or a sender not re-evaluated yet, must not let an account write to Chaman.
    const refusal = sender && this.ctx.tenancy.senderRefusal(sender);
    if (refusal) return senderRefused(sender.metadata.name, refusal);
    if (!sender || !isReadyForGeneration(sender.status, sender.metadata.generation)) {
      const message = sender
        ? `ChamanSender "${sender.metadata.name}" is not Ready yet; the account waits for its contact data (R1).`
        : `ChamanSender "${account.spec.senderRef.name}" does not exist in namespace ${namespace}; create it (R1).`;
      return { result: 'success', stop: { ready: { status: 'False', reason: 'SenderNotReady', message }, synced: { ok: true, reason: 'ReconcileSuccess', message }, progressing: true } };
    }
    const badName = checkExternalName(account.metadata.annotations?.[ANNOTATIONS.externalName]);
    if (badName.length) return invalid(badName);
    const duplicate = this.olderSingleton(account, sender);
    if (duplicate) return invalid([duplicate]);
    const adoption = this.ctx.tenancy.adoptionRefusal(account);
    if (adoption) return { result: 'error', stop: adoption, event: { reason: 'AdoptionConflict', message: adoption.ready.message } };

    const client = await this.ctx.chamanFor(sender);
    const chaman = client.withSignal(scope.signal);
    const catalog = await this.ctx.catalog(client, scope.signal);
    const inputs = await readAccountInputs(account, this.ctx.kube, catalog, { now: scope.now, sha1Cutoff: this.ctx.settings.sha1Cutoff });
    for (const warning of inputs.findings.filter((f) => f.severity === 'warning')) {
      scope.event('Warning', EVENT_REASONS.ruleWarning, `${warning.field}: ${warning.message} [${warning.rule}]`);
    }
    if (!inputs.desired) return invalid(inputs.findings, inputs.recheckAt);
    return {
      external: new ChamanAccountClient(account, chaman, sender.spec.senderNumber, {
        desired: inputs.desired,
        ...(inputs.passwordSecretVersion ? { passwordSecretVersion: inputs.passwordSecretVersion } : {}),
        known: this.ctx.converged,
      }),
    };
  }

  async connectForDeletion(account: ChannelAccount, scope: ReconcileScope): Promise<Connection<HeldAccount> | { release: string }> {
    const sender = this.ctx.kube.getSender(account.metadata.namespace ?? 'default', account.spec.senderRef.name);
    if (!sender) {
      return { release: `ChamanSender "${account.spec.senderRef.name}" is gone, so Chaman cannot be reached for this account; any account it had in Chaman is left there.` };
    }
    // Never delete for a sender this namespace may not act for, nor an account another object claims.
    const refusal = this.ctx.tenancy.senderRefusal(sender) ?? this.ctx.tenancy.adoptionRefusal(account);
    if (refusal) return { release: `Nothing was deleted in Chaman: ${refusal.ready.message}` };
    const badName = checkExternalName(account.metadata.annotations?.[ANNOTATIONS.externalName]);
    if (badName.length) return { release: `Nothing was deleted in Chaman: ${badName[0]!.message}` };
    const chaman = (await this.ctx.chamanFor(sender)).withSignal(scope.signal);
    return { external: new ChamanAccountClient(account, chaman, sender.spec.senderNumber, { known: this.ctx.converged }) };
  }

  async afterConverged(account: ChannelAccount, held: HeldAccount, scope: ReconcileScope): Promise<void> {
    const sender = this.ctx.kube.getSender(account.metadata.namespace ?? 'default', account.spec.senderRef.name);
    if (sender) this.ctx.converged.record(sender.spec.senderNumber, held.account, scope.now.getTime());
    // The clientId kind's block says where to publish the client ID (R16).
    const block = credentialBlocks(account.spec).find((b) => b.kind === 'clientId');
    const target = block?.kind === 'clientId' ? block.block.clientIdConfigMap : undefined;
    if (target && held.account.clientId) await this.ctx.kube.publishClientId(account, target.name, target.key ?? 'clientId', held.account.clientId);
  }

  composeStatus(account: ChannelAccount, outcome: Outcome, held: HeldAccount | undefined, now: Date): { status: ChannelAccountStatus; requeueAt?: Date } {
    const generation = account.metadata.generation ?? 0;
    const warningMs = account.spec.certificateExpiryWarning ? parseDuration(account.spec.certificateExpiryWarning) : this.ctx.settings.certExpiryWarningMs;
    const described = held ? describe(account, held) : keptFrom(account.status);
    // Without a fresh read, the certificates last seen in Chaman still tell when they expire.
    const expiry = certificateExpiry(described.certificates ?? [], now, warningMs);
    const status: ChannelAccountStatus = {
      ...described,
      ...(expiry.nextCertificateExpiry ? { nextCertificateExpiry: expiry.nextCertificateExpiry } : {}),
      observedGeneration: generation,
      conditions: mergeConditions(account.status?.conditions as Condition[] | undefined, [...outcomeConditions(outcome), ...expiry.conditions], generation, now),
    };
    return { status, ...(expiry.nextCheckAt ? { requeueAt: expiry.nextCheckAt } : {}) };
  }

  writeStatus(account: ChannelAccount, status: ChannelAccountStatus): Promise<string | undefined> {
    return this.ctx.kube.applyAccountStatus(account, status);
  }

  /** R2: of several singleton accounts for one sender, the oldest wins; the others are Invalid. */
  private olderSingleton(account: ChannelAccount, sender: ChamanSender): Finding | undefined {
    if (!isSingletonType(account.spec.type)) return undefined;
    const winner = this.ctx.kube
      .accountsOfSender(account.metadata.namespace ?? 'default', sender.metadata.name)
      .find((other) => other.metadata.uid !== account.metadata.uid && !other.metadata.deletionTimestamp && other.spec.type === account.spec.type && olderThan(other, account));
    if (!winner) return undefined;
    return {
      rule: 'R2',
      field: 'spec.type',
      severity: 'error',
      reason: 'DuplicateChannel',
      message: `ChannelAccount "${winner.metadata.name}" (older) already is the ${account.spec.type} account of sender "${sender.metadata.name}"; Chaman allows one per sender (R2). Delete one of them.`,
    };
  }
}

function invalid(findings: Finding[], recheckAt?: Date): Connection<HeldAccount> {
  const stop = invalidOutcome(findings);
  return { result: 'invalid', stop, event: { reason: stop.invalid!.reason, message: stop.ready.message }, ...(recheckAt ? { requeueAt: recheckAt } : {}) };
}

/** The account of a sender the operator may not act for: the sender's reason, terminal, nothing sent. */
function senderRefused(senderName: string, refusal: Outcome): Connection<HeldAccount> {
  const message = `ChamanSender "${senderName}" may not use Chaman, so this account sends nothing: ${refusal.ready.message}`;
  const stop = stalledOutcome(refusal.ready.reason, refusal.stalled?.reason ?? refusal.ready.reason, message);
  return { result: 'error', stop, event: { reason: refusal.ready.reason, message } };
}

function olderThan(a: ChannelAccount, b: ChannelAccount): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta < tb || (ta === tb && a.metadata.name < b.metadata.name);
}

/** The status fields that describe Chaman's account. */
function describe(account: ChannelAccount, held: HeldAccount): ChannelAccountStatus {
  const actual = held.account;
  return {
    externalId: actual.id,
    ...(actual.username ? { username: actual.username } : {}),
    ...(actual.clientId ? { clientId: actual.clientId } : {}),
    certificates: actual.certificates.map(({ id: _id, ...details }) => details),
    ...(credentialKind(account.spec.type) === 'password' && held.passwordSecretVersion ? { passwordSecretVersion: held.passwordSecretVersion } : {}),
  };
}

/** Without a fresh read of Chaman, what status last said about it. */
function keptFrom(previous: ChannelAccountStatus | undefined): ChannelAccountStatus {
  const { externalId, username, clientId, certificates, passwordSecretVersion } = previous ?? {};
  return { externalId, username, clientId, certificates, passwordSecretVersion };
}
