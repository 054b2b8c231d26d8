// R2, R3, R12, R15: what an account may hold and what may change on it.
import { error } from './findings.ts';
import type { ChannelType, Finding, ManagementMode } from './types.ts';

/** R2: at most one account of these types per sender; REST has no limit. */
export const SINGLETON_TYPES: readonly ChannelType[] = ['FTP', 'SFTP', 'SOAP'];

export function isSingletonType(type: ChannelType | string): boolean {
  return (SINGLETON_TYPES as readonly string[]).includes(type);
}

export type EditableField =
  | 'name'
  | 'permissions'
  | 'username'
  | 'sshPublicKey'
  | 'certificateReplace'
  | 'certificateAdd'
  | 'certificateRemove';

/**
 * R12, as in the Chaman UI. REST certificates are added and removed, never replaced: Chaman's
 * page has only "add" and "remove", so rotation is add-then-remove (never without a valid one).
 */
export const EDITABLE_FIELDS: Record<ChannelType, readonly EditableField[]> = {
  FTP: [],
  SFTP: ['name', 'permissions', 'username', 'sshPublicKey', 'certificateReplace'],
  SOAP: ['certificateReplace'],
  REST: ['name', 'permissions', 'certificateAdd', 'certificateRemove'],
};

export function allowedEdit(type: ChannelType, what: EditableField): boolean {
  return EDITABLE_FIELDS[type]?.includes(what) ?? false;
}

/** R3/R15: how many certificates an account of this type and management mode must hold. */
export function certificateCountRange(type: ChannelType, management?: ManagementMode): { min: number; max: number } {
  if (type === 'REST') return (management ?? 'Internal') === 'TechnicalIntermediary' ? { min: 0, max: 0 } : { min: 1, max: Infinity };
  return { min: 1, max: 1 };
}

/** R3/R15: FTP/SFTP/SOAP exactly 1; REST Internal at least 1; REST TechnicalIntermediary none. */
export function checkCertificateCount(type: ChannelType, management: ManagementMode | undefined, count: number, field: string): Finding[] {
  const { min, max } = certificateCountRange(type, management);
  if (type === 'REST' && max === 0) {
    return count === 0
      ? []
      : [error('R15', field, 'R15: a REST account managed by a technical intermediary has no certificates; remove them, or set management to Internal', 'InvalidCertificate')];
  }
  if (count < min) {
    const what = type === 'REST' ? 'at least one certificate' : 'exactly one certificate';
    return [error('R3', field, `R3: a ${type} account${type === 'REST' ? ' managed internally' : ''} needs ${what}; add one`, 'InvalidCertificate')];
  }
  if (count > max) {
    return [
      error('R3', field, `R3: a ${type} account holds exactly one certificate (${count} given); keep one: to change it, replace it`, 'InvalidCertificate'),
    ];
  }
  return [];
}

/** R3: the last certificate of an account can never be removed. */
export function canRemoveCertificate(count: number): boolean {
  return count > 1;
}
