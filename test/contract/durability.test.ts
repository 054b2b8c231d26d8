// An acknowledged write survives kill -9: the emulator runs as a real child process
// (`node src/cli.ts emulator ...`), is killed with SIGKILL right after its answers, and restarted
// on the same data dir.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChamanHttpClient } from '../../src/chaman/http-client.ts';
import type { CreateAccountRequest } from '../../src/chaman/types.ts';
import { CONTACT } from './env.ts';

const root = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'chaman-durability-'));
const token = `durable-${randomUUID()}`;
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  logs: string[];
}

/** Starts `chaman-operator emulator` on a free port and waits for its "listening" log line. */
function startChild(): Promise<Started> {
  const child = spawn(process.execPath, [join(root, 'src', 'cli.ts'), 'emulator', '--port', '0', '--data-dir', dataDir, '--token', `${token}:*`, '--log-level', 'info'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start:\n${logs.join('')}`)), 15_000);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'Chaman emulator listening' && entry.url) {
            clearTimeout(timer);
            resolve({ child, url: entry.url, logs });
          }
        } catch {
          // not a log line
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (${code ?? signal}):\n${logs.join('\n')}`));
    });
  });
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const ACCOUNT: CreateAccountRequest = {
  type: 'REST',
  name: 'Durable',
  permissions: ['DimonaDeclaration'],
  management: 'TechnicalIntermediary',
  certificates: [],
};

describe('durability', () => {
  it('every acknowledged write survives kill -9 and a restart on the same data dir', async () => {
    const first = await startChild();
    let client = new ChamanHttpClient({ baseUrl: first.url, auth: { kind: 'token', token }, retry: false });
    await client.putContact('300010', CONTACT);
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.createAccount('300010', { ...ACCOUNT, name: `Durable ${i}` }, `durable-key-${i}`)),
    );
    await client.close();
    await killHard(first.child); // right after the last answer: no graceful shutdown

    const second = await startChild();
    client = new ChamanHttpClient({ baseUrl: second.url, auth: { kind: 'token', token }, retry: false });
    const accounts = await client.listAccounts('300010');
    expect(accounts.map((a) => a.id).sort()).toEqual(created.map((a) => a.id).sort());
    expect((await client.getSender('300010')).contact).toEqual(CONTACT);
    // the Idempotency-Keys survived too: a replay creates nothing
    const replay = await client.createAccount('300010', { ...ACCOUNT, name: 'Durable 3' }, 'durable-key-3');
    expect(replay.id).toBe(created[3]!.id);
    expect(await client.listAccounts('300010')).toHaveLength(20);
    // the token never reached the logs
    expect(second.logs.join('\n')).not.toContain(token);
    expect(first.logs.join('\n')).not.toContain(token);
    await client.close();
    await killHard(second.child);
  });
});
