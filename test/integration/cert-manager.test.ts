// The headline flow with the real cert-manager: its controllers (built from its Go module as
// test/tools/cert-manager, see main.go there) issue a REST client certificate from a CA Issuer into
// a Secret on the real control plane; the operator uploads it to Chaman; a renewal is forced the way
// `cmctl renew` does it (the Certificate's Issuing condition set to True); cert-manager writes a new
// key pair and certificate into the Secret, and the operator rotates it in Chaman, add before
// remove, so Chaman never holds zero valid certificates.
//
// cert-manager's CRDs come from the same module version (deploy/crds/ in the module cache), applied
// at test time: nothing of cert-manager is copied into this repository. No webhook runs, so the
// objects below are written complete (what the webhook would default, they state).
import { execFile as execFileCallback, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGoTool, goToolSpec } from '../../scripts/lib/gotool.ts';
import { makeCa } from '../../src/devtools/certificates.ts';
import { kubeconfigPath, kubectl, waitFor } from './support/cluster.ts';
import { account, harnessWithSender, stopHarness, tlsSecret, type Harness } from './support/operator.ts';

const execFile = promisify(execFileCallback);
const CERT_MANAGER_MODULE = 'github.com/cert-manager/cert-manager';

/** deploy/crds/*.yaml of the cert-manager module version test/tools/cert-manager pins (from Go's module cache). */
async function certManagerCrds(): Promise<string> {
  const { moduleDir } = goToolSpec('cert-manager');
  const { stdout } = await execFile('go', ['mod', 'download', '-json', CERT_MANAGER_MODULE], { cwd: moduleDir, env: { ...process.env, GOFLAGS: '-mod=mod' } });
  const { Dir: dir, Version: version, Error: error } = JSON.parse(stdout) as { Dir?: string; Version?: string; Error?: string };
  if (!dir) throw new Error(`go mod download ${CERT_MANAGER_MODULE}: ${error ?? 'no Dir'}`);
  const crds = join(dir, 'deploy', 'crds');
  const files = readdirSync(crds).filter((f) => f.endsWith('.yaml')).sort();
  if (files.length === 0) throw new Error(`${CERT_MANAGER_MODULE}@${version}: no CRDs in deploy/crds`);
  return files.map((f) => readFileSync(join(crds, f), 'utf8')).join('\n---\n');
}

interface RestCertificateState {
  serials: string[];
  valid: number;
}

/** The REST account's certificates as the emulator holds them right now (its state, no HTTP). */
function restCertificates(h: Harness): RestCertificateState {
  const state = h.emulator.state() as { accounts: { type: string; certificates: { serialNumber: string; notBefore: string; notAfter: string }[] }[] };
  const now = Date.now();
  const certificates = state.accounts.filter((a) => a.type === 'REST').flatMap((a) => a.certificates);
  return {
    serials: certificates.map((c) => c.serialNumber),
    valid: certificates.filter((c) => Date.parse(c.notBefore) <= now && now < Date.parse(c.notAfter)).length,
  };
}

/** The leaf certificate cert-manager wrote into the Secret (tls.crt), or undefined before it did. */
async function issued(h: Harness, name: string): Promise<X509Certificate | undefined> {
  const { stdout, code } = await kubectl(['-n', h.namespace, 'get', 'secret', name, '-o', 'jsonpath={.data.tls\\.crt}'], { allowFailure: true });
  if (code !== 0 || !stdout) return undefined;
  return new X509Certificate(Buffer.from(stdout, 'base64'));
}

const decimalSerial = (c: X509Certificate) => BigInt(`0x${c.serialNumber}`).toString();

/** cert-manager's kinds are not the harness's: kubectl applies them (server-side) in the test namespace. */
const applyCertManager = (h: Harness, object: Record<string, unknown>) =>
  kubectl(['-n', h.namespace, 'apply', '--server-side', '--field-manager=chaman-cert-manager-test', '-f', '-'], { input: JSON.stringify(object) });

let h: Harness;
let controller: ChildProcess;
let controllerExit: Promise<number | null>;
const controllerOutput: string[] = [];

