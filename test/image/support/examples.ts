// examples/ applied into a namespace of the test's own (the shared control plane may run other
// tests' operators), with their Secrets generated now, and a check that all of them are Ready.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../scripts/lib/go-build.ts';
import { apply, readManifests } from '../../../src/devtools/apply.ts';
import { exampleSecrets } from '../../../src/devtools/example-secrets.ts';
import type { KubeClient, KubeObject } from '../../../src/kube/client.ts';
import { kubectl } from '../../integration/support/cluster.ts';

/** The name the examples' cluster-scoped grant gets for namespace `ns`. */
export const grantName = (ns: string) => `image-${ns}`;

/** examples/*.yaml with namespace payroll replaced by `ns` (the grant too), and their Secrets. */
export async function examplesIn(ns: string): Promise<KubeObject[]> {
  const files = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.yaml')).sort();
  const objects = readManifests(...files.map((f) => join(repoRoot, 'examples', f))).filter((o) => o.kind !== 'Namespace');
  for (const o of objects) {
    if (o.metadata.namespace) o.metadata.namespace = ns;
    if (o.kind === 'ChamanSenderGrant') {
      o.metadata.name = grantName(ns);
      (o as unknown as { spec: { namespaces: string[] } }).spec.namespaces = [ns];
    }
  }
  return [...((await exampleSecrets({ namespace: ns })) as unknown as KubeObject[]), ...objects];
}

export async function applyAll(kube: KubeClient, objects: KubeObject[]): Promise<void> {
  for (const o of objects) await apply(kube, o, 'image-tests');
}

interface Conditioned {
  kind: string;
  metadata: { name: string; generation?: number };
  status?: { conditions?: { type: string; status: string; reason?: string; observedGeneration?: number }[] };
}

/** The senders and accounts of `ns` that are not Ready (for this generation), as KIND/NAME (REASON). */
export async function notReady(ns: string): Promise<string[]> {
  const { stdout } = await kubectl(['get', 'chamansenders,channelaccounts', '-n', ns, '-o', 'json']);
  const items = (JSON.parse(stdout) as { items: Conditioned[] }).items;
  if (items.length === 0) return ['(none applied yet)'];
  return items
    .map((o) => ({ o, ready: o.status?.conditions?.find((c) => c.type === 'Ready') }))
    .filter(({ o, ready }) => !(ready?.status === 'True' && ready.observedGeneration === o.metadata.generation))
    .map(({ o, ready }) => `${o.kind}/${o.metadata.name} (${ready?.reason ?? 'no Ready condition'})`);
}

/** A CA and a serving certificate for 127.0.0.1 made by openssl, as test/e2e/kind.sh makes the emulator's. */
export function servingCertificate(dir: string): { ca: string; cert: string; key: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=chaman-image-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', 'ca.key', '-out', 'ca.crt');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/CN=127.0.0.1', '-keyout', 'tls.key', '-out', 'tls.csr',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'extendedKeyUsage=serverAuth');
  openssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-copy_extensions', 'copy', '-out', 'tls.crt');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}
