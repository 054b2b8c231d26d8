// One object's dry run, read as a plan entry: the action follows from the calls the reconcile would
// make to Chaman and the status it would write; the reason is the reconciler's own words (its event
// or its Ready message).
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import { NotFoundError } from '../chaman/errors.ts';
import { ANNOTATIONS } from '../domain/annotations.ts';
import type { Permission } from '../domain/types.ts';
import type { ObjectRun } from './dry-run.ts';
import { accountAfter, accountFields, contactFields } from './fields.ts';
import { NEW_ACCOUNT_ID } from './recording-chaman.ts';
import type { ClientIdPublication } from './plan-store.ts';
import type { PlanAction, PlanChange, PlanField } from './types.ts';

interface ReadyCondition {
  status: string;
  reason: string;
  message: string;
}

export class PlanReadError extends Error {}

const conditionOf = (o: ChamanSender | ChannelAccount | undefined, type: string): ReadyCondition | undefined =>
  (o?.status?.conditions as (ReadyCondition & { type: string })[] | undefined)?.find((c) => c.type === type);
const readyOf = (o: ChamanSender | ChannelAccount | undefined) => conditionOf(o, 'Ready');

/** A read Chaman refused (other than a missing account, which the reconciler handles) makes the plan fail. */
function checkReads(run: ObjectRun): void {
  const error = run.record.readErrors.find((e) => !(e instanceof NotFoundError));
  if (error) throw new PlanReadError(`${run.kind} ${run.key}: could not read Chaman: ${(error as Error).message}`);
}

const eventMessage = (run: ObjectRun, ...reasons: string[]): string | undefined => run.events.find((e) => reasons.includes(e.reason))?.message;

function base(run: ObjectRun, senderNumber: string, action: PlanAction, reason: string, fields: PlanField[], externalName?: string): PlanChange {
  const [namespace, name] = run.key.split('/') as [string, string];
  return {
    kind: run.kind,
    namespace,
    name,
    senderNumber,
    action,
    reason,
    ...(externalName ? { externalName } : {}),
    fields,
    requests: run.record.writes.map(({ method, operation, path }) => ({ method, operation, path })),
  };
}

/** Nothing written: Ready (and Synced, for a pause) says whether it is in sync, paused, observed, or stopped (blocked). */
function withoutWrites(object: ChamanSender | ChannelAccount): { action: PlanAction; reason: string } {
  const ready = readyOf(object);
  const synced = conditionOf(object, 'Synced');
  if (synced?.reason === 'ReconcilePaused') return { action: 'no-op', reason: synced.message };
  if (!ready) return { action: 'blocked', reason: 'The reconcile ended without a status.' };
  if (ready.status === 'True') return { action: 'no-op', reason: ready.message };
  if (ready.reason === 'Paused' || ready.reason === 'Drifted') return { action: 'no-op', reason: ready.message };
  return { action: 'blocked', reason: `${ready.reason}: ${ready.message}` };
}

export function senderChange(run: ObjectRun, after: ChamanSender): PlanChange {
  checkReads(run);
  const number = after.spec.senderNumber;
  const put = run.record.writes.find((w) => w.operation === 'putContact');
  if (!put) {
    const { action, reason } = withoutWrites(after);
    return base(run, number, action, reason, []);
  }
  const before = run.record.senders.get(number)?.contact;
  const fields = contactFields(before, put.contact);
  return before
    ? base(run, number, 'update', `The contact data of sender ${number} differs in Chaman and is updated (R1).`, fields)
    : base(run, number, 'create', `Sender ${number} has no contact data in Chaman yet: it is created (R1).`, fields);
}

export interface AccountContext {
  after: ChannelAccount;
  senderNumber: string;
  /** The live object's external name (undefined: none, or no --kubeconfig). */
  liveExternalName?: string;
  catalog: Permission[];
  publication?: ClientIdPublication;
  /** Whether the ConfigMap could be read, so a publication on an account in sync is a real change. */
  publicationKnown: boolean;
}

