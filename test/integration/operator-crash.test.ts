// The operator killed (SIGKILL) after Chaman created an account but before the operator recorded
// it: after a restart there is still exactly one account, and the operator has found it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeCa, makeCertificate } from '../../src/devtools/certificates.ts';
import { createNamespace, deleteNamespace, kubeconfigPath, waitFor } from './support/cluster.ts';
import { account, sender, startHarness, tlsSecret, type Harness } from './support/operator.ts';

const root = join(import.meta.dirname, '..', '..');
let h: Harness;
let dir: string;
const output: string[] = [];

function startOperatorProcess(): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      join(root, 'src', 'cli.ts'), 'run',
      '--kubeconfig', kubeconfigPath(),
      '--namespace', h.namespace,
      '--chaman-url', h.emulator.url,
      '--chaman-token-file', join(dir, 'token'),
      '--metrics-addr', '127.0.0.1:0',
      '--health-addr', '127.0.0.1:0',
      '--log-level', 'debug',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  return child;
}

beforeEach(async () => {
  h = await startHarness(await createNamespace('crash'));
  dir = mkdtempSync(join(tmpdir(), 'crash-'));
  writeFileSync(join(dir, 'token'), h.token, { mode: 0o600 });
});

afterEach(async () => {
  await h.stop();
  await deleteNamespace(h.namespace);
  rmSync(dir, { recursive: true, force: true });
});

it('no duplicate account after a kill -9 between "Chaman created it" and "we recorded it"', async () => {
  let operator = startOperatorProcess();
  try {
    await h.apply(sender('apk', '300010'));
    await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True', undefined, 30_000);
    const cert = await makeCertificate({ ca: await makeCa(), freshKey: true });
    await h.apply(tlsSecret('rest-cert', cert.pem, cert.privateKeyPem));

    // From now on Chaman commits each request, then waits 5 s before answering.
    h.emulator.setFaults({ responseDelayMs: 5000 });
    await h.apply(account('rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'rest-cert' } }] }));
    await waitFor('Chaman holds the account', () => (h.emulator.state() as { accounts: unknown[] }).accounts.length === 1, 30_000, 20);
    operator.kill('SIGKILL');
    await new Promise((resolve) => operator.once('exit', resolve));

    const orphaned = await h.get('ChannelAccount', 'rest');
    expect(orphaned?.metadata.annotations?.['chaman.io/create-pending']).toBeDefined();
    expect(orphaned?.metadata.annotations?.['chaman.io/external-name']).toBeUndefined();

    h.emulator.setFaults({ responseDelayMs: 0 });
    operator = startOperatorProcess();
    const ready = await h.waitForCondition('ChannelAccount', 'rest', 'Ready', 'True', undefined, 60_000);
    const accounts = await h.chaman.listAccounts('300010');
    expect(accounts).toHaveLength(1);
    expect(ready.metadata.annotations?.['chaman.io/external-name']).toBe(accounts[0]!.id);
    expect(ready.metadata.annotations?.['chaman.io/create-pending']).toBeUndefined();
    expect(ready.metadata.annotations?.['chaman.io/create-succeeded']).toBeDefined();
    // The killed create never got its answer logged; the restarted operator looked, found, and did not create.
    expect(h.emulator.requests().byOperation.createAccount ?? 0).toBe(0);
  } finally {
    operator.kill('SIGTERM');
    await new Promise((resolve) => (operator.exitCode !== null ? resolve(null) : operator.once('exit', resolve)));
  }
  const logs = output.join('');
  expect(logs).not.toContain(h.token);
  expect(logs).toContain('"level":"info"');
}, 180_000);
