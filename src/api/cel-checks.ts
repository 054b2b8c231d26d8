// The CEL rules of the CRDs, evaluated in TypeScript for the offline `validate` command.
// Each check mirrors one rule of channelaccount.ts or chamansendergrant.ts; a unit test makes sure
// none is missing and an integration test sends the same bad manifests to a real API server.
import type { RuleId } from '../domain/types.ts';
import { CHAMAN_SENDER_GRANT_SPEC_RULES as G, MATCH_EXPRESSION_RULES as M } from './chamansendergrant.ts';
import { CHANNEL_ACCOUNT_SPEC_RULES as R, SFTP_KEY_RULE } from './channelaccount.ts';
import type { CelRule } from './openapi.ts';

type Spec = Record<string, unknown> & {
  type?: string;
  management?: string;
  certificates?: unknown[];
  permissions?: unknown[];
  sftp?: Record<string, unknown>;
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

export const CHANNEL_ACCOUNT_CEL_CHECKS: CelCheck[] = [
  { rule: R.ftpSection, ruleId: 'SCHEMA', field: 'spec.ftp', holds: (s) => has(s.ftp) === (s.type === 'FTP') },
  { rule: R.sftpSection, ruleId: 'SCHEMA', field: 'spec.sftp', holds: (s) => has(s.sftp) === (s.type === 'SFTP') },
  { rule: R.restSection, ruleId: 'SCHEMA', field: 'spec.rest', holds: (s) => !has(s.rest) || s.type === 'REST' },
  {
    rule: R.managementRestOnly,
    ruleId: 'R15',
    field: 'spec.management',
    holds: (s) => !has(s.management) || s.type === 'REST',
  },
  {
    rule: R.singleCertificate,
    ruleId: 'R3',
    field: 'spec.certificates',
    holds: (s) => s.type === 'REST' || count(s.certificates) === 1,
  },
  {
    rule: R.restInternalCertificates,
    ruleId: 'R15',
    field: 'spec.certificates',
    holds: (s) => s.type !== 'REST' || intermediary(s) || count(s.certificates) >= 1,
  },
  {
    rule: R.intermediaryNoCertificates,
    ruleId: 'R15',
    field: 'spec.certificates',
    holds: (s) => !intermediary(s) || count(s.certificates) === 0,
  },
  {
    rule: R.permissionsRequired,
    ruleId: 'R11',
    field: 'spec.permissions',
    holds: (s) => s.type === 'SOAP' || count(s.permissions) >= 1,
  },
  {
    rule: R.soapNoPermissions,
    ruleId: 'R11',
    field: 'spec.permissions',
    holds: (s) => s.type !== 'SOAP' || count(s.permissions) === 0,
  },
  {
    rule: SFTP_KEY_RULE,
    ruleId: 'R17',
    field: 'spec.sftp',
    holds: (s) => !has(s.sftp) || has(s.sftp?.publicKey) !== has(s.sftp?.publicKeySecretRef),
  },
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
