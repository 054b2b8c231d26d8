// The "Done when" checks of issue 4, as raw HTTP calls (what curl does), answers validated against
// the OpenAPI document like every other contract test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeCertificate } from '../support/certs.ts';
import { CONTACT, freshSender, startContractEnv } from './env.ts';
import type { ContractEnv } from './env.ts';

let env: ContractEnv;
let good: string;
let sha1: string;

beforeAll(async () => {
  env = await startContractEnv();
  const ca = await makeCa();
  good = Buffer.from((await makeCertificate({ ca })).der).toString('base64');
  sha1 = Buffer.from((await makeCertificate({ ca, hash: 'SHA-1' })).der).toString('base64');
}, 30_000);

afterAll(async () => {
  const violations = env.violations();
  await env.stop();
  expect(violations).toEqual([]);
});

const post = (sender: string, body: unknown, key?: string) =>
  env.raw('POST', `/api/v1/senders/${sender}/accounts`, { body, ...(key ? { headers: { 'idempotency-key': key } } : {}) });
const ftpBody = (password = 'Wk23#4ab', content = () => good) => ({
  type: 'FTP',
  name: 'FTP account',
  permissions: ['SupplementaryPensionsPreload'],
  username: 'WK23',
  password,
  certificates: [{ name: 'ftpcert', fileName: 'ftp.cer', content: content() }],
});

describe('issue 4: done when', () => {
  it('GET /api/v1/permissions?channelType=REST lists the 8 REST permissions', async () => {
    const answer = await env.raw('GET', '/api/v1/permissions?channelType=REST');
    expect(answer.status).toBe(200);
    expect(answer.body).toHaveLength(8);
    expect(answer.body.every((p: { channelTypes: string[] }) => p.channelTypes.includes('REST'))).toBe(true);
  });

  it('an account before contact data: 409 CONTACT_REQUIRED', async () => {
    const answer = await post(freshSender(), ftpBody());
    expect([answer.status, answer.body.code]).toEqual([409, 'CONTACT_REQUIRED']);
    expect(answer.headers['content-type']).toBe('application/problem+json');
  });

  it('a second FTP account: 409 CHANNEL_ALREADY_EXISTS', async () => {
    const sender = freshSender();
    expect((await env.raw('PUT', `/api/v1/senders/${sender}/contact`, { body: CONTACT })).status).toBe(200);
    expect((await post(sender, ftpBody())).status).toBe(201);
    const answer = await post(sender, ftpBody());
    expect([answer.status, answer.body.code]).toEqual([409, 'CHANNEL_ALREADY_EXISTS']);
  });

  it('removing the last certificate of a REST account: 409 LAST_CERTIFICATE', async () => {
    const sender = freshSender();
    await env.raw('PUT', `/api/v1/senders/${sender}/contact`, { body: CONTACT });
    const created = await post(sender, { type: 'REST', name: 'rest', permissions: ['DimonaDeclaration'], certificates: [{ name: 'c', fileName: 'c.cer', content: good }] }, 'issue-rest');
    expect(created.status).toBe(201);
    const answer = await env.raw('DELETE', `/api/v1/senders/${sender}/accounts/${created.body.id}/certificates/${created.body.certificates[0].id}`);
    expect([answer.status, answer.body.code]).toEqual([409, 'LAST_CERTIFICATE']);
  });

  it('an FTP password that breaks R5: 422 with R5 in errors', async () => {
    const sender = freshSender();
    await env.raw('PUT', `/api/v1/senders/${sender}/contact`, { body: CONTACT });
    const answer = await post(sender, ftpBody('password'));
    expect([answer.status, answer.body.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(answer.body.errors).toContainEqual(expect.objectContaining({ field: 'password', rule: 'R5' }));
  });

  it('a SHA-1 certificate: 422 with R7', async () => {
    const sender = freshSender();
    await env.raw('PUT', `/api/v1/senders/${sender}/contact`, { body: CONTACT });
    const answer = await post(sender, ftpBody(undefined, () => sha1));
    expect([answer.status, answer.body.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(answer.body.errors.map((e: { rule: string }) => e.rule)).toContain('R7');
  });
});
