// The emulator is the reference backend: under concurrent requests it must be at least as strict as
// Chaman (issue 9 item 7). Each mutating request runs its checks (Idempotency-Key, R2, R3) and its
// commit as one step per sender, so requests racing through the rule library's awaits cannot both
// pass, and one cannot overwrite what another committed meanwhile.
//
// The race needs a real asynchronous window between check and commit. The rule library verifies a
// certificate's own signature (WebCrypto, on libuv's thread pool) whenever its issuer name equals its
// subject name: self-signed REST certificates, and below a leaf issued by a CA of the same name
// (CA-issued, so FTP accepts it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateUpload, CreateAccountRequest } from '../../src/chaman/types.ts';
import { makeCa, makeCertificate } from '../support/certs.ts';
import type { MadeCertificate } from '../support/certs.ts';
import { CONTACT, freshSender, startContractEnv } from './env.ts';
import type { ContractEnv } from './env.ts';

const N = 6;
const SAME_NAME = 'O=SMALS, CN=Concurrency';
let env: ContractEnv;
let caIssued: MadeCertificate;
let selfSigned: MadeCertificate[];

beforeAll(async () => {
  env = await startContractEnv();
  const ca = await makeCa({ subject: SAME_NAME });
  caIssued = await makeCertificate({ ca, subject: SAME_NAME });
  selfSigned = await Promise.all(Array.from({ length: N + 1 }, (_, i) => makeCertificate({ subject: `O=Me, CN=self-${i}`, keyUsage: ['digitalSignature'] })));
  // Open N connections through the proxy first, so the racing requests arrive together rather than
  // one connection handshake apart.
  await Promise.all(Array.from({ length: N }, () => env.raw('GET', '/api/v1/permissions')));
}, 60_000);

afterAll(async () => {
  const violations = env.violations();
  await env.stop();
  expect(violations).toEqual([]);
});

async function senderWithContact(): Promise<string> {
  const sender = freshSender();
  expect((await env.raw('PUT', `/api/v1/senders/${sender}/contact`, { body: CONTACT })).status).toBe(200);
  return sender;
}

function upload(certificate: MadeCertificate, name: string): CertificateUpload {
  return { name, fileName: `${name}.cer`, content: Buffer.from(certificate.der).toString('base64') };
}

function ftp(username: string): CreateAccountRequest {
  return { type: 'FTP', name: `FTP ${username}`, permissions: ['SupplementaryPensionsPreload'], username, password: 'Wk23#4ab', certificates: [upload(caIssued, 'ftp')] };
}

const rest = (certificate: MadeCertificate): CreateAccountRequest => ({ type: 'REST', name: 'Raced', permissions: ['DimonaDeclaration'], certificates: [upload(certificate, 'first')] });

const accountsOf = async (sender: string): Promise<{ id: string; type: string; certificates: { name: string }[] }[]> =>
  (await env.raw('GET', `/api/v1/senders/${sender}/accounts`)).body;

describe('concurrent writes for one sender', () => {
  it(`${N} concurrent POSTs with one Idempotency-Key make one account, and every answer is that account`, async () => {
    const sender = await senderWithContact();
    const body = rest(selfSigned[0]!);
    const answers = await Promise.all(
      Array.from({ length: N }, () => env.raw('POST', `/api/v1/senders/${sender}/accounts`, { body, headers: { 'idempotency-key': `race-${sender}` } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(201));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect((await accountsOf(sender)).map((a) => a.id)).toEqual([...ids]);
  });

  it(`${N} concurrent creates of an FTP account with different keys: one succeeds, the rest 409 CHANNEL_ALREADY_EXISTS (R2)`, async () => {
    const sender = await senderWithContact();
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        env.raw('POST', `/api/v1/senders/${sender}/accounts`, { body: ftp(`WK${i}`), headers: { 'idempotency-key': `ftp-${sender}-${i}` } }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(N - 1).fill(409)]);
    expect(answers.filter((a) => a.status === 409).map((a) => a.body.code)).toEqual(Array(N - 1).fill('CHANNEL_ALREADY_EXISTS'));
    expect((await accountsOf(sender)).filter((a) => a.type === 'FTP')).toHaveLength(1);
  });

  it(`${N} concurrent certificate adds to one REST account: none is lost`, async () => {
    const sender = await senderWithContact();
    const created = await env.raw('POST', `/api/v1/senders/${sender}/accounts`, { body: rest(selfSigned[0]!) });
    expect(created.status).toBe(201);
    const path = `/api/v1/senders/${sender}/accounts/${created.body.id}/certificates`;
    const answers = await Promise.all(selfSigned.slice(1).map((c, i) => env.raw('POST', path, { body: upload(c, `added-${i}`) })));
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(201));
    const [account] = await accountsOf(sender);
    expect(account!.certificates.map((c) => c.name).sort()).toEqual(['first', ...Array.from({ length: N }, (_, i) => `added-${i}`)].sort());
  });
});
