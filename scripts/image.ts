// npm run image [-- --tag NAME:TAG] [--base-only]
//
// Builds the operator's image with the project's Dockerfile, here where no Docker engine and no
// container registry exist: podman with runc (installed with apt-get when missing, as root), and
// as NODE_IMAGE a local base made from the npm registry's Node.js and Debian's libc
// (scripts/lib/node-base.ts, cached by its inputs' hash). With Docker, `docker build .` needs none
// of this (docs/install.md, "Building the image").
//
// Prints progress and figures on stderr, the image reference on stdout.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration, repoRoot } from './lib/go-build.ts';
import { CA_BUNDLE, ensureNodeBase } from './lib/node-base.ts';
import { ensureContainerTools, podman, podmanOk, ULIMIT_ARGS } from './lib/podman.ts';

export const DEFAULT_TAG = 'localhost/chaman-operator:dev';

const log = (line: string) => console.error(line);

/**
 * The machine's own CA bundle, mounted over the base's for the build's RUN steps only: npm in the
 * build then trusts what npm on the machine trusts (a proxy's CA), and the image keeps Debian's.
 */
function hostCaBundle(): string | undefined {
  return [process.env.NODE_EXTRA_CA_CERTS, CA_BUNDLE].find((path) => path && existsSync(path));
}

async function imageId(tag: string): Promise<string | undefined> {
  const result = await podman(['image', 'inspect', '--format', '{{.Id}}', tag]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** Builds the Dockerfile on the base and returns the image's size in bytes; `quiet` keeps podman's steps out of the log. */
export async function buildImage(base: string, tag: string, options: { quiet?: boolean } = {}): Promise<number> {
  const previous = await imageId(tag);
  const ca = hostCaBundle();
  const started = Date.now();
  await podmanOk(
    [
      'build', '--network', 'host', '--pull=never', ...ULIMIT_ARGS,
      '--build-arg', `NODE_IMAGE=${base}`,
      ...(ca ? ['--volume', `${ca}:${CA_BUNDLE}:ro`] : []),
      '--tag', tag, '--file', 'Dockerfile', '.',
    ],
    { cwd: repoRoot, ...(options.quiet ? {} : { log: (line: string) => log(`  ${line}`) }) },
  );
  const current = await imageId(tag);
  // The image this tag named before is now untagged: drop it (fails quietly while a container uses it).
  if (previous && previous !== current) await podman(['rmi', previous]);
  const size = Number((await podmanOk(['image', 'inspect', '--format', '{{.Size}}', tag])).trim());
  log(`image: ${tag} built in ${formatDuration(Date.now() - started)}, ${(size / 1e6).toFixed(1)} MB`);
  return size;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { tag: { type: 'string', default: DEFAULT_TAG }, 'base-only': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('usage: node scripts/image.ts [--tag NAME:TAG] [--base-only]   (default tag ' + DEFAULT_TAG + ')');
    return 0;
  }
  await ensureContainerTools(log);
  const started = Date.now();
  const base = await ensureNodeBase(log);
  const baseSeconds = (Date.now() - started) / 1000;
  const baseSize = Number((await podmanOk(['image', 'inspect', '--format', '{{.Size}}', base])).trim());
  log(`image: base ${base} ready in ${formatDuration(Date.now() - started)}, ${(baseSize / 1e6).toFixed(1)} MB`);
  if (values['base-only']) {
    console.log(base);
    return 0;
  }
  const imageStarted = Date.now();
  const imageSize = await buildImage(base, values.tag!);
  // The figures of this build, for .ci/run's closing note.
  const figures = { base, baseSeconds, baseSize, tag: values.tag, imageSeconds: (Date.now() - imageStarted) / 1000, imageSize };
  mkdirSync(join(repoRoot, '.cache', 'image'), { recursive: true });
  writeFileSync(join(repoRoot, '.cache', 'image', 'build.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(values.tag);
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await main();
  } catch (error) {
    console.error(`image: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
