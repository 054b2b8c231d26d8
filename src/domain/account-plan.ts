// The diff between what a ChannelAccount asks for and what Chaman holds, as the steps Chaman
// allows (R12), in a safe order: on REST (a set of certificates), new certificates are added before old ones are removed,
// so the account never has zero valid certificates. Pure.
import type { ChamanAccount, EditAccountRequest } from './account.ts';
import { allowedEdit } from './account-rules.ts';
import { channelType, credentialKind, hasManagementMode, hasUsername } from './channel-types.ts';
import { sameSshPublicKey } from './ssh.ts';
import type { DesiredAccount, DesiredCertificate } from './desired-account.ts';

export type PlanStep =
  | { kind: 'edit'; request: EditAccountRequest; fields: string[] }
  | { kind: 'addCertificate'; certificate: DesiredCertificate }
  | { kind: 'replaceCertificate'; certificateId: string; certificate: DesiredCertificate }
  | { kind: 'removeCertificate'; certificateId: string; name: string };

export interface AccountPlan {
  /** Steps Chaman allows, in the order to run them. */
  steps: PlanStep[];
  /** Differences Chaman does not allow to edit (R12): the account must be deleted and created again. */
  forbidden: string[];
  /** Every difference found, in words, for events and the Observe mode. Never a secret value. */
  differences: string[];
}

export interface PlanOptions {
  /** The password Secret (FTP) changed since it was last sent (passwords are write-only in Chaman). */
  passwordChanged: boolean;
}

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && new Set([...a, ...b]).size === a.length;

export function planAccountUpdate(desired: DesiredAccount, actual: ChamanAccount, options: PlanOptions): AccountPlan {
  const plan: AccountPlan = { steps: [], forbidden: [], differences: [] };
  const type = desired.type;
  const differ = (what: string, editable: boolean): boolean => {
    plan.differences.push(what);
    if (!editable) plan.forbidden.push(what);
    return editable;
  };

  if (actual.type !== type) {
    differ(`channel type is ${actual.type} in Chaman, ${type} in the spec`, false);
    return plan;
  }
  if (hasManagementMode(type) && (actual.management ?? 'Internal') !== (desired.management ?? 'Internal')) {
    differ(`management is ${actual.management ?? 'Internal'} in Chaman, ${desired.management ?? 'Internal'} in the spec`, false);
  }

  const edit: EditAccountRequest = {};
  const fields: string[] = [];
  if (actual.name !== desired.name && differ(`account name "${actual.name}" → "${desired.name}"`, allowedEdit(type, 'name'))) {
    edit.name = desired.name;
    fields.push('name');
  }
  if (
    !sameSet(actual.permissions, desired.permissions) &&
    differ(`permissions [${actual.permissions.join(', ')}] → [${desired.permissions.join(', ')}]`, allowedEdit(type, 'permissions'))
  ) {
    edit.permissions = desired.permissions;
    fields.push('permissions');
  }
  // Switches on the credential kind (channel-types.ts), not the type.
  const kind = credentialKind(type);
  if (hasUsername(type)) {
    const wantedUsername = `EXP${desired.username ?? ''}`;
    const usernameDiffers = actual.username !== wantedUsername;
    const keyDiffers = kind === 'sshKey' && !sameSshPublicKey(actual.sshPublicKey ?? '', desired.sshPublicKey ?? '');
    if (usernameDiffers) differ(`user name ${actual.username ?? '(none)'} → ${wantedUsername}`, allowedEdit(type, 'username'));
    if (keyDiffers) differ('SSH public key', allowedEdit(type, 'sshPublicKey'));
    // Chaman edits the user name and the SSH key together ("Modifier les identifiants").
    if ((usernameDiffers || keyDiffers) && allowedEdit(type, 'username')) {
      edit.username = desired.username;
      edit.sshPublicKey = desired.sshPublicKey;
      fields.push('username', 'sshPublicKey');
    }
  }
  if (kind === 'password' && options.passwordChanged) differ(`${type} password (its Secret changed)`, false);
  if (fields.length > 0) plan.steps.push({ kind: 'edit', request: edit, fields });

  planCertificates(desired, actual, plan, differ);
  return plan;
}

function describe(c: { name: string; sha256Fingerprint: string }): string {
  return `certificate "${c.name}" (SHA-256 ${c.sha256Fingerprint.slice(0, 11)}…)`;
}

function planCertificates(
  desired: DesiredAccount,
  actual: ChamanAccount,
  plan: AccountPlan,
  differ: (what: string, editable: boolean) => boolean,
): void {
  const type = desired.type;
  if (channelType(type).certificates === 'one') {
    // One certificate: a change is a replace (R3, R12).
    const want = desired.certificates[0];
    const have = actual.certificates[0];
    if (!want) return;
    if (!have) {
      differ(`missing ${describe(want)}`, false); // Chaman never lets these types hold no certificate
      return;
    }
    const same = have.sha256Fingerprint === want.sha256Fingerprint && have.name === want.name && have.fileName === want.fileName;
    if (!same && differ(`${describe(have)} → ${describe(want)}`, allowedEdit(type, 'certificateReplace'))) {
      plan.steps.push({ kind: 'replaceCertificate', certificateId: have.id, certificate: want });
    }
    return;
  }
  // A managed set (REST): identity is the certificate itself (its fingerprint). Add first, then remove (rotation).
  const wanted = new Set(desired.certificates.map((c) => c.sha256Fingerprint));
  const held = new Set(actual.certificates.map((c) => c.sha256Fingerprint));
  for (const want of desired.certificates) {
    if (!held.has(want.sha256Fingerprint) && differ(`add ${describe(want)}`, allowedEdit(type, 'certificateAdd'))) {
      plan.steps.push({ kind: 'addCertificate', certificate: want });
    }
  }
  for (const have of actual.certificates) {
    if (!wanted.has(have.sha256Fingerprint) && differ(`remove ${describe(have)}`, allowedEdit(type, 'certificateRemove'))) {
      plan.steps.push({ kind: 'removeCertificate', certificateId: have.id, name: have.name });
    }
  }
}
