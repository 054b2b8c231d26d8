// Tenancy decisions (SPEC section 3, "Tenancy: who may act for which sender"). Pure: the callers
// pass the objects from their caches, and every answer depends only on those objects — never on the
// order events arrived in — so an operator that restarts decides the same way. (A caller must decide
// only once its caches hold the full list, or a rival not seen yet could lose later after having won.)
import { ANNOTATIONS } from './annotations.ts';

export type Labels = Readonly<Record<string, string>>;
/** The part of an object's metadata these decisions read. */
interface ObjectMeta {
  name: string;
  namespace?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  annotations?: Record<string, string>;
}
/** A metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}
/** What the decisions read of a ChamanSender, a ChamanSenderGrant and a ChannelAccount (their API types fit). */
export interface ChamanSender {
  metadata: ObjectMeta;
  spec: { senderNumber: string; credentialsSecretRef?: { name: string } };
}
export interface ChamanSenderGrant {
  metadata: ObjectMeta;
  spec: { senderNumbers: readonly string[]; namespaces?: readonly string[]; namespaceSelector?: LabelSelector };
}
export interface ChannelAccount {
  metadata: ObjectMeta;
}
/** One entry of a grant's status.claims. */
export interface GrantClaim {
  namespace: string;
  name: string;
  senderNumber: string;
}

// ---------------------------------------------------------------------------------------------
// Ordering: oldest first, ties (creationTimestamp has a resolution of one second) broken by
// namespace/name. Both are immutable, so the order of two objects never changes.

const ageOf = (meta: ObjectMeta): number => {
  const time = Date.parse(meta.creationTimestamp ?? '');
  // Every persisted object has one; an object without one is treated as the youngest.
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
};
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const keyOf = (meta: ObjectMeta): string => `${meta.namespace ?? ''}/${meta.name}`;

/** Negative when `a` is older than `b` (creationTimestamp, then namespace/name). */
export function compareAge(a: { metadata: ObjectMeta }, b: { metadata: ObjectMeta }): number {
  const byTime = ageOf(a.metadata) - ageOf(b.metadata);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime < 0 ? -1 : 1;
  return byName(keyOf(a.metadata), keyOf(b.metadata));
}

/** `self` and its rivals, once each (an object may or may not be in its own rivals list), oldest first. */
function byAge<T extends { metadata: ObjectMeta }>(self: T, rivals: readonly T[]): T[] {
  const all = new Map<string, T>([[keyOf(self.metadata), self]]);
  for (const rival of rivals) if (!all.has(keyOf(rival.metadata))) all.set(keyOf(rival.metadata), rival);
  return [...all.values()].sort(compareAge);
}

const ref = (meta: ObjectMeta): string => `${meta.namespace ?? 'default'}/${meta.name}`;

// ---------------------------------------------------------------------------------------------
// Label selectors, exactly as metav1.LabelSelector: matchLabels and matchExpressions ANDed; an
// empty selector matches everything; NotIn also matches a namespace without the label. A malformed
// requirement (the CRD's CEL refuses them) matches nothing, as Kubernetes refuses such a selector.

