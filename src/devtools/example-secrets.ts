// The Secrets that examples/ references, made fresh: certificates issued by a throw-away CA (and a
// self-signed one for REST, R8), the FTP password and the SFTP SSH public key. Nothing is committed.
import { stringify } from 'yaml';
import type { KubeObject } from '../kube/client.ts';
import { makeCa, makeCertificate, makeFtpPassword, makeSshKey, type MadeCertificate } from './certificates.ts';

export interface ExampleSecretsOptions {
  namespace?: string;
  /** Validity of the leaf certificates. Default: from yesterday, for a year. */
  notAfter?: Date;
}

function tlsSecret(name: string, namespace: string, cert: MadeCertificate): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    // tls.key is there as cert-manager would put it: the operator never reads it, never sends it.
    data: { 'tls.crt': Buffer.from(cert.pem).toString('base64'), 'tls.key': Buffer.from(cert.privateKeyPem).toString('base64') },
  };
}

export async function exampleSecrets(options: ExampleSecretsOptions = {}): Promise<KubeObject[]> {
  const namespace = options.namespace ?? 'payroll';
  const ca = await makeCa({ subject: 'C=BE, O=chaman-operator demo, CN=Demo Issuing CA' });
  const issued = (cn: string, key: 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p384' = 'rsa2048') =>
    makeCertificate({ ca, key, freshKey: true, subject: `C=BE, O=APK Recycling, CN=${cn}`, ...(options.notAfter ? { notAfter: options.notAfter } : {}) });
  return [
    tlsSecret('wk23-ftp-cert', namespace, await issued('wk23ftp')),
    tlsSecret('wk23-sftp-cert', namespace, await issued('wk23sftp', 'rsa3072')),
    tlsSecret('wk23-soap-cert', namespace, await issued('wk23soap', 'p384')),
    tlsSecret('dimona-rest-cert', namespace, await issued('testrestwk', 'rsa4096')),
    tlsSecret('dimona-rest-cert-selfsigned', namespace, await makeCertificate({ freshKey: true, subject: 'C=BE, O=APK Recycling, CN=WK23TEST' })),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wk23-ftp-password', namespace }, stringData: { password: makeFtpPassword() } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wk23-sftp-ssh', namespace }, stringData: { 'ssh-publickey': makeSshKey('ed25519', 'wk23@apk.example').publicOpenSsh } },
  ];
}

export function toYaml(documents: Record<string, unknown>[]): string {
  return documents.map((d) => `---\n${stringify(d, { lineWidth: 0 })}`).join('');
}
