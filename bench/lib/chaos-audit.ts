// Compares what Chaman holds (the emulator's /admin/state) with what Kubernetes asks for, after the
// chaos: pure, so the counts are defined in one place and the bench only gathers the inputs.
//
// - duplicate: a live object matched by more than one Chaman account (same sender and type, and for
//   REST the same name), or one account id claimed by two objects.
// - orphan: an account in Chaman that no live object claims (chaman.io/external-name), including the
//   accounts of deleted objects.
// - lost update: an object's claimed account differs from its final spec (name, permissions, or the
//   SHA-256 fingerprints of its certificates).
// - missing: a live object whose claimed account is not in Chaman, or that claims none.
// - undeleted: a deleted object whose account still exists in Chaman (by its recorded id, or by
//   sender, type and name when it was deleted before the operator recorded one), or an object whose
//   deletion never finished.
// - not ready: a live object whose Ready condition is not True for its current generation.

export interface ChamanAccountView {
  senderNumber: string;
  id: string;
  type: string;
  name: string;
  permissions: string[];
  certificates: { sha256Fingerprint: string }[];
}

export interface LiveObject {
  /** namespace/name */
  key: string;
  senderNumber: string;
  type: string;
  expectedName: string;
  expectedPermissions: string[];
  expectedFingerprints: string[];
  externalName?: string;
  ready: boolean;
}

export interface DeletedObject {
  key: string;
  senderNumber: string;
  type: string;
  /** The account name its last spec asked for. */
  name: string;
  /** chaman.io/external-name when the bench last saw the object. */
  externalName?: string;
  /** The object is still in Kubernetes (its finalizer was never released). */
  stillPresent: boolean;
}

export interface AuditCounts {
  duplicates: number;
  orphans: number;
  lostUpdates: number;
  missing: number;
  undeleted: number;
  notReady: number;
}

export interface Audit extends AuditCounts {
  /** One line per problem found, for the log. */
  details: string[];
}

const SINGLETONS = new Set(['FTP', 'SFTP', 'SOAP']);
const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
const matches = (a: ChamanAccountView, senderNumber: string, type: string, name: string) =>
  a.senderNumber === senderNumber && a.type === type && (SINGLETONS.has(type) || a.name === name);

export function audit(chaman: ChamanAccountView[], live: LiveObject[], deleted: DeletedObject[]): Audit {
  const details: string[] = [];
  const byId = new Map(chaman.map((a) => [a.id, a]));
  const claimedBy = new Map<string, string[]>();
  for (const o of live) if (o.externalName) claimedBy.set(o.externalName, [...(claimedBy.get(o.externalName) ?? []), o.key]);

  let duplicates = 0;
  for (const [id, keys] of claimedBy) {
    if (keys.length > 1) {
      duplicates += keys.length - 1;
      details.push(`duplicate: account ${id} is claimed by ${keys.join(', ')}`);
    }
  }
  for (const o of live) {
    const found = chaman.filter((a) => matches(a, o.senderNumber, o.type, o.expectedName));
    if (found.length > 1) {
      duplicates += found.length - 1;
      details.push(`duplicate: ${o.key} (${o.type} "${o.expectedName}", sender ${o.senderNumber}) matches ${found.length} accounts: ${found.map((a) => a.id).join(', ')}`);
    }
  }

  const orphanAccounts = chaman.filter((a) => !claimedBy.has(a.id));
  for (const a of orphanAccounts) details.push(`orphan: account ${a.id} (${a.type} "${a.name}", sender ${a.senderNumber}) is claimed by no object`);

  let lostUpdates = 0;
  let missing = 0;
  let notReady = 0;
  for (const o of live) {
    if (!o.ready) {
      notReady++;
      details.push(`not ready: ${o.key}`);
    }
    const account = o.externalName ? byId.get(o.externalName) : undefined;
    if (!account) {
      missing++;
      details.push(`missing: ${o.key} ${o.externalName ? `claims ${o.externalName}, which Chaman does not hold` : 'claims no account'}`);
      continue;
    }
    const differences: string[] = [];
    if (account.name !== o.expectedName) differences.push(`name "${account.name}" ≠ "${o.expectedName}"`);
    if (!sameSet(account.permissions, o.expectedPermissions)) differences.push(`permissions [${account.permissions.join(',')}] ≠ [${o.expectedPermissions.join(',')}]`);
    const prints = account.certificates.map((c) => c.sha256Fingerprint);
    if (!sameSet(prints, o.expectedFingerprints)) differences.push(`certificates ${prints.map((p) => p.slice(0, 11)).join(',')} ≠ ${o.expectedFingerprints.map((p) => p.slice(0, 11)).join(',')}`);
    if (differences.length > 0) {
      lostUpdates++;
      details.push(`lost update: ${o.key} (account ${account.id}): ${differences.join('; ')}`);
    }
  }

  let undeleted = 0;
  for (const d of deleted) {
    const byName = orphanAccounts.filter((a) => matches(a, d.senderNumber, d.type, d.name));
    const left = d.externalName && byId.has(d.externalName) ? [d.externalName] : byName.map((a) => a.id);
    if (left.length > 0 || d.stillPresent) {
      undeleted++;
      details.push(`undeleted: ${d.key}${d.stillPresent ? ' is still in Kubernetes' : ''}${left.length ? ` and Chaman still holds ${left.join(', ')}` : ''}`);
    }
  }

  return { duplicates, orphans: orphanAccounts.length, lostUpdates, missing, undeleted, notReady, details };
}