beforeAll(async () => {
  const binary = await ensureGoTool('cert-manager');
  await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=chaman-cert-manager-test', '-f', '-'], { input: await certManagerCrds() });
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/certificates.cert-manager.io', 'crd/certificaterequests.cert-manager.io', 'crd/issuers.cert-manager.io']);

  h = await harnessWithSender('cert-manager');
  // cert-manager's controllers, for this namespace only, with no leader election and no webhook.
  controller = spawn(binary, ['--kubeconfig', kubeconfigPath(), '--namespace', h.namespace], { stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk: Buffer) => controllerOutput.push(...chunk.toString().split('\n').filter(Boolean));
  controller.stdout!.on('data', collect);
  controller.stderr!.on('data', collect);
  controllerExit = new Promise((resolve) => controller.once('exit', (code) => resolve(code)));
}, 20 * 60_000);

afterAll(async () => {
  if (controller && controller.exitCode === null) {
    controller.kill('SIGTERM');
    await Promise.race([controllerExit, new Promise((r) => setTimeout(r, 10_000))]);
    if (controller.exitCode === null) controller.kill('SIGKILL');
  }
  if (h) await stopHarness(h);
});

const diagnostics = () => `--- cert-manager output (last 40 lines) ---\n${controllerOutput.slice(-40).join('\n')}`;

describe('cert-manager issues, the operator uploads and rotates', () => {
  it('a CA Issuer issues the REST certificate; the operator uploads it; a forced renewal is rotated add-before-remove, never zero valid', async () => {
    // A CA and its Issuer (cert-manager's CA issuer signs with the key in the Secret).
    const ca = await makeCa({ key: 'rsa3072' });
    await h.apply(tlsSecret('test-ca', ca.pem, ca.privateKeyPem));
    await applyCertManager(h, { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'test-ca' }, spec: { ca: { secretName: 'test-ca' } } });

    // The REST client certificate: RSA 3072 (R6), digital signature + client auth, 90 days (R10).
    await applyCertManager(h, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'dimona-rest' },
      spec: {
        secretName: 'dimona-rest-cert',
        commonName: 'dimona-rest.apk.example',
        subject: { organizations: ['APK Recycling'], countries: ['BE'] },
        duration: '2160h',
        renewBefore: '720h',
        privateKey: { algorithm: 'RSA', size: 3072, rotationPolicy: 'Always' },
        usages: ['digital signature', 'client auth'],
        issuerRef: { name: 'test-ca', kind: 'Issuer', group: 'cert-manager.io' },
      },
    });
    const first = await waitFor('cert-manager to issue into dimona-rest-cert', () => issued(h, 'dimona-rest-cert'), 90_000, 500).catch((error: Error) => {
      throw new Error(`${error.message}\n${diagnostics()}`);
    });
    expect(first.issuer).toContain('CN=Test Issuing CA');
    expect(first.subject).toContain('CN=dimona-rest.apk.example');
    expect(first.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);

    await h.apply(account('dimona-rest', { type: 'REST', permissions: ['DimonaDeclaration'], certificates: [{ name: 'main', secretRef: { name: 'dimona-rest-cert' } }] }));
    const ready = await h.waitForCondition('ChannelAccount', 'dimona-rest', 'Ready', 'True', undefined, 60_000);
    expect(ready.status?.certificates?.map((c) => c.serialNumber)).toEqual([decimalSerial(first)]);
    expect(restCertificates(h)).toEqual({ serials: [decimalSerial(first)], valid: 1 });

    // Sample what Chaman holds while cert-manager renews and the operator rotates.
    const samples: RestCertificateState[] = [];
    const sampler = setInterval(() => samples.push(restCertificates(h)), 1);
    const since = h.emulator.requests().recent.at(-1)?.seq ?? 0;
    try {
      // `cmctl renew`: an Issuing=True condition (reason ManuallyTriggered) on the Certificate's status.
      const certificate = JSON.parse((await kubectl(['-n', h.namespace, 'get', 'certificate', 'dimona-rest', '-o', 'json'])).stdout) as { metadata: { generation: number } };
      const issuing = { type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message: 'Certificate re-issuance manually triggered', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), observedGeneration: certificate.metadata.generation };
      await kubectl(['-n', h.namespace, 'patch', 'certificate', 'dimona-rest', '--subresource=status', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/status/conditions/-', value: issuing }])]);

      const second = await waitFor('cert-manager to renew into dimona-rest-cert', async () => {
        const now = await issued(h, 'dimona-rest-cert');
        return now && now.serialNumber !== first.serialNumber ? now : undefined;
      }, 90_000, 200).catch((error: Error) => {
        throw new Error(`${error.message}\n${diagnostics()}`);
      });
      expect(second.publicKey.export({ type: 'spki', format: 'der' }).equals(first.publicKey.export({ type: 'spki', format: 'der' }))).toBe(false); // rotationPolicy: Always

      await waitFor('the renewed certificate alone in Chaman', () => {
        const now = restCertificates(h);
        return now.serials.length === 1 && now.serials[0] === decimalSerial(second);
      }, 60_000, 50);
      const order = h.emulator.requests(since).recent.filter((r) => r.method !== 'GET').map((r) => r.operation);
      expect(order).toEqual(['addCertificate', 'removeCertificate']);
    } finally {
      clearInterval(sampler);
    }
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.filter((s) => s.valid === 0)).toEqual([]);

    // The status follows: Ready, with the renewed certificate as Chaman holds it.
    const renewed = decimalSerial((await issued(h, 'dimona-rest-cert'))!);
    expect(restCertificates(h).serials).toEqual([renewed]);
    await waitFor('status.certificates to show the renewed certificate', async () => {
      const now = await h.get('ChannelAccount', 'dimona-rest');
      const ready = now?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return ready && now?.status?.certificates?.map((c) => c.serialNumber).join() === renewed;
    }, 30_000, 200);
    const revision = JSON.parse((await kubectl(['-n', h.namespace, 'get', 'certificate', 'dimona-rest', '-o', 'jsonpath={.status.revision}'])).stdout) as number;
    expect(revision).toBe(2);
  });
});
