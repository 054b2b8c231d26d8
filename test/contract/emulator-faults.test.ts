// Fault injection over HTTP, as the chaos benchmark drives it: PUT /admin/faults, then API requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateAccountRequest } from '../../src/chaman/types.ts';
import { CONTACT, freshSender, startContractEnv } from './env.ts';
import type { ContractEnv } from './env.ts';

let env: ContractEnv;
beforeAll(async () => {
  env = await startContractEnv();
});
afterAll(async () => {
  const violations = env.violations();
  await env.stop();
  expect(violations).toEqual([]);
});

const TI_ACCOUNT: CreateAccountRequest = { type: 'REST', name: 'Dropped answer', permissions: ['DimonaDeclaration'], management: 'TechnicalIntermediary', certificates: [] };

describe('dropAfterCommitRate', () => {
  it('commits the write, then destroys the connection without an answer', async () => {
    const sender = freshSender();
    expect((await env.raw('PUT', `/api/v1/senders/${sender}/contact`, { body: CONTACT })).status).toBe(200);
    const set = await env.raw('PUT', '/admin/faults', { body: { dropAfterCommitRate: 1 } });
    expect(set).toMatchObject({ status: 200, body: { dropAfterCommitRate: 1, errorRate: 0 } });
    const since = env.emulator.requests().recent.at(-1)?.seq ?? 0;
    try {
      await expect(env.raw('POST', `/api/v1/senders/${sender}/accounts`, { body: TI_ACCOUNT, headers: { 'idempotency-key': `drop-${sender}` } })).rejects.toThrow();
    } finally {
      expect((await env.raw('PUT', '/admin/faults', { body: {} })).body.dropAfterCommitRate).toBe(0);
    }
    // The write happened although no answer came: Chaman holds the account.
    const listed = await env.raw('GET', `/api/v1/senders/${sender}/accounts`);
    expect(listed.body.map((a: { name: string }) => a.name)).toEqual(['Dropped answer']);
    expect(env.emulator.requests(since).recent.filter((r) => r.operation === 'createAccount')).toEqual([
      expect.objectContaining({ status: 0, fault: 'dropAfterCommit' }),
    ]);
  });

  it('answers a request that failed (nothing committed) as usual', async () => {
    const sender = freshSender();
    env.emulator.setFaults({ dropAfterCommitRate: 1 });
    try {
      const answer = await env.raw('POST', `/api/v1/senders/${sender}/accounts`, { body: TI_ACCOUNT });
      expect(answer).toMatchObject({ status: 409, body: { code: 'CONTACT_REQUIRED' } });
    } finally {
      env.emulator.setFaults({ dropAfterCommitRate: 0 });
    }
  });
});
