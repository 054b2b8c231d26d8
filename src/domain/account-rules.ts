// R2, R3, R12, R15: what an account may hold and what may change on it.
import { CHANNEL_TYPE_TABLE, CHANNEL_TYPES, channelType, typesWhere, type ChannelType, type EditableField } from './channel-types.ts';
import { error } from './findings.ts';
import type { Finding, ManagementMode } from './types.ts';

export type { EditableField } from './channel-types.ts';

/** R2: at most one account of these types per sender (FTP, SFTP, SOAP); REST has no limit. */
export const SINGLETON_TYPES: readonly ChannelType[] = typesWhere((d) => d.singleton);

export function isSingletonType(type: ChannelType | string): boolean {
  return channelType(type)?.singleton ?? false;
}

/** R12, as in the Chaman UI (see channel-types.ts). */
export const EDITABLE_FIELDS = Object.fromEntries(
  CHANNEL_TYPES.map((type) => [type, CHANNEL_TYPE_TABLE[type].editable]),
) as Record<ChannelType, readonly EditableField[]>;

export function allowedEdit(type: ChannelType, what: EditableField): boolean {
  return EDITABLE_FIELDS[type]?.includes(what) ?? false;
}

/** R3/R15: how many certificates an account of this type and management mode must hold. */
export function certificateCountRange(type: ChannelType, management?: ManagementMode): { min: number; max: number } {
  if (channelType(type)?.certificates === 'managed') {
    return (management ?? 'Internal') === 'TechnicalIntermediary' ? { min: 0, max: 0 } : { min: 1, max: Infinity };
  }
  return { min: 1, max: 1 };
}

/** R3/R15: exactly 1 ('one' types: FTP, SFTP, SOAP); managed internally at least 1, by an intermediary none (REST). */
export function checkCertificateCount(type: ChannelType, management: ManagementMode | undefined, count: number, field: string): Finding[] {
  const { min, max } = certificateCountRange(type, management);
  const managed = channelType(type)?.certificates === 'managed';
  if (managed && max === 0) {
    return count === 0
      ? []
      : [error('R15', field, `R15: a ${type} account managed by a technical intermediary has no certificates; remove them, or set management to Internal`, 'InvalidCertificate')];
  }
  if (count < min) {
    const what = managed ? 'at least one certificate' : 'exactly one certificate';
    return [error('R3', field, `R3: a ${type} account${managed ? ' managed internally' : ''} needs ${what}; add one`, 'InvalidCertificate')];
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
