// node scripts/gotool.ts NAME [NAME...]
//
// Builds each Go tool of test/tools/NAME if needed (cached by the hash of its sources) and prints
// the absolute path of its binary, one per line, in the order given. Progress goes to stderr.
import { ensureGoTool } from './lib/gotool.ts';

const names = process.argv.slice(2);
if (names.length === 0 || names.some((n) => n.startsWith('-'))) {
  console.error('usage: node scripts/gotool.ts NAME [NAME...]   (a tool is a Go module at test/tools/NAME)');
  process.exit(2);
}
const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());
try {
  for (const name of names) console.log(await ensureGoTool(name, { signal: abort.signal }));
} catch (error) {
  console.error(`gotool: ${(error as Error).message}`);
  process.exit(1);
}
