// Reads what a ChannelAccount references (its Secrets), checks it against the rules, and turns it
// into the DesiredAccount the plan compares with Chaman. Secret values stay in memory only.
import { checkChannelAccountInputs, resolveAccountMaterial, type SecretData } from '../../api/semantic.ts';
import { blockUsername, credentialBlocks, credentialSecretRefs } from '../../api/credential-blocks.ts';
import type { ChannelAccount, ChannelAccountSpec } from '../../api/types.generated.ts';
import { certificateDetails, hasManagementMode } from '../../domain/index.ts';
import type { Finding, Permission, RulePolicy } from '../../domain/types.ts';
import type { DesiredAccount, DesiredCertificate } from '../../domain/desired-account.ts';
import type { KubeStore } from '../ports.ts';

/** Names of the Secrets a spec references. */
export function referencedSecrets(spec: ChannelAccountSpec): string[] {
  const names = (spec.certificates ?? []).map((c) => c.secretRef.name);
  for (const block of credentialBlocks(spec)) names.push(...credentialSecretRefs(block).map((ref) => ref.name));
  return [...new Set(names)];
}

/** The password Secret of the first password block (FTP's), whose version status records. */
function passwordSecretName(spec: ChannelAccountSpec): string | undefined {
  const block = credentialBlocks(spec).find((b) => b.kind === 'password');
  return block ? credentialSecretRefs(block)[0]?.name : undefined;
}

/** The user name to send: the last block that carries one wins, as when FTP's and SFTP's were spread in that order. */
function usernameOf(spec: ChannelAccountSpec): { username?: string } {
  const names = credentialBlocks(spec).map(blockUsername).filter((u) => u !== undefined);
  return names.length ? { username: names.at(-1)!.username } : {};
}

export interface AccountInputs {
  findings: Finding[];
  desired?: DesiredAccount;
  /** resourceVersion of the password Secret (FTP), recorded in status instead of any trace of the password. */
  passwordSecretVersion?: string;
  /** When a certificate that is not yet valid becomes valid: recheck then. */
  recheckAt?: Date;
}

export async function readAccountInputs(
  account: ChannelAccount,
  kube: KubeStore,
  catalog: Permission[],
  policy: RulePolicy,
): Promise<AccountInputs> {
  const namespace = account.metadata.namespace ?? 'default';
  const spec = account.spec;
  const secrets = new Map<string, SecretData | 'absent'>();
  const versions = new Map<string, string>();
  for (const name of referencedSecrets(spec)) {
    const content = await kube.readSecret(namespace, name);
    secrets.set(name, content === 'absent' ? 'absent' : content.data);
    if (content !== 'absent') versions.set(name, content.resourceVersion);
  }
  const { material, findings } = resolveAccountMaterial(spec, (name) => secrets.get(name) ?? 'absent');
  // Each certificate is parsed once, by the rules; their reading gives its notBefore and, when valid,
  // what Chaman should hold (a hostile tls.crt costs one capped, linear scan per reconcile).
  const checked = await checkChannelAccountInputs(spec, material, { catalog, policy });
  findings.push(...checked.findings);
  const inspected = checked.certificates;
  const passwordSecret = passwordSecretName(spec);
  const passwordSecretVersion = passwordSecret !== undefined ? versions.get(passwordSecret) : undefined;
  const future = inspected.map((i) => i?.notBefore.getTime() ?? 0).filter((t) => t > policy.now.getTime());
  const base = {
    findings,
    ...(passwordSecretVersion ? { passwordSecretVersion } : {}),
    ...(future.length ? { recheckAt: new Date(Math.min(...future)) } : {}), // a certificate not yet valid: recheck then
  };
  if (findings.some((f) => f.severity === 'error')) return base;

  const certificates: DesiredCertificate[] = material.certificates.map((cert, i) => {
    const details = certificateDetails(inspected[i]!, cert.name, cert.fileName);
    return { name: cert.name, fileName: cert.fileName, der: inspected[i]!.der, sha256Fingerprint: details.sha256Fingerprint, details };
  });
  const desired: DesiredAccount = {
    type: spec.type,
    name: spec.accountName ?? account.metadata.name,
    permissions: [...(spec.permissions ?? [])].sort(),
    ...(hasManagementMode(spec.type) ? { management: spec.management ?? 'Internal' } : {}),
    ...usernameOf(spec),
    ...(material.password !== undefined ? { password: material.password } : {}),
    ...(material.sshPublicKey !== undefined ? { sshPublicKey: material.sshPublicKey } : {}),
    certificates,
  };
  return { ...base, desired };
}
