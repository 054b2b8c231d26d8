// The CEL rules of the CRDs, evaluated in TypeScript for the offline `validate` command.
// Each check mirrors one rule of channelaccount.ts or chamansendergrant.ts; a unit test makes sure
// none is missing and an integration test sends the same bad manifests to a real API server.
import type { ChannelType } from '../domain/channel-types.ts';
import type { RuleId } from '../domain/types.ts';
import { CHAMAN_SENDER_GRANT_SPEC_RULES as G, MATCH_EXPRESSION_RULES as M } from './chamansendergrant.ts';
import { CHANNEL_ACCOUNT_SPEC_RULES as R, CREDENTIAL_BLOCKS, TYPES, sshKeyRule } from './channelaccount-types.ts';
import type { CelRule } from './openapi.ts';

type Spec = Record<string, unknown> & {
  type?: string;
  management?: string;
  certificates?: unknown[];
  permissions?: unknown[];
  namespaces?: unknown[];
  namespaceSelector?: { matchExpressions?: unknown };
};

export interface CelCheck {
  rule: CelRule;
  ruleId: RuleId;
  /** Path of the field the finding points at. */
  field: string;
  /** Whether the rule holds for this spec (create-time rules only; transition rules need no mirror offline). */
  holds(spec: Spec): boolean;
}

const has = (value: unknown): boolean => value !== undefined && value !== null;
const count = (list: unknown[] | undefined): number => (Array.isArray(list) ? list.length : 0);
const intermediary = (s: Spec): boolean => s.management === 'TechnicalIntermediary';
// The same type lists the CEL text is written from (channelaccount-types.ts).
const isOne = (types: readonly ChannelType[], s: Spec): boolean => (types as readonly unknown[]).includes(s.type);
const { managed, withoutPermissions } = TYPES;

/** The mirror of each type rule of CHANNEL_ACCOUNT_SPEC_RULES, by key. */
const TYPE_CHECKS: Record<string, Omit<CelCheck, 'rule'>> = {
  managementOnly: { ruleId: 'R15', field: 'spec.management', holds: (s) => !has(s.management) || isOne(managed, s) },
  singleCertificate: { ruleId: 'R3', field: 'spec.certificates', holds: (s) => isOne(managed, s) || count(s.certificates) === 1 },
  internalCertificates: {
    ruleId: 'R15',
    field: 'spec.certificates',
    holds: (s) => !isOne(managed, s) || intermediary(s) || count(s.certificates) >= 1,
  },
  intermediaryNoCertificates: { ruleId: 'R15', field: 'spec.certificates', holds: (s) => !intermediary(s) || count(s.certificates) === 0 },
  permissionsRequired: { ruleId: 'R11', field: 'spec.permissions', holds: (s) => isOne(withoutPermissions, s) || count(s.permissions) >= 1 },
  noPermissions: { ruleId: 'R11', field: 'spec.permissions', holds: (s) => !isOne(withoutPermissions, s) || count(s.permissions) === 0 },
};

/** A credential block is tied to its type: required (credentials given) or allowed only then (clientId). */
const blockChecks: CelCheck[] = CREDENTIAL_BLOCKS.map(({ type, key, kind }) => ({
  rule: R[`${key}Section`]!,
  ruleId: 'SCHEMA',
  field: `spec.${key}`,
  holds: (s: Spec) => (kind === 'clientId' ? !has(s[key]) || s.type === type : has(s[key]) === (s.type === type)),
}));

/** R17 in each SSH-key block: the key inline or by reference, exactly one. */
const sshKeyChecks: CelCheck[] = CREDENTIAL_BLOCKS.filter((b) => b.kind === 'sshKey').map(({ key }) => ({
  rule: sshKeyRule(key),
  ruleId: 'R17',
  field: `spec.${key}`,
  holds: (s: Spec) => {
    const block = s[key] as Record<string, unknown> | undefined;
    return !has(block) || has(block?.publicKey) !== has(block?.publicKeySecretRef);
  },
}));

export const CHANNEL_ACCOUNT_CEL_CHECKS: CelCheck[] = [
  ...blockChecks,
  ...Object.entries(TYPE_CHECKS).flatMap(([key, check]) => (R[key] ? [{ rule: R[key], ...check }] : [])),
  ...sshKeyChecks,
];

type Expression = { operator?: unknown; values?: unknown[] };
const expressions = (s: Spec): Expression[] => {
  const list = s.namespaceSelector?.matchExpressions;
  return Array.isArray(list) ? list.filter((e): e is Expression => typeof e === 'object' && e !== null) : [];
};
const withValues = (e: Expression): boolean => count(e.values) > 0;

export const CHAMAN_SENDER_GRANT_CEL_CHECKS: CelCheck[] = [
  {
    rule: G.namespacesOrSelector,
    ruleId: 'SCHEMA',
    field: 'spec.namespaces',
    holds: (s) => count(s.namespaces) > 0 || has(s.namespaceSelector),
  },
  {
    rule: M.valuesForInNotIn,
    ruleId: 'SCHEMA',
    field: 'spec.namespaceSelector.matchExpressions',
    holds: (s) => expressions(s).every((e) => !(e.operator === 'In' || e.operator === 'NotIn') || withValues(e)),
  },
  {
    rule: M.noValuesForExists,
    ruleId: 'SCHEMA',
    field: 'spec.namespaceSelector.matchExpressions',
    holds: (s) => expressions(s).every((e) => !(e.operator === 'Exists' || e.operator === 'DoesNotExist') || !withValues(e)),
  },
];
