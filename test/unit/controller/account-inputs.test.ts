// readAccountInputs reads each certificate Secret's bytes once: the rules and the desired account
// share one parse (a hostile tls.crt used to be scanned twice per reconcile, three times before that).
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChannelAccount } from '../../../src/api/types.generated.ts';
import { readAccountInputs } from '../../../src/controller/channel-account/account-inputs.ts';
import type { KubeStore } from '../../../src/controller/ports.ts';
import { PERMISSION_CATALOG } from '../../../src/domain/index.ts';
import { x509Parses } from '../../support/x509-parses.ts';
import { makeCa, makeCertificate, type MadeCertificate } from '../../support/certs.ts';

vi.mock('@peculiar/x509', async (original) => (await import('../../support/x509-parses.ts')).countingX509(original));

const policy = { now: new Date(), sha1Cutoff: new Date(Date.now() + 86_400_000) };
let certs: MadeCertificate[];

beforeAll(async () => {
  const ca = await makeCa();
  certs = [await makeCertificate({ ca, key: 'p384' }), await makeCertificate({ ca, key: 'rsa2048' })];
});

function restAccount(): ChannelAccount {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChannelAccount',
    metadata: { name: 'rest', namespace: 'team' },
    spec: {
      senderRef: { name: 'apk' },
      type: 'REST',
      permissions: ['DimonaDeclaration'],
      certificates: certs.map((_, i) => ({ name: `c${i}`, secretRef: { name: `cert-${i}` } })),
    },
  } as ChannelAccount;
}

function storeWithSecrets(): KubeStore {
  return {
    async readSecret(_namespace: string, name: string) {
      const cert = certs[Number(name.slice('cert-'.length))]!;
      return { data: { 'tls.crt': new TextEncoder().encode(cert.pem) }, resourceVersion: '1' };
    },
  } as unknown as KubeStore;
}

describe('readAccountInputs', () => {
  it('parses each certificate once, and the desired account carries what that parse read', async () => {
    x509Parses.count = 0;
    const inputs = await readAccountInputs(restAccount(), storeWithSecrets(), PERMISSION_CATALOG, policy);
    expect(inputs.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(x509Parses.count).toBe(certs.length);
    expect(inputs.desired?.certificates.map((c) => c.der)).toEqual(certs.map((c) => new Uint8Array(c.der)));
  });
});
