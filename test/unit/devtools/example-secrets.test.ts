import { describe, expect, it } from 'vitest';
import { checkCertificate, checkFtpPassword, checkSshPublicKey } from '../../../src/domain/index.ts';
import { defaultPolicy } from '../../../src/domain/types.ts';
import { makeFtpPassword } from '../../../src/devtools/certificates.ts';
import { exampleSecrets } from '../../../src/devtools/example-secrets.ts';

describe('the Secrets made for examples/ and the demo', () => {
  it('FTP passwords always follow R5', () => {
    for (let i = 0; i < 500; i++) expect(checkFtpPassword(makeFtpPassword(), 'p')).toEqual([]);
  });

  it('every certificate passes the rules for the account that uses it, and the SSH key R17', { timeout: 60_000 }, async () => {
    const secrets = (await exampleSecrets()) as { metadata: { name: string }; data?: Record<string, string>; stringData?: Record<string, string> }[];
    const byName = new Map(secrets.map((s) => [s.metadata.name, s]));
    const cert = (name: string) => new Uint8Array(Buffer.from(byName.get(name)!.data!['tls.crt']!, 'base64'));
    const policy = defaultPolicy();
    for (const [name, type] of [['wk23-ftp-cert', 'FTP'], ['wk23-sftp-cert', 'SFTP'], ['wk23-soap-cert', 'SOAP'], ['dimona-rest-cert', 'REST'], ['dimona-rest-cert-selfsigned', 'REST']] as const) {
      expect((await checkCertificate(cert(name), type, name, policy)).findings, name).toEqual([]);
    }
    expect(checkSshPublicKey(byName.get('wk23-sftp-ssh')!.stringData!['ssh-publickey']!, 'k').findings).toEqual([]);
    expect(checkFtpPassword(byName.get('wk23-ftp-password')!.stringData!.password!, 'p')).toEqual([]);
  });
});
