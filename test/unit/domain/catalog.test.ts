import { describe, expect, it } from 'vitest';
import { CHANNEL_TYPES, PERMISSION_CATALOG, checkPermissions, permissionsFor } from '../../../src/domain/index.ts';

describe('permission catalog (SPEC section 6)', () => {
  it('has the 9 permissions with a label in every language', () => {
    expect(PERMISSION_CATALOG.map((p) => p.id)).toEqual([
      'SupplementaryPensionsPreload',
      'CareerProFederalLearningAccountDeclaration',
      'CheckInAtWorkConsultation',
      'DimonaConsultation',
      'DimonaDeclaration',
      'WithholdingObligation',
      'EmployerRestFrontOffice',
      'EmployerRestPublic',
      'WitaAmateurEnterprise',
    ]);
    for (const p of PERMISSION_CATALOG) {
      for (const lang of ['fr', 'nl', 'de', 'en'] as const) expect(p.labels[lang].length).toBeGreaterThan(3);
      for (const t of p.channelTypes) expect(CHANNEL_TYPES).toContain(t);
    }
    expect(PERMISSION_CATALOG.find((p) => p.id === 'DimonaDeclaration')!.labels.fr).toBe('Effectuer des déclarations Dimona');
  });

  it('gives the permissions per type', () => {
    expect(permissionsFor('FTP').map((p) => p.id)).toEqual(['SupplementaryPensionsPreload']);
    expect(permissionsFor('SFTP').map((p) => p.id)).toEqual(['SupplementaryPensionsPreload']);
    expect(permissionsFor('SOAP')).toEqual([]);
    expect(permissionsFor('REST')).toHaveLength(8);
  });
});

describe('R11 permissions', () => {
  const field = 'spec.permissions';

  it('accepts known permissions of the type', () => {
    expect(checkPermissions(['DimonaDeclaration', 'DimonaConsultation'], 'REST', PERMISSION_CATALOG, field)).toEqual([]);
    expect(checkPermissions(['SupplementaryPensionsPreload'], 'SFTP', PERMISSION_CATALOG, field)).toEqual([]);
    expect(checkPermissions([], 'SOAP', PERMISSION_CATALOG, field)).toEqual([]);
    expect(checkPermissions(undefined, 'SOAP', PERMISSION_CATALOG, field)).toEqual([]);
  });

  it.each(['FTP', 'SFTP', 'REST'] as const)('%s needs at least one', (type) => {
    const [f] = checkPermissions([], type, PERMISSION_CATALOG, field);
    expect(f).toMatchObject({ rule: 'R11', field, severity: 'error' });
    expect(f!.message).toMatch(/at least one permission/);
  });

  it('SOAP accounts have none', () => {
    const [f] = checkPermissions(['DimonaDeclaration'], 'SOAP', PERMISSION_CATALOG, field);
    expect(f).toMatchObject({ rule: 'R11', reason: 'PermissionNotAllowed' });
  });

  it('an unknown id lists the valid ids for the type', () => {
    const findings = checkPermissions(['DimonaDeclaration', 'Dimona'], 'REST', PERMISSION_CATALOG, field);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R11', field: 'spec.permissions[1]', reason: 'UnknownPermission' });
    expect(findings[0]!.message).toContain('DimonaConsultation');
    expect(findings[0]!.message).toContain('WitaAmateurEnterprise');
    expect(findings[0]!.message).not.toContain('SupplementaryPensionsPreload');
  });

  it('a known id of another type is not allowed', () => {
    const [f] = checkPermissions(['DimonaDeclaration'], 'FTP', PERMISSION_CATALOG, field);
    expect(f).toMatchObject({ field: 'spec.permissions[0]', reason: 'PermissionNotAllowed' });
    expect(f!.message).toContain('SupplementaryPensionsPreload');
  });

  it('a duplicate is an error', () => {
    const [f] = checkPermissions(['DimonaDeclaration', 'DimonaDeclaration'], 'REST', PERMISSION_CATALOG, 'permissions');
    expect(f).toMatchObject({ field: 'permissions[1]', rule: 'R11' });
    expect(f!.message).toMatch(/twice/);
  });

  it('reads the catalog it is given (the backend catalog can grow)', () => {
    const catalog = [...PERMISSION_CATALOG, { id: 'NewThing', channelTypes: ['REST' as const], labels: { fr: 'a', nl: 'b', de: 'c', en: 'd' } }];
    expect(checkPermissions(['NewThing'], 'REST', catalog, field)).toEqual([]);
    expect(checkPermissions(['NewThing'], 'REST', PERMISSION_CATALOG, field)[0]!.reason).toBe('UnknownPermission');
  });
});
