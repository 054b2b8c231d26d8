// The project's .dockerignore, applied by a real build to a context that holds what a developer's
// tree holds (tests, .git, node_modules, generated example Secrets, keys and certificates next to
// the sources): only the files the Dockerfile needs reach the builder.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/go-build.ts';
import { podman, podmanOk } from '../../scripts/lib/podman.ts';

const ALLOWED = ['.npmrc', 'bin/chaman-operator.mjs', 'package-lock.json', 'package.json', 'src/cli.ts', 'src/domain/rules.ts', 'src/emulator/README.md', 'tsconfig.build.json', 'tsconfig.json'];
const LEFT_OUT = [
  'test/unit/a.test.ts',
  '.git/config',
  'node_modules/vitest/package.json',
  '.cache/image/files.txt',
  'examples/generated/secrets.yaml',
  'test/controlplane/bin/controlplane-0123456789abcdef',
  '.demo/chaman-token',
  'README.md',
  'src/devtools/tls.key',
  'src/devtools/server.pem',
  'src/domain/client.crt',
  'src/domain/store.p12',
  'src/domain/store.pfx',
];

const dirs: string[] = [];
const probe = `localhost/chaman-context-probe:${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  await podman(['rmi', '--force', probe]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function filesUnder(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? filesUnder(root, full) : [full.slice(root.length + 1)];
  });
}

it('lets into the build context only package.json, the lock, .npmrc, bin/ and src/, without keys or certificates', async () => {
  const context = mkdtempSync(join(tmpdir(), 'chaman-context-'));
  const probeDir = mkdtempSync(join(tmpdir(), 'chaman-probe-'));
  dirs.push(context, probeDir);
  copyFileSync(join(repoRoot, '.dockerignore'), join(context, '.dockerignore'));
  for (const path of [...ALLOWED, ...LEFT_OUT]) {
    mkdirSync(dirname(join(context, path)), { recursive: true });
    writeFileSync(join(context, path), `${path}\n`);
  }
  // A build that copies the whole context, so what arrives is what .dockerignore let through.
  writeFileSync(join(probeDir, 'Containerfile'), 'FROM scratch\nCOPY . /context/\n');
  await podmanOk(['build', '--network', 'none', '--pull=never', '--tag', probe, '--file', join(probeDir, 'Containerfile'), context]);
  const mounted = (await podmanOk(['image', 'mount', probe])).trim();
  try {
    expect(filesUnder(join(mounted, 'context')).sort()).toEqual([...ALLOWED].sort());
  } finally {
    await podman(['image', 'unmount', probe]);
  }
});
