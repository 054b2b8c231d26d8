// R11: the catalog of permissions ("permissions sécurisées", SPEC section 6) and the check of an
// account's permission list against it. The backend's catalog can grow: callers pass the catalog
// they read from Chaman; PERMISSION_CATALOG is the one Chaman ships today (and the emulator serves).
import { channelType, typesWhere, type ChannelType } from './channel-types.ts';
import { error, joinField, quote } from './findings.ts';
import type { Finding, Language, Permission } from './types.ts';

/** The labels of each permission; which types it is for is said by each type (channel-types.ts). */
const PERMISSION_LABELS: { id: string; labels: Record<Language, string> }[] = [
  {
    id: 'SupplementaryPensionsPreload',
    labels: {
      fr: 'Base de données des pensions complémentaires - Preload',
      nl: 'Databank aanvullende pensioenen - Preload',
      de: 'Datenbank der Zusatzpensionen - Preload',
      en: 'Supplementary pensions database - Preload',
    },
  },
  {
    id: 'CareerProFederalLearningAccountDeclaration',
    labels: {
      fr: 'CareerPro - Federal Learning Account - Déclaration',
      nl: 'CareerPro - Federal Learning Account - Aangifte',
      de: 'CareerPro - Federal Learning Account - Erklärung',
      en: 'CareerPro - Federal Learning Account - Declaration',
    },
  },
  {
    id: 'CheckInAtWorkConsultation',
    labels: {
      fr: 'Check In And Out @ Work - Consultation',
      nl: 'Check In And Out @ Work - Raadpleging',
      de: 'Check In And Out @ Work - Einsichtnahme',
      en: 'Check In And Out @ Work - Consultation',
    },
  },
  {
    id: 'DimonaConsultation',
    labels: {
      fr: 'Consultation de la déclaration Dimona',
      nl: 'Raadpleging van de Dimona-aangifte',
      de: 'Einsichtnahme in die Dimona-Erklärung',
      en: 'Dimona declaration consultation',
    },
  },
  {
    id: 'DimonaDeclaration',
    labels: {
      fr: 'Effectuer des déclarations Dimona',
      nl: 'Dimona-aangiften verrichten',
      de: 'Dimona-Erklärungen abgeben',
      en: 'Submit Dimona declarations',
    },
  },
  {
    id: 'WithholdingObligation',
    labels: {
      fr: 'Obligation de retenue',
      nl: 'Inhoudingsplicht',
      de: 'Einbehaltungspflicht',
      en: 'Withholding obligation',
    },
  },
  {
    id: 'EmployerRestFrontOffice',
    labels: {
      fr: 'Service Rest Employer - Front Office',
      nl: 'Rest-dienst Werkgever - Front Office',
      de: 'REST-Dienst Arbeitgeber - Front Office',
      en: 'Employer REST service - Front Office',
    },
  },
  {
    id: 'EmployerRestPublic',
    labels: {
      fr: 'Service Rest Employer - Public',
      nl: 'Rest-dienst Werkgever - Publiek',
      de: 'REST-Dienst Arbeitgeber - Öffentlich',
      en: 'Employer REST service - Public',
    },
  },
  {
    id: 'WitaAmateurEnterprise',
    labels: {
      fr: 'WITA Amateur - Entreprise',
      nl: 'WITA Amateur - Onderneming',
      de: 'WITA Amateur - Unternehmen',
      en: 'WITA Amateur - Enterprise',
    },
  },
];

export const PERMISSION_CATALOG: Permission[] = PERMISSION_LABELS.map(({ id, labels }) => ({
  id,
  channelTypes: typesWhere((d) => d.permissions !== 'none' && d.permissions.includes(id)),
  labels,
}));

/** Types whose accounts must have at least one permission (R11); SOAP accounts have none. */
export const PERMISSION_REQUIRED_TYPES: readonly ChannelType[] = typesWhere((d) => d.permissions !== 'none');

export function permissionsFor(type: ChannelType, catalog: Permission[] = PERMISSION_CATALOG): Permission[] {
  return catalog.filter((p) => p.channelTypes.includes(type));
}

function listIds(ids: string[]): string {
  return ids.length === 0 ? '(none)' : ids.join(', ');
}

/**
 * R11 on an account's permission ids. `field` is the list's path; findings on one entry use
 * `field[i]`. Unknown ids, ids of another channel type, duplicates, and a missing (or, for SOAP,
 * present) list are errors.
 */
export function checkPermissions(ids: readonly unknown[] | undefined, type: ChannelType, catalog: Permission[], field: string): Finding[] {
  const list = Array.isArray(ids) ? ids : [];
  const findings: Finding[] = [];
  const valid = permissionsFor(type, catalog).map((p) => p.id);
  if (channelType(type)?.permissions === 'none') {
    if (list.length > 0) {
      findings.push(
        error('R11', field, `R11: ${type} accounts have no permissions in Chaman; remove the ${list.length === 1 ? 'permission' : `${list.length} permissions`} from the list`, 'PermissionNotAllowed'),
      );
    }
    return findings;
  }
  if (list.length === 0) {
    findings.push(
      error('R11', field, `R11: a ${type} account needs at least one permission; add one of: ${listIds(valid)}`, 'PermissionNotAllowed'),
    );
    return findings;
  }
  if (list.length > catalog.length) {
    // More entries than Chaman has permissions: some are repeated or unknown. One finding, not one per
    // entry (each naming every valid id: 40,000 entries made 14 MB of messages).
    return [error('R11', field, `R11: ${list.length} permissions are listed, more than the ${catalog.length} Chaman has; list each permission once, from: ${listIds(valid)}`, 'PermissionNotAllowed')];
  }
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const at = joinField(field, `[${i}]`);
    if (typeof raw !== 'string' || raw === '') {
      findings.push(error('R11', at, `R11: a permission must be a non-empty id; valid ids for ${type}: ${listIds(valid)}`, 'UnknownPermission'));
      return;
    }
    if (seen.has(raw)) {
      findings.push(error('R11', at, `R11: permission ${raw} is listed twice; list each permission once`, 'PermissionNotAllowed'));
      return;
    }
    seen.add(raw);
    const known = catalog.find((p) => p.id === raw);
    if (!known) {
      findings.push(
        error('R11', at, `R11: unknown permission ${quote(raw)}; valid ids for ${type}: ${listIds(valid)}`, 'UnknownPermission'),
      );
    } else if (!known.channelTypes.includes(type)) {
      findings.push(
        error(
          'R11',
          at,
          `R11: permission ${raw} is for ${known.channelTypes.join('/')} accounts, not ${type}; valid ids for ${type}: ${listIds(valid)}`,
          'PermissionNotAllowed',
        ),
      );
    }
  });
  return findings;
}
