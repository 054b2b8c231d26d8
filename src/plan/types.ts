// What `chaman-operator plan` reports: per object, one action and its field-level changes. The JSON
// output is this shape (docs/plan.schema.json); never a secret value, only "set" or "changed".
export const PLAN_ACTIONS = ['create', 'update', 'replace', 'adopt', 'delete', 'orphan', 'no-op', 'blocked'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** The actions that destroy something in Chaman, for good (R13): shown first, and --fail-on's usual pick. */
export const DESTRUCTIVE: ReadonlySet<PlanAction> = new Set(['delete', 'replace']);

export interface PlannedCertificate {
  name: string;
  fileName: string;
  sha256Fingerprint: string;
  subject: string;
  /** decimal, as Chaman shows it */
  serialNumber: string;
  notAfter: string;
}

export interface PlanField {
  /** e.g. `name`, `permissions`, `certificates`, `contact.email`, `password` */
  field: string;
  change: 'added' | 'removed' | 'changed' | 'set';
  before?: string;
  after?: string;
  /** permissions: the catalog's labels */
  labels?: { fr: string; nl: string; en: string };
  certificate?: PlannedCertificate;
}

/** One call the operator would make to Chaman (no body): what the agreement test compares. */
export interface PlannedRequest {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  operation: string;
  path: string;
}

export interface PlanChange {
  kind: 'ChamanSender' | 'ChannelAccount';
  namespace: string;
  name: string;
  senderNumber: string;
  action: PlanAction;
  /** Why this action, in words; for `blocked`, what stops the operator and what to do. */
  reason: string;
  /** The account's id in Chaman, when it has one. */
  externalName?: string;
  fields: PlanField[];
  requests: PlannedRequest[];
}

export type PlanSummary = Record<'create' | 'update' | 'replace' | 'adopt' | 'delete' | 'orphan' | 'noop' | 'blocked', number>;

export interface Plan {
  formatVersion: '1';
  changes: PlanChange[];
  summary: PlanSummary;
  /** When Chaman was read. */
  observedAt: string;
  /** What the plan could not see (no --kubeconfig: deletions; no grants: tenancy). */
  notes: string[];
}

export function summarize(changes: PlanChange[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, replace: 0, adopt: 0, delete: 0, orphan: 0, noop: 0, blocked: 0 };
  for (const c of changes) summary[c.action === 'no-op' ? 'noop' : c.action]++;
  return summary;
}

/** Anything to do in Chaman (what --detailed-exitcode reports as 2). A blocked object is a change the PR asks for. */
export function hasChanges(plan: Plan): boolean {
  return plan.changes.some((c) => c.action !== 'no-op');
}
