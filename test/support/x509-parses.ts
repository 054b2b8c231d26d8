// Counts the certificates @peculiar/x509 parses, for tests that pin "parsed once". In the test file:
//   vi.mock('@peculiar/x509', async (original) => (await import('../../support/x509-parses.ts')).countingX509(original));
// then read (and reset) x509Parses.count.
import type * as x509 from '@peculiar/x509';

export const x509Parses = { count: 0 };

export async function countingX509(importOriginal: <T>() => Promise<T>): Promise<typeof x509> {
  const original = await importOriginal<typeof x509>();
  class CountedCertificate extends original.X509Certificate {
    constructor(...args: ConstructorParameters<typeof original.X509Certificate>) {
      x509Parses.count++;
      super(...args);
    }
  }
  return { ...original, X509Certificate: CountedCertificate };
}
