// The offline check behind `chaman-operator validate`: schema (OpenAPI + the intent of the CEL
// rules), the domain rules R1–R17 with the Secrets found in the same input, and rules across
// documents (R2 singletons, dangling senderRef, senders no grant covers). Never reads the network,
// never prints a secret.
import { CHAMAN_SENDER_GRANT_CEL_CHECKS, CHANNEL_ACCOUNT_CEL_CHECKS, type CelCheck } from '../api/cel-checks.ts';
import { API_VERSION } from '../api/common.ts';
import { checkChamanSender, checkChannelAccount } from '../api/semantic.ts';
import { checkStructure, type ChamanKind } from '../api/structural.ts';
import type { ChamanSender, ChamanSenderGrant, ChannelAccount } from '../api/types.generated.ts';
import { grantFor, grantSnippet } from '../domain/tenancy.ts';
import { isSingletonType } from '../domain/index.ts';
import type { Finding, Permission, RulePolicy } from '../domain/types.ts';
import { collectInputSecrets, isSopsValue, resolveFromInput, type InputFinding } from './input-secrets.ts';
import type { SourceDocument } from './load.ts';

/** A finding located in the input. Severity `info` says what was not checked (e.g. an encrypted value) and why. */
export type ValidationFinding = InputFinding & {
  file: string;
  document: number;
  line?: number;
  kind: string;
  namespace: string;
  name: string;
};

export interface ValidateOptions {
  catalog: Permission[];
  policy: RulePolicy;
}

interface Manifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; labels?: unknown };
  spec?: unknown;
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
}

const CHAMAN_KINDS = new Set<string>(['ChamanSender', 'ChannelAccount', 'ChamanSenderGrant']);

interface Located {
  source: SourceDocument;
  manifest: Manifest;
  kind: string;
  namespace: string;
  name: string;
}

function locate(source: SourceDocument): Located | undefined {
  const manifest = source.object as Manifest;
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.kind !== 'string') return undefined;
  const clusterScoped = manifest.kind === 'ChamanSenderGrant' || manifest.kind === 'Namespace';
  const namespace = clusterScoped ? '' : typeof manifest.metadata?.namespace === 'string' ? manifest.metadata.namespace : 'default';
  const name = typeof manifest.metadata?.name === 'string' ? manifest.metadata.name : '';
  // SOPS without encrypted_regex encrypts identity too: name it as such, not by its ciphertext.
  const clear = (v: string) => (isSopsValue(v) ? '(SOPS-encrypted)' : v);
  return { source, manifest, kind: clear(manifest.kind), namespace: clear(namespace), name: clear(name) };
}

export async function validateDocuments(sources: SourceDocument[], options: ValidateOptions): Promise<ValidationFinding[]> {
  const findings: ValidationFinding[] = [];
  const reporter = (doc: Located) => (f: InputFinding) =>
    findings.push({
      ...f,
      file: doc.source.file,
      document: doc.source.document,
      line: doc.source.line,
      kind: doc.kind,
      namespace: doc.namespace,
      name: doc.name,
    });

  const located = sources.map(locate).filter((d): d is Located => d !== undefined);
  const secrets = collectInputSecrets(located.map((doc) => ({ ...doc, report: reporter(doc) })));

  const senders = new Map<string, Located>();
  const senderNumbers = new Map<string, Located>();
  const accounts: Located[] = [];
  const grants: ChamanSenderGrant[] = [];
  const validSenders: Located[] = [];
  for (const doc of located.filter((d) => CHAMAN_KINDS.has(d.kind))) {
    const report = reporter(doc);
    if (doc.manifest.apiVersion !== API_VERSION) {
      report({
        rule: 'SCHEMA',
        field: 'apiVersion',
        severity: 'error',
        message: `apiVersion must be ${API_VERSION} for ${doc.kind}.`,
      });
      continue;
    }
    if (!doc.name) {
      report({ rule: 'SCHEMA', field: 'metadata.name', severity: 'error', message: 'metadata.name is required.' });
    }
    const structural = checkStructure(doc.kind as ChamanKind, doc.manifest);
    structural.forEach(report);
    const structurallyValid = !structural.some((f) => f.severity === 'error');

    if (doc.kind === 'ChamanSenderGrant') {
      checkCel(CHAMAN_SENDER_GRANT_CEL_CHECKS, doc.manifest.spec, report);
      if (structurallyValid) grants.push(doc.manifest as unknown as ChamanSenderGrant);
      continue;
    }

    if (doc.kind === 'ChamanSender') {
      senders.set(`${doc.namespace}/${doc.name}`, doc);
      if (!structurallyValid) continue;
      validSenders.push(doc);
      const sender = doc.manifest as unknown as ChamanSender;
      checkChamanSender(sender.spec).forEach(report);
      const twin = senderNumbers.get(sender.spec.senderNumber);
      if (twin) {
        report({
          rule: 'R1',
          field: 'spec.senderNumber',
          severity: 'warning',
          message: `sender number ${sender.spec.senderNumber} is also managed by ChamanSender ${twin.namespace}/${twin.name} (${twin.source.file}); two objects would overwrite each other's contact data. Keep one.`,
        });
      } else senderNumbers.set(sender.spec.senderNumber, doc);
      continue;
    }

    accounts.push(doc);
    checkCel(CHANNEL_ACCOUNT_CEL_CHECKS, doc.manifest.spec, report);
    if (!structurallyValid) continue;
    const account = doc.manifest as unknown as ChannelAccount;
    const { material, findings: fromSecrets } = resolveFromInput(account.spec, doc.namespace, secrets);
    fromSecrets.forEach(report);
    (await checkChannelAccount(account.spec, material, options)).forEach(report);
  }

  checkAcrossAccounts(accounts, senders, reporter);
  checkGrants(validSenders, grants, namespaceLabels(located), reporter);
  return withoutRepeats(findings);
}

