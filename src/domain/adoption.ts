// What an account named by the annotation chaman.io/external-name must be before the operator acts on
// it: a well-formed id (it becomes a URL path segment) and an account of the ChannelAccount's type and
// sender. A mismatch is a typo or a claim on someone else's account, never a reason to replace it:
// deletion in Chaman is definitive (R13). Pure.
import { CLIENT_ID_PREFIX } from './client-id.ts';
import type { ChannelType, Finding } from './types.ts';

export const EXTERNAL_NAME_ANNOTATION = 'chaman.io/external-name';

/** An account id: letters, digits, '.', '_' and '-', starting with a letter or digit (so never "." or ".."). */
export const ACCOUNT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const ACCOUNT_ID_RE = new RegExp(ACCOUNT_ID_PATTERN);

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID_RE.test(value);
}

/** The finding for an external name that cannot be an account id; none when it can. */
export function checkExternalName(value: string | undefined): Finding[] {
  if (value === undefined || isAccountId(value)) return [];
  const shown = value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
  return [
    {
      rule: 'SCHEMA',
      field: `metadata.annotations[${EXTERNAL_NAME_ANNOTATION}]`,
      severity: 'error',
      reason: 'InvalidExternalName',
      message: `${shown} is not a Chaman account id (${ACCOUNT_ID_PATTERN}); set the annotation to the id Chaman shows for the account, or remove it to create a new account.`,
    },
  ];
}

/**
 * Why the account Chaman returned for an external name is not this ChannelAccount's to manage (another
 * channel type, or a REST client ID of another sender), or undefined when it may be.
 */
export function foreignAccount(found: { id: string; type: ChannelType; clientId?: string }, wanted: { type: ChannelType; senderNumber: string }): string | undefined {
  const fix = `Nothing was written or deleted in Chaman. Set the annotation ${EXTERNAL_NAME_ANNOTATION} to the id of a ${wanted.type} account of sender ${wanted.senderNumber}, or remove it to create a new account.`;
  if (found.type !== wanted.type) {
    return `The Chaman account "${found.id}" named by the annotation ${EXTERNAL_NAME_ANNOTATION} is a ${found.type} account and this ChannelAccount is ${wanted.type}; an account's type cannot change, and it is not replaced. ${fix}`;
  }
  if (found.clientId !== undefined && !found.clientId.startsWith(`${CLIENT_ID_PREFIX}${wanted.senderNumber}_`)) {
    return `The Chaman account "${found.id}" named by the annotation ${EXTERNAL_NAME_ANNOTATION} belongs to another sender than ${wanted.senderNumber} (its client ID says so). ${fix}`;
  }
  return undefined;
}
