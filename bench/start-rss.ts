// RSS of a process that has imported what `chaman-operator run` imports, before any object (issue 19
// item 3), and what each library would add alone over bare Node. Three fresh processes each.
//
//   node bench/start-rss.ts
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { operatorEntry } from './lib/operator-entry.ts';

const root = join(import.meta.dirname, '..');
const resolve = createRequire(join(root, 'package.json')).resolve;

/** RSS in MB after importing `modules` (file paths or package names) and two full GCs, in a fresh process. */
function rssAfter(modules: string[]): number {
  const urls = modules.map((m) => pathToFileURL(m.startsWith('.') ? join(root, m) : resolve(m)).href);
  const script = `for (const u of ${JSON.stringify(urls)}) await import(u);
    gc(); await new Promise((r) => setTimeout(r, 50)); gc();
    process.stdout.write(String(process.memoryUsage().rss));`;
  return Number(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' })) / 1048576;
}

operatorEntry(false); // builds dist/
const cases: [string, string[]][] = [
  ['Node.js itself', []],
  ['run (src/controller/cli.ts and all it imports)', ['reflect-metadata', './src/controller/cli.ts']],
  ['the same compiled, as the image runs it (dist/)', ['reflect-metadata', './dist/src/controller/cli.js']],
  ...['undici', 'prom-client', 'pino', 'yaml', 'sshpk', 'ajv'].map((p): [string, string[]] => [`${p} alone`, [p]]),
  ['@peculiar/x509 alone', ['reflect-metadata', '@peculiar/x509']],
];
for (const [label, modules] of cases) {
  const runs = [0, 1, 2].map(() => rssAfter(modules));
  console.log(`${label.padEnd(50)} ${runs.map((r) => r.toFixed(1)).join(', ')} MB`);
}