function checkCel(checks: CelCheck[], spec: unknown, report: (f: Finding) => void): void {
  if (typeof spec !== 'object' || spec === null) return;
  for (const check of checks) {
    if (!check.holds(spec as Record<string, unknown>)) {
      report({ rule: check.ruleId, field: check.field, severity: 'error', message: check.rule.message });
    }
  }
}

/** Labels of the Namespaces in the input (with the one Kubernetes adds), for namespaceSelector. */
function namespaceLabels(located: Located[]): Map<string, Record<string, string>> {
  const labels = new Map<string, Record<string, string>>();
  for (const doc of located.filter((d) => d.kind === 'Namespace' && d.name)) {
    const own = doc.manifest.metadata?.labels;
    labels.set(doc.name, { ...(typeof own === 'object' && own !== null ? (own as Record<string, string>) : {}), 'kubernetes.io/metadata.name': doc.name });
  }
  return labels;
}

/**
 * Tenancy: a ChamanSender without its own credentials needs a ChamanSenderGrant. Grants usually live
 * in the cluster admins' repository, not next to the senders, so a missing one is only a warning.
 */
function checkGrants(
  senders: Located[],
  grants: ChamanSenderGrant[],
  labels: Map<string, Record<string, string>>,
  reporter: (doc: Located) => (f: Finding) => void,
): void {
  for (const doc of senders) {
    const sender = doc.manifest as unknown as ChamanSender;
    if (grantFor(sender, grants, labels.get(doc.namespace), true).granted) continue;
    const selectorUnchecked = !labels.has(doc.namespace) && grants.some((g) => g.spec.namespaceSelector && g.spec.senderNumbers.includes(sender.spec.senderNumber));
    reporter(doc)({
      rule: 'TENANCY',
      field: 'spec.senderNumber',
      severity: 'warning',
      message:
        `no ChamanSenderGrant in this input covers namespace ${doc.namespace} and sender number ${sender.spec.senderNumber}; unless the cluster has one, ` +
        `the operator will not act for this sender (NotGranted). A cluster admin applies ${grantSnippet(doc.namespace, sender.spec.senderNumber)}, ` +
        'or give the sender its own credentials in spec.credentialsSecretRef.' +
        (selectorUnchecked ? ` (A namespaceSelector matches only a Namespace of the input: add Namespace ${doc.namespace} to check one offline.)` : ''),
    });
  }
}

/** The schema and the rule library may both catch one problem (e.g. permissions on SOAP): report it once. */
function withoutRepeats(findings: ValidationFinding[]): ValidationFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.file}|${f.document}|${f.kind}|${f.namespace}|${f.name}|${f.rule}|${f.field}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function checkAcrossAccounts(
  accounts: Located[],
  senders: Map<string, Located>,
  reporter: (doc: Located) => (f: Finding) => void,
): void {
  const singletons = new Map<string, Located>();
  for (const doc of accounts) {
    const spec = (doc.manifest as unknown as ChannelAccount).spec;
    const senderName = spec?.senderRef?.name;
    if (typeof senderName !== 'string') continue;
    const report = reporter(doc);
    if (!senders.has(`${doc.namespace}/${senderName}`)) {
      report({
        rule: 'R1',
        field: 'spec.senderRef.name',
        severity: 'warning',
        message: `no ChamanSender "${senderName}" in namespace ${doc.namespace} in this input; the account will wait (SenderNotReady) until one exists and is Ready.`,
      });
    }
    if (typeof spec.type === 'string' && isSingletonType(spec.type)) {
      const key = `${doc.namespace}/${senderName}/${spec.type}`;
      const first = singletons.get(key);
      if (first) {
        report({
          rule: 'R2',
          field: 'spec.type',
          severity: 'error',
          reason: 'DuplicateChannel',
          message: `sender "${senderName}" already has a ${spec.type} account in this input (ChannelAccount ${first.name}, ${first.source.file}); Chaman allows one ${spec.type} account per sender (R2). Remove one of them.`,
        });
      } else singletons.set(key, doc);
    }
  }
}
