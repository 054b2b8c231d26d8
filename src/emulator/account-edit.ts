// What a PATCH of an account may carry, and its checks: the fields no edit may change (R12: delete
// and create again), the fields a type lets one edit, and each field's rules from src/domain.
import type { FieldError } from '../chaman/types.ts';
import * as domain from '../domain/index.ts';
import type { Permission } from '../domain/types.ts';
import { ProblemError } from './problem-error.ts';
import { errorsOnly, validation } from './request-shapes.ts';
import type { StoredAccount } from './store.ts';

const EDIT_FIELDS = ['name', 'permissions', 'username', 'sshPublicKey'] as const;
/** Fields of an account that exist but that no PATCH may change (R12: delete and create again). */
const FROZEN_FIELDS = ['type', 'management', 'password', 'certificates', 'clientId', 'id'];

/** The edit in `body`, once it carries only fields `account` lets one edit, each valid; else the problem. */
export function checkedEdit(account: StoredAccount, body: unknown, catalog: Permission[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validation([{ field: '', rule: 'SCHEMA', message: `send a JSON object with any of ${EDIT_FIELDS.join(', ')}` }]);
  }
  const edit = body as Record<string, unknown>;
  const frozen = Object.keys(edit).filter((k) => FROZEN_FIELDS.includes(k));
  if (frozen.length > 0) {
    throw new ProblemError('OPERATION_NOT_ALLOWED', `${frozen.join(', ')} cannot be changed on an existing ${account.type} account (R12); delete the account and create it again`);
  }
  const unknown = Object.keys(edit).filter((k) => !(EDIT_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw validation(unknown.map((k) => ({ field: k, rule: 'SCHEMA', message: `unknown field; an edit may carry ${EDIT_FIELDS.join(', ')}` })));
  for (const field of EDIT_FIELDS) {
    if (edit[field] !== undefined && !domain.allowedEdit(account.type, field)) {
      throw new ProblemError('OPERATION_NOT_ALLOWED', `${field} cannot be changed on a ${account.type} account (R12)${domain.EDITABLE_FIELDS[account.type].length === 0 ? `: an ${account.type} account cannot be edited, delete it and create it again` : ''}`);
    }
  }
  const errors = fieldErrors(edit, account, catalog);
  if (errors.length > 0) throw validation(errors);
  return edit;
}

function fieldErrors(edit: Record<string, unknown>, account: StoredAccount, catalog: Permission[]): FieldError[] {
  const errors: FieldError[] = [];
  if (edit.name !== undefined && (typeof edit.name !== 'string' || edit.name.trim() === '')) errors.push({ field: 'name', rule: 'SCHEMA', message: 'name must be a non-empty string' });
  if (edit.permissions !== undefined) {
    if (!Array.isArray(edit.permissions) || edit.permissions.some((p) => typeof p !== 'string')) {
      errors.push({ field: 'permissions', rule: 'SCHEMA', message: 'permissions must be an array of permission ids' });
    } else {
      errors.push(...errorsOnly(domain.checkPermissions(edit.permissions as string[], account.type, catalog, 'permissions')));
    }
  }
  if (edit.username !== undefined) {
    if (typeof edit.username !== 'string') errors.push({ field: 'username', rule: 'SCHEMA', message: 'username must be a string' });
    else errors.push(...errorsOnly(domain.checkUsername(edit.username, 'username')));
  }
  if (edit.sshPublicKey !== undefined) {
    if (typeof edit.sshPublicKey !== 'string') errors.push({ field: 'sshPublicKey', rule: 'SCHEMA', message: 'sshPublicKey must be a string' });
    else errors.push(...errorsOnly(domain.checkSshPublicKey(edit.sshPublicKey, 'sshPublicKey').findings));
  }
  return errors;
}
