// Which file the benchmarks run as `chaman-operator`: by default src/ compiled as the image ships it
// (tsc -p tsconfig.build.json into dist/; a few seconds), so memory is measured as deployed: Node's
// own type stripping would add about 27 MB of RSS that the image does not carry. `fromSource` runs
// src/cli.ts itself, as a developer's checkout does.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export function operatorEntry(fromSource: boolean): string {
  if (fromSource) return join(root, 'src', 'cli.ts');
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  // dist/src/ mirrors src/ (rootDir is the repository, so the modules src/ imports from scripts/ land in
  // dist/scripts/, not beside their sources); from there the compiled code finds node_modules and
  // package.json ("type": "module") as src/ does.
  return join(root, 'dist', 'src', 'cli.js');
}