export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, key);
    switch (operator) {
      case 'In':
        if (values.length === 0 || !present || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (values.length === 0 || (present && values.includes(labels[key]!))) return false;
        break;
      case 'Exists':
        if (values.length > 0 || !present) return false;
        break;
      case 'DoesNotExist':
        if (values.length > 0 || present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

const isEmptySelector = (selector: LabelSelector): boolean =>
  Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;

/**
 * Whether a grant names this namespace, by name or by selector. `namespaceLabels` undefined means
 * the namespace is not known (not in the cache): only an empty selector ("every namespace") matches it.
 */
export function grantCoversNamespace(grant: ChamanSenderGrant, namespace: string, namespaceLabels: Labels | undefined): boolean {
  if ((grant.spec.namespaces ?? []).includes(namespace)) return true;
  const selector = grant.spec.namespaceSelector;
  if (!selector) return false;
  return namespaceLabels === undefined ? isEmptySelector(selector) : selectorMatches(selector, namespaceLabels);
}

/** Where the operator's own credentials live (--chaman-credentials-secret). */
export interface SecretName {
  namespace: string;
  name: string;
}

/** Whether the sender names the operator's own credentials Secret as its own (issue 16 item 7): those are no credentials of its own. */
export function namesOperatorSecret(sender: ChamanSender, operatorSecret: SecretName | undefined): boolean {
  const ref = sender.spec.credentialsSecretRef;
  return !!ref && !!operatorSecret && sender.metadata.namespace === operatorSecret.namespace && ref.name === operatorSecret.name;
}

/** A grant being deleted is being revoked: it grants nothing any more. */
const inForce = (grant: ChamanSenderGrant): boolean => !grant.metadata.deletionTimestamp;

// ---------------------------------------------------------------------------------------------

export type GrantDecision =
  | { granted: true; why: 'OwnCredentials' | 'GrantNotRequired' }
  | { granted: true; why: 'Granted'; grant: string }
  | { granted: false; reason: 'NotGranted'; message: string };

/**
 * May the operator act for this ChamanSender with its operator-wide credentials? Yes when
 * `requireGrant` is off (--require-sender-grant=false), when the sender brings its own credentials
 * (Chaman itself decides what they may do), or when a grant in force covers its namespace and
 * number (the first by name, so the answer is stable). Otherwise the message gives the grant to create.
 */
export function grantFor(
  sender: ChamanSender,
  grants: readonly ChamanSenderGrant[],
  namespaceLabels: Labels | undefined,
  requireGrant: boolean,
): GrantDecision {
  if (sender.spec.credentialsSecretRef) return { granted: true, why: 'OwnCredentials' };
  if (!requireGrant) return { granted: true, why: 'GrantNotRequired' };
  const namespace = sender.metadata.namespace ?? 'default';
  const number = sender.spec.senderNumber;
  const forNamespace = grants
    .filter((g) => inForce(g) && grantCoversNamespace(g, namespace, namespaceLabels))
    .sort((a, b) => byName(a.metadata.name, b.metadata.name));
  const grant = forNamespace.find((g) => g.spec.senderNumbers.includes(number));
  if (grant) return { granted: true, why: 'Granted', grant: grant.metadata.name };
  return { granted: false, reason: 'NotGranted', message: notGrantedMessage(namespace, number, forNamespace, namespaceLabels === undefined) };
}

/** The grant that lets `namespace` act for `number`, as one line of flow-style YAML (valid as is for `kubectl apply -f -`). */
export function grantSnippet(namespace: string, number: string): string {
  return `{apiVersion: chaman.io/v1alpha1, kind: ChamanSenderGrant, metadata: {name: ${namespace}-${number}}, spec: {senderNumbers: ["${number}"], namespaces: [${namespace}]}}`;
}

function notGrantedMessage(namespace: string, number: string, forNamespace: ChamanSenderGrant[], labelsUnknown: boolean): string {
  const snippet = grantSnippet(namespace, number);
  const extend = forNamespace.length
    ? ` or add "${number}" to spec.senderNumbers of ChamanSenderGrant ${forNamespace.map((g) => g.metadata.name).join(', ')} (which covers this namespace for other numbers),`
    : '';
  const unknown = labelsUnknown ? ' (The labels of namespace ' + namespace + ' could not be read, so no namespaceSelector could match it.)' : '';
  return (
    `No ChamanSenderGrant lets namespace ${namespace} use the operator's Chaman credentials for sender number ${number}, so nothing was sent to Chaman. ` +
    `Ask a cluster admin to apply ${snippet},${extend} or give this ChamanSender its own credentials in spec.credentialsSecretRef.${unknown}`
  );
}

// ---------------------------------------------------------------------------------------------

export type ConflictDecision =
  | { conflict: false }
  | { conflict: true; winner: { namespace: string; name: string }; message: string };

/**
 * How a sender ranks for its number: 0 with a grant or its own credentials, 1 when grants are not
 * required, undefined when it may not act at all (then it takes no part in the ranking).
 */
export type SenderRank<S extends ChamanSender = ChamanSender> = (sender: S) => number | undefined;

/** The rank of a sender from its grant decision (see `grantFor`). */
export function rankOf(decision: GrantDecision): number | undefined {
  if (!decision.granted) return undefined;
  return decision.why === 'GrantNotRequired' ? 1 : 0;
}

/**
 * One sender number, one ChamanSender in the whole cluster. `sameNumber` holds every ChamanSender with
 * that number (`sender` itself may be among them). Senders that may not act (no grant) are left out, so
 * an ungranted namespace cannot squat a number; the best rank wins, then the oldest. A sender being
 * deleted still holds its number until it is gone: its finalizer may still be talking to Chaman for it.
 */
export function senderConflict<S extends ChamanSender>(sender: S, sameNumber: readonly S[], rank: SenderRank<S> = () => 0): ConflictDecision {
  const number = sender.spec.senderNumber;
  const eligible = sameNumber.filter((s) => s.spec.senderNumber === number && rank(s) !== undefined);
  const rankOrLast = (s: S) => rank(s) ?? Number.POSITIVE_INFINITY;
  const winner = byAge(sender, eligible).sort((a, b) => rankOrLast(a) - rankOrLast(b))[0]!;
  if (keyOf(winner.metadata) === keyOf(sender.metadata)) return { conflict: false };
  const deleting = winner.metadata.deletionTimestamp ? ' It is being deleted; this one takes over once it is gone.' : '';
  return {
    conflict: true,
    winner: { namespace: winner.metadata.namespace ?? 'default', name: winner.metadata.name },
    message:
      `Sender number ${number} is already managed by ChamanSender ${ref(winner.metadata)} (${rankOrLast(winner) < rankOrLast(sender) ? 'granted' : 'older'}); one sender number has one ChamanSender in the cluster, ` +
      `so this one touches nothing in Chaman.${deleting} Delete this ChamanSender, or manage the sender from ${ref(winner.metadata)}.`,
  };
}

// ---------------------------------------------------------------------------------------------

/** Did the operator itself create the account this ChannelAccount names (create guard), rather than adopt it? */
const createdByOperator = (account: ChannelAccount): boolean => account.metadata.annotations?.[ANNOTATIONS.createSucceeded] !== undefined;

/**
 * An account id in Chaman may be claimed (annotation chaman.io/external-name) by one ChannelAccount
 * only. `sameExternalId` holds every ChannelAccount naming that id (`account` may be among them).
 * The one that created it (create-succeeded annotation) wins over adopters; among equals, the oldest.
 * A claim holds until its object is gone (terminating included): its finalizer may still delete the
 * account in Chaman, and no one else may be writing to it meanwhile.
 */
export function adoptionConflict(account: ChannelAccount, sameExternalId: readonly ChannelAccount[]): ConflictDecision {
  const id = account.metadata.annotations?.[ANNOTATIONS.externalName];
  if (id === undefined) return { conflict: false };
  const claims = byAge(account, sameExternalId.filter((a) => a.metadata.annotations?.[ANNOTATIONS.externalName] === id));
  const winner = claims.find(createdByOperator) ?? claims[0]!;
  if (keyOf(winner.metadata) === keyOf(account.metadata)) return { conflict: false };
  const why = createdByOperator(winner) && !createdByOperator(account) ? 'which created it' : 'older';
  return {
    conflict: true,
    winner: { namespace: winner.metadata.namespace ?? 'default', name: winner.metadata.name },
    message:
      `The Chaman account "${id}" named by the annotation ${ANNOTATIONS.externalName} is already claimed by ChannelAccount ${ref(winner.metadata)} (${why}); ` +
      `one account has one ChannelAccount, so this one writes nothing to Chaman and deleting it never deletes that account. ` +
      `Remove the annotation (to create a new account) or set it to an account of your own.`,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * status.claims of a grant: the ChamanSenders it covers (namespace and number granted), sorted so the
 * status is written only when it changes. Senders with their own credentials need no grant and are
 * left out; senders that lose a SenderConflict are listed (the conflict is shown on them).
 */
export function grantClaims(
  grant: ChamanSenderGrant,
  senders: readonly ChamanSender[],
  namespaceLabels: (namespace: string) => Labels | undefined,
): GrantClaim[] {
  if (!inForce(grant)) return [];
  return senders
    .filter((s) => !s.spec.credentialsSecretRef && grant.spec.senderNumbers.includes(s.spec.senderNumber))
    .map((s) => ({ namespace: s.metadata.namespace ?? 'default', name: s.metadata.name, senderNumber: s.spec.senderNumber }))
    .filter((c) => grantCoversNamespace(grant, c.namespace, namespaceLabels(c.namespace)))
    .sort((a, b) => byName(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
}
