// The chaos benchmark's workload: namespaces, senders, Secrets and a few hundred ChannelAccounts of
// every type within R2 (one FTP, one SFTP and one SOAP per sender, the rest REST), and the spec edits
// made during the chaos. The bench keeps each account's current spec here and applies it whole, so
// what it last applied is the "final spec" that Chaman must match.
import { X509Certificate } from 'node:crypto';
import { makeCa, makeCertificate, makeFtpPassword, makeSshKey } from '../../src/devtools/certificates.ts';

export type ChannelType = 'FTP' | 'SFTP' | 'SOAP' | 'REST';

export interface AccountSpec {
  senderRef: { name: string };
  type: ChannelType;
  accountName?: string;
  management?: 'Internal';
  permissions?: string[];
  certificates: { name: string; secretRef: { name: string } }[];
  ftp?: { username: string; passwordSecretRef: { name: string; key: string } };
  sftp?: { username: string; publicKeySecretRef: { name: string; key: string } };
}

export interface WorkloadAccount {
  namespace: string;
  name: string;
  senderNumber: string;
  spec: AccountSpec;
  /** Edits applied so far (names a renamed account uniquely). */
  edits: number;
}

export interface Workload {
  namespaces: string[];
  /** Namespace → Secret and ChamanSender manifests, applied before the accounts. */
  prerequisites: Record<string, unknown>[];
  accounts: WorkloadAccount[];
  /** `namespace/secret` → SHA-256 fingerprint of its tls.crt, as Chaman shows it (AB:CD:…). */
  fingerprints: Map<string, string>;
}

/** REST permissions an edit picks from (all valid for an internally managed REST account, R11). */
export const REST_PERMISSIONS = ['DimonaDeclaration', 'DimonaConsultation', 'CheckInAtWorkConsultation', 'WithholdingObligation'];
/** CA-issued certificates a REST account rotates between. */
const REST_CERTS = ['rest-cert-a', 'rest-cert-b', 'rest-cert-c'];
const ACCOUNTS_PER_SENDER = 10; // FTP + SFTP + SOAP + 7 REST

export async function makeWorkload(options: { prefix: string; accounts: number; namespaces: number }): Promise<Workload> {
  const senders = Math.max(1, Math.ceil(options.accounts / ACCOUNTS_PER_SENDER));
  const namespaces = Array.from({ length: Math.min(options.namespaces, senders) }, (_, i) => `${options.prefix}-${i}`);
  const fingerprints = new Map<string, string>();
  const prerequisites: Record<string, unknown>[] = [];
  const ca = await makeCa({ subject: 'C=BE, O=chaman-operator chaos, CN=Chaos Issuing CA' });

  for (const namespace of namespaces) {
    prerequisites.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    for (const secret of ['ftp-cert', 'sftp-cert', 'soap-cert', ...REST_CERTS]) {
      const cert = await makeCertificate({ ca, freshKey: true, subject: `C=BE, O=Chaos Employer, CN=${namespace}-${secret}` });
      fingerprints.set(`${namespace}/${secret}`, new X509Certificate(cert.pem).fingerprint256);
      prerequisites.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace }, data: { 'tls.crt': Buffer.from(cert.pem).toString('base64') } });
    }
    prerequisites.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ftp-password', namespace }, stringData: { password: makeFtpPassword() } });
    prerequisites.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sftp-ssh', namespace }, stringData: { 'ssh-publickey': makeSshKey('ed25519').publicOpenSsh } });
  }

  const accounts: WorkloadAccount[] = [];
  for (let s = 0; s < senders && accounts.length < options.accounts; s++) {
    const namespace = namespaces[s % namespaces.length]!;
    const senderName = `sender-${s}`;
    const senderNumber = String(400_000 + s);
    prerequisites.push({
      apiVersion: 'chaman.io/v1alpha1',
      kind: 'ChamanSender',
      metadata: { name: senderName, namespace },
      spec: {
        senderNumber,
        organization: { kind: 'Enterprise', name: `Chaos Employer ${s}` },
        contact: { name: 'Jane Peeters', phone: { countryCode: '+32', number: '0486531619' }, email: `jane@employer${s}.example`, language: 'fr' },
      },
    });
    const add = (name: string, spec: Omit<AccountSpec, 'senderRef'>) => {
      if (accounts.length < options.accounts) accounts.push({ namespace, name: `s${s}-${name}`, senderNumber, spec: { senderRef: { name: senderName }, ...spec }, edits: 0 });
    };
    const username = `CH${s}`;
    add('ftp', {
      type: 'FTP',
      permissions: ['SupplementaryPensionsPreload'],
      certificates: [{ name: 'main', secretRef: { name: 'ftp-cert' } }],
      ftp: { username, passwordSecretRef: { name: 'ftp-password', key: 'password' } },
    });
    add('sftp', {
      type: 'SFTP',
      permissions: ['SupplementaryPensionsPreload'],
      certificates: [{ name: 'main', secretRef: { name: 'sftp-cert' } }],
      sftp: { username, publicKeySecretRef: { name: 'sftp-ssh', key: 'ssh-publickey' } },
    });
    add('soap', { type: 'SOAP', certificates: [{ name: 'main', secretRef: { name: 'soap-cert' } }] });
    for (let r = 0; r < ACCOUNTS_PER_SENDER - 3; r++) {
      add(`rest-${r}`, {
        type: 'REST',
        management: 'Internal',
        permissions: [REST_PERMISSIONS[r % REST_PERMISSIONS.length]!],
        certificates: [{ name: 'main', secretRef: { name: REST_CERTS[r % REST_CERTS.length]! } }],
      });
    }
  }
  return { namespaces, prerequisites, accounts, fingerprints };
}

export function accountManifest(account: WorkloadAccount): Record<string, unknown> {
  return { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name: account.name, namespace: account.namespace }, spec: account.spec };
}

export type EditKind = 'permissions' | 'rotate' | 'rename';

/**
 * Changes a REST account's spec in place (permissions 50%, certificate rotation 35%, rename 15%)
 * and says which edit it made. Every edit changes something, so it bumps the generation.
 */
export function editRestAccount(account: WorkloadAccount, random: () => number, kind?: EditKind): EditKind {
  const spec = account.spec;
  const r = random();
  const chosen: EditKind = kind ?? (r < 0.5 ? 'permissions' : r < 0.85 ? 'rotate' : 'rename');
  account.edits++;
  if (chosen === 'permissions') {
    const current = [...(spec.permissions ?? [])].sort().join(',');
    let next: string[];
    do next = REST_PERMISSIONS.filter(() => random() < 0.5);
    while (next.length === 0 || [...next].sort().join(',') === current);
    spec.permissions = next;
  } else if (chosen === 'rotate') {
    const main = spec.certificates[0]!;
    const others = REST_CERTS.filter((c) => c !== main.secretRef.name);
    spec.certificates = [{ name: main.name, secretRef: { name: others[Math.floor(random() * others.length)]! } }];
  } else {
    spec.accountName = `${account.name} v${account.edits}`;
  }
  return chosen;
}

/** The account name Chaman must show for this spec (SPEC: accountName, else metadata.name). */
export function expectedName(namespaceObjectName: string, spec: { accountName?: string }): string {
  return spec.accountName ?? namespaceObjectName;
}
