import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../../src/emulator/store.ts';
import type { StoredAccount } from '../../../src/emulator/store.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'chaman-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function account(id: string): StoredAccount {
  return { senderNumber: '300010', id, type: 'REST', name: id, permissions: ['DimonaDeclaration'], certificates: [], createdAt: 'x', updatedAt: 'x' };
}

describe('Store', () => {
  it('keeps committed writes across a reopen (journal replay, then compaction)', () => {
    const dir = tempDir();
    const store = Store.open(dir);
    store.commit([{ op: 'putSender', sender: { senderNumber: '300010', organization: null, contact: null } }]);
    store.commit([{ op: 'putAccount', account: account('acc-1') }, { op: 'putIdempotency', key: 'k', record: { fingerprint: 'f', accountId: 'acc-1', createdAt: new Date().toISOString() } }]);
    store.commit([{ op: 'putAccount', account: account('acc-2') }]);
    store.commit([{ op: 'deleteAccount', id: 'acc-2' }]);
    // no close(): as after kill -9
    const reopened = Store.open(dir);
    expect(Object.keys(reopened.state.accounts)).toEqual(['acc-1']);
    expect(reopened.state.idempotency.k?.accountId).toBe('acc-1');
    expect(reopened.state.senders['300010']).toBeDefined();
    // compaction emptied the journal and wrote everything into the snapshot
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe('');
    expect(JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')).accounts['acc-1'].id).toBe('acc-1');
    reopened.close();
  });

  it('drops a torn last line (a write that was never acknowledged)', () => {
    const dir = tempDir();
    const store = Store.open(dir);
    store.commit([{ op: 'putAccount', account: account('acc-1') }]);
    appendFileSync(join(dir, 'journal.jsonl'), '{"mutations":[{"op":"putAcc');
    const reopened = Store.open(dir);
    expect(Object.keys(reopened.state.accounts)).toEqual(['acc-1']);
    reopened.close();
  });

  it('refuses a corrupt line that is not the last one', () => {
    const dir = tempDir();
    const store = Store.open(dir);
    appendFileSync(join(dir, 'journal.jsonl'), 'garbage\n');
    store.commit([{ op: 'putAccount', account: account('acc-1') }]);
    expect(() => Store.open(dir)).toThrow(/line 1/);
  });

  it('works in memory without a data directory', () => {
    const store = Store.open();
    store.commit([{ op: 'putAccount', account: account('acc-1') }]);
    expect(store.state.accounts['acc-1']).toBeDefined();
  });
});
