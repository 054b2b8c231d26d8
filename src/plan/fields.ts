// Field-level changes of one object, from what Chaman held and the calls the reconcile would make.
// Certificates by their public details, permissions with their labels; a password or an SSH key only
// as "set" or "changed", never its value.
import type { CertificateUpload, ChamanAccount, ChamanCertificate, CreateAccountRequest } from '../chaman/types.ts';
import { certificateDetails, hasManagementMode, inspectCertificate } from '../domain/index.ts';
import type { CertificateDetails, Contact, Permission } from '../domain/types.ts';
import type { RecordedWrite } from './recording-chaman.ts';
import type { PlanField, PlannedCertificate } from './types.ts';

const publicDetails = (c: CertificateDetails): PlannedCertificate => ({
  name: c.name,
  fileName: c.fileName,
  sha256Fingerprint: c.sha256Fingerprint,
  subject: c.subject,
  serialNumber: c.serialNumber,
  notAfter: c.notAfter,
});

async function uploaded(upload: CertificateUpload): Promise<PlannedCertificate> {
  const inspected = await inspectCertificate(Buffer.from(upload.content, 'base64'));
  return publicDetails(certificateDetails(inspected, upload.name, upload.fileName));
}

/** What an account will look like: the account read, with the recorded calls applied. Secret fields by presence only. */
interface AccountView {
  name: string;
  type: string;
  management?: string;
  permissions: string[];
  username?: string;
  sshPublicKey?: string;
  password?: 'set';
  certificates: PlannedCertificate[];
}

const fromChaman = (a: ChamanAccount): AccountView => ({
  name: a.name,
  type: a.type,
  ...(a.management ? { management: a.management } : {}),
  permissions: a.permissions,
  ...(a.username ? { username: a.username } : {}),
  ...(a.sshPublicKey ? { sshPublicKey: a.sshPublicKey } : {}),
  certificates: a.certificates.map(publicDetails),
});

async function fromCreate(r: CreateAccountRequest): Promise<AccountView> {
  return {
    name: r.name,
    type: r.type,
    ...(hasManagementMode(r.type) ? { management: r.management ?? 'Internal' } : {}),
    permissions: r.permissions,
    ...(r.username !== undefined ? { username: `EXP${r.username}` } : {}),
    ...(r.sshPublicKey !== undefined ? { sshPublicKey: r.sshPublicKey } : {}),
    ...(r.password !== undefined ? { password: 'set' as const } : {}),
    certificates: await Promise.all(r.certificates.map(uploaded)),
  };
}

/** The account after the recorded writes: a create starts afresh (a replace deletes first). */
export async function accountAfter(before: ChamanAccount | undefined, writes: RecordedWrite[]): Promise<AccountView | undefined> {
  let view = before ? fromChaman(before) : undefined;
  const byId = new Map<string, ChamanCertificate>(before?.certificates.map((c) => [c.id, c]) ?? []);
  for (const w of writes) {
    if (w.operation === 'createAccount') view = await fromCreate(w.request);
    else if (w.operation === 'deleteAccount') view = undefined;
    else if (!view) continue;
    else if (w.operation === 'editAccount') {
      const { username, sshPublicKey, ...rest } = w.request;
      view = { ...view, ...rest, ...(username !== undefined ? { username: `EXP${username}` } : {}), ...(sshPublicKey !== undefined ? { sshPublicKey } : {}) };
    } else if (w.operation === 'addCertificate') view.certificates = [...view.certificates, await uploaded(w.certificate)];
    else if (w.operation === 'removeCertificate') view.certificates = view.certificates.filter((c) => c.sha256Fingerprint !== byId.get(w.certificateId)?.sha256Fingerprint);
    else if (w.operation === 'replaceCertificate') {
      const old = byId.get(w.certificateId)?.sha256Fingerprint;
      view.certificates = [...view.certificates.filter((c) => c.sha256Fingerprint !== old), await uploaded(w.certificate)];
    }
  }
  return view;
}

const labelsOf = (catalog: Permission[], id: string) => {
  const p = catalog.find((c) => c.id === id);
  return p ? { fr: p.labels.fr, nl: p.labels.nl, en: p.labels.en } : undefined;
};

/** The differences between two views of an account: either side undefined for a create or a delete. */
export function accountFields(before: AccountView | undefined, after: AccountView | undefined, catalog: Permission[], passwordChanged: boolean): PlanField[] {
  const fields: PlanField[] = [];
  const scalar = (field: string, a: string | undefined, b: string | undefined) => {
    if (a === b) return;
    fields.push({ field, change: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed', ...(a !== undefined ? { before: a } : {}), ...(b !== undefined ? { after: b } : {}) });
  };
  scalar('type', before?.type, after?.type);
  scalar('name', before?.name, after?.name);
  scalar('management', before?.management, after?.management);
  scalar('username', before?.username, after?.username);
  const held = new Set(before?.permissions ?? []);
  const wanted = new Set(after?.permissions ?? []);
  for (const id of [...wanted].filter((p) => !held.has(p)).sort()) fields.push({ field: 'permissions', change: 'added', after: id, ...withLabels(catalog, id) });
  for (const id of [...held].filter((p) => !wanted.has(p)).sort()) fields.push({ field: 'permissions', change: 'removed', before: id, ...withLabels(catalog, id) });
  if ((before?.sshPublicKey ?? '') !== (after?.sshPublicKey ?? '') && after?.sshPublicKey !== undefined) fields.push({ field: 'sshPublicKey', change: before?.sshPublicKey ? 'changed' : 'set' });
  if (after?.password) fields.push({ field: 'password', change: before && passwordChanged ? 'changed' : 'set' });
  const had = new Set(before?.certificates.map((c) => c.sha256Fingerprint) ?? []);
  const will = new Set(after?.certificates.map((c) => c.sha256Fingerprint) ?? []);
  for (const c of after?.certificates ?? []) if (!had.has(c.sha256Fingerprint)) fields.push({ field: 'certificates', change: 'added', certificate: c });
  for (const c of before?.certificates ?? []) if (!will.has(c.sha256Fingerprint)) fields.push({ field: 'certificates', change: 'removed', certificate: c });
  return fields;
}

function withLabels(catalog: Permission[], id: string): { labels?: { fr: string; nl: string; en: string } } {
  const labels = labelsOf(catalog, id);
  return labels ? { labels } : {};
}

/** Contact data (R1) is not secret: shown field by field. */
export function contactFields(before: Contact | null | undefined, after: Contact): PlanField[] {
  const flat = (c: Contact | null | undefined): Record<string, string | undefined> => ({
    'contact.name': c?.name,
    'contact.role': c?.role,
    'contact.phone': c ? `${c.phone.countryCode} ${c.phone.number}` : undefined,
    'contact.email': c?.email,
    'contact.language': c?.language,
  });
  const a = flat(before);
  const b = flat(after);
  return Object.keys(b)
    .filter((k) => (a[k] ?? '') !== (b[k] ?? ''))
    .map((field) => ({ field, change: a[field] === undefined ? 'added' : b[field] === undefined ? 'removed' : 'changed', ...(a[field] !== undefined ? { before: a[field] } : {}), ...(b[field] !== undefined ? { after: b[field] } : {}) }));
}