export async function accountChange(run: ObjectRun, ctx: AccountContext): Promise<PlanChange> {
  checkReads(run);
  const writes = run.record.writes;
  const has = (op: string) => writes.some((w) => w.operation === op);
  const wantedId = run.object.metadata.annotations?.[ANNOTATIONS.externalName];
  const externalName = run.annotations[ANNOTATIONS.externalName] ?? ctx.after.metadata.annotations?.[ANNOTATIONS.externalName] ?? wantedId;
  const deletedId = writes.find((w) => w.operation === 'deleteAccount')?.accountId;
  const before = run.record.accounts.get(deletedId ?? externalName ?? '');
  const passwordChanged = (eventMessage(run, 'Replacing') ?? '').includes('FTP password');
  const fields = accountFields(before ? await accountAfter(before, []) : undefined, await accountAfter(before, writes), ctx.catalog, passwordChanged);
  const adopting = wantedId !== undefined && wantedId !== ctx.liveExternalName && before !== undefined;
  let action: PlanAction;
  let reason: string;
  if (has('createAccount') && has('deleteAccount')) {
    action = 'replace';
    reason = eventMessage(run, 'Replacing') ?? 'Chaman does not allow this edit (R12): the account is deleted and created again.';
  } else if (has('createAccount')) {
    action = 'create';
    reason = eventMessage(run, 'DriftCorrected') ?? `Chaman holds no ${ctx.after.spec.type} account for this object: it is created.`;
  } else if (writes.length > 0) {
    action = adopting ? 'adopt' : 'update';
    reason = eventMessage(run, 'Updated', 'DriftCorrected') ?? 'Chaman differs from the spec.';
  } else {
    ({ action, reason } = withoutWrites(ctx.after));
    if (action === 'no-op' && adopting) [action, reason] = ['adopt', `The existing account ${wantedId} is taken under management (chaman.io/external-name); Chaman already matches the spec.`];
  }
  if (adopting && action === 'adopt' && writes.length > 0) reason = `The existing account ${wantedId} is taken under management (chaman.io/external-name). ${reason}`;
  const publication = ctx.publication;
  if (publication && (action === 'create' || action === 'replace' || action === 'adopt' || (ctx.publicationKnown && action !== 'blocked'))) {
    fields.push({ field: 'clientIdConfigMap', change: publication.current === undefined ? 'set' : 'changed', after: `ConfigMap ${publication.configMap}, key ${publication.key}` });
    if (action === 'no-op') [action, reason] = ['update', `The client ID is published to ConfigMap ${publication.configMap}.`];
  }
  return base(run, ctx.senderNumber, action, reason, action === 'blocked' ? [] : fields, externalName === NEW_ACCOUNT_ID ? undefined : externalName);
}

/** An account the input no longer holds: deleted in Chaman (deletionPolicy Delete) or left there (Orphan). */
export async function deletionChange(run: ObjectRun, senderNumber: string, deleteExternal: boolean, after: ChannelAccount, catalog: Permission[]): Promise<PlanChange> {
  checkReads(run);
  const externalName = run.object.metadata.annotations?.[ANNOTATIONS.externalName];
  const removed = run.record.writes.find((w) => w.operation === 'deleteAccount');
  if (removed) {
    const before = run.record.accounts.get(removed.accountId);
    const fields = before ? accountFields(await accountAfter(before, []), undefined, catalog, false) : [];
    return base(run, senderNumber, 'delete', eventMessage(run, 'Deleted') ?? `The account ${removed.accountId} is deleted in Chaman (definitive, R13).`, fields, removed.accountId);
  }
  const released = eventMessage(run, 'Orphaned');
  if (released || (!deleteExternal && externalName)) {
    return base(run, senderNumber, 'orphan', released ?? `The account ${externalName} stays in Chaman (deletionPolicy Orphan or managementPolicy Observe).`, [], externalName);
  }
  const ready = readyOf(after);
  if (run.statusWritten && ready && ready.status !== 'True') return base(run, senderNumber, 'blocked', `${ready.reason}: ${ready.message}`, [], externalName);
  return base(run, senderNumber, 'no-op', 'Removed from the input; nothing of it is in Chaman.', [], externalName);
}
