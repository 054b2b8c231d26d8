// npm run controlplane -- --dir DIR
//
// Builds the local control plane if needed (minutes the first time, with progress), starts it, prints
// its ready line, and stays in the foreground. SIGINT or SIGTERM stops it cleanly: nothing it started
// is left running. Without --dir, a temporary directory is used and removed at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureControlPlaneBinary, startControlPlane, type ControlPlane } from './lib/controlplane.ts';

const usage = `usage: npm run controlplane -- [--dir DIR] [--build-only]
  --dir DIR       where DIR/kubeconfig, DIR/kubectl and DIR/controlplane.log go (default: a temporary directory)
  --build-only    build the binary if needed, print its path, and exit`;

let args;
try {
  args = parseArgs({
    options: { dir: { type: 'string' }, 'build-only': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}

const abort = new AbortController();
let controlPlane: ControlPlane | undefined;
let stopping = false;
const tempDir = args.dir ? undefined : mkdtempSync(join(tmpdir(), 'chaman-controlplane-'));
const dir = args.dir ? resolve(args.dir) : tempDir!;

let shuttingDown: Promise<never> | undefined;
/** Stops everything once; later calls (a second signal, the parent watch) wait for the same stop. */
function shutdown(reason: string, code: number): Promise<never> {
  shuttingDown ??= (async () => {
    stopping = true;
    console.log(`controlplane: ${reason}, stopping`);
    abort.abort();
    await controlPlane?.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    process.exit(code);
  })();
  return shuttingDown;
}

process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
// If whoever started us dies without signalling us (a shell killed with -9, say), stop as well.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown('parent process exited', 1);
}, 1000).unref();

try {
  const binary = await ensureControlPlaneBinary({ log: (line) => console.log(line), signal: abort.signal });
  if (args['build-only']) {
    console.log(binary);
    process.exit(0);
  }
  controlPlane = await startControlPlane({ dir, binary, log: (line) => console.log(line), signal: abort.signal });
  console.log(`controlplane: try ${controlPlane.kubectlPath} get --raw /readyz   (or export KUBECONFIG=${controlPlane.kubeconfigPath}); Ctrl-C stops it`);
  const code = await controlPlane.exited;
  if (!stopping) await shutdown(`control plane exited unexpectedly (${code}), see ${join(dir, 'controlplane.log')}`, 1);
} catch (error) {
  if (!stopping) {
    console.error(`controlplane: ${(error as Error).message}`);
    await shutdown('failed', 1);
  }
}
