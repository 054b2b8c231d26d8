// The table of channel types, and the lists and lookups derived from it.
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_TYPES,
  CHANNEL_TYPE_TABLE,
  EDITABLE_FIELDS,
  PERMISSION_CATALOG,
  PERMISSION_REQUIRED_TYPES,
  SINGLETON_TYPES,
  accountCountKey,
  certificateCountRange,
  channelType,
  credentialKind,
  hasManagementMode,
  hasUsername,
  isChannelType,
  isSingletonType,
  listTypes,
  permissionsFor,
  typesWhere,
} from '../../../src/domain/index.ts';

describe('the channel-type table', () => {
  // The inventory: a new type is added here too, on purpose.
  it('lists the types in Chaman\'s order, each with an entry', () => {
    expect(CHANNEL_TYPES).toEqual(['FTP', 'SFTP', 'SOAP', 'REST']);
    expect(Object.keys(CHANNEL_TYPE_TABLE)).toEqual([...CHANNEL_TYPES]);
    for (const type of CHANNEL_TYPES) expect(channelType(type)).toBe(CHANNEL_TYPE_TABLE[type]);
  });

  it('answers nothing for a string that is not a type, even an Object property', () => {
    for (const name of ['X400', 'ftp', 'toString', 'constructor', '']) {
      expect(channelType(name)).toBeUndefined();
      expect(isChannelType(name)).toBe(false);
      expect(isSingletonType(name)).toBe(false);
      expect(credentialKind(name)).toBe('none');
      expect(hasManagementMode(name)).toBe(false);
    }
    expect(isChannelType('SFTP')).toBe(true);
  });

  it('gives each type its credential kind', () => {
    expect(['FTP', 'SFTP', 'SOAP', 'REST'].map(credentialKind)).toEqual(['password', 'sshKey', 'none', 'clientId']);
    for (const type of CHANNEL_TYPES) {
      const kind = CHANNEL_TYPE_TABLE[type].credential;
      expect(hasUsername(type)).toBe(kind === 'password' || kind === 'sshKey');
      expect(hasManagementMode(type)).toBe(CHANNEL_TYPE_TABLE[type].certificates === 'managed');
    }
  });
});

describe('what derives from the table', () => {
  it('R2: SINGLETON_TYPES are the singleton entries', () => {
    expect(SINGLETON_TYPES).toEqual(typesWhere((d) => d.singleton));
    for (const type of CHANNEL_TYPES) expect(isSingletonType(type)).toBe(CHANNEL_TYPE_TABLE[type].singleton);
  });

  it('R12: EDITABLE_FIELDS are the entries\' editable lists', () => {
    for (const type of CHANNEL_TYPES) expect(EDITABLE_FIELDS[type]).toEqual(CHANNEL_TYPE_TABLE[type].editable);
  });

  it('R3/R15: the certificate count follows the entry', () => {
    for (const type of CHANNEL_TYPES) {
      const managed = CHANNEL_TYPE_TABLE[type].certificates === 'managed';
      expect(certificateCountRange(type, 'Internal')).toEqual(managed ? { min: 1, max: Infinity } : { min: 1, max: 1 });
      expect(certificateCountRange(type, 'TechnicalIntermediary')).toEqual(managed ? { min: 0, max: 0 } : { min: 1, max: 1 });
    }
  });

  it('R11: the catalog\'s channel types and PERMISSION_REQUIRED_TYPES come from the entries', () => {
    expect(PERMISSION_REQUIRED_TYPES).toEqual(typesWhere((d) => d.permissions !== 'none'));
    expect(PERMISSION_REQUIRED_TYPES).not.toContain('SOAP');
    for (const type of CHANNEL_TYPES) {
      const listed = CHANNEL_TYPE_TABLE[type].permissions;
      expect(permissionsFor(type).map((p) => p.id).sort()).toEqual(listed === 'none' ? [] : [...listed].sort());
    }
  });

  it('R11: every permission a type lists is in the catalog, and every catalog permission has a type', () => {
    const ids = new Set(PERMISSION_CATALOG.map((p) => p.id));
    for (const type of CHANNEL_TYPES) {
      const listed = CHANNEL_TYPE_TABLE[type].permissions;
      for (const id of listed === 'none' ? [] : listed) expect(ids, `${type}: ${id}`).toContain(id);
    }
    for (const p of PERMISSION_CATALOG) expect(p.channelTypes.length, p.id).toBeGreaterThan(0);
  });

  it('the status key of a type is its name in lower case', () => {
    expect(['FTP', 'SFTP', 'SOAP', 'REST'].map((t) => accountCountKey(t as 'FTP'))).toEqual(['ftp', 'sftp', 'soap', 'rest']);
    for (const type of CHANNEL_TYPES) expect(accountCountKey(type)).toBe(type.toLowerCase());
  });
});

describe('the entries agree with themselves', () => {
  it.each(CHANNEL_TYPES)('%s: R12 edits fit its certificates and credentials', (type) => {
    const d = CHANNEL_TYPE_TABLE[type];
    // One certificate is replaced; a managed set is added to and removed from.
    if (d.certificates === 'one') expect(d.editable.filter((e) => e === 'certificateAdd' || e === 'certificateRemove')).toEqual([]);
    else expect(d.editable).not.toContain('certificateReplace');
    if (!hasUsername(type)) expect(d.editable).not.toContain('username');
    if (d.credential !== 'sshKey') expect(d.editable).not.toContain('sshPublicKey');
    if (d.permissions === 'none') expect(d.editable).not.toContain('permissions');
  });
});

describe('listTypes', () => {
  it('writes a list of types as a sentence does', () => {
    expect(listTypes([])).toBe('');
    expect(listTypes(['REST'])).toBe('REST');
    expect(listTypes(['FTP', 'SFTP'])).toBe('FTP and SFTP');
    expect(listTypes(['FTP', 'SFTP', 'SOAP', 'REST'], 'or')).toBe('FTP, SFTP, SOAP or REST');
  });
});
