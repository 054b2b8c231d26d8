// The light kubeconfig loader: the TLS material and headers each kind of kubeconfig user yields.
// (Integration tests load the control plane's real kubeconfig through it on every run.)
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeConfigFile, type HttpsOptions } from '../../../src/kube/kubeconfig.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  mkdirSync(join(dir, 'pki'));
  writeFileSync(join(dir, 'pki', 'ca.crt'), 'CA FROM FILE');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'ctx',
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }, { name: 'other', context: { cluster: 'x', user: 'y' } }],
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'pki/ca.crt', ...cluster } }],
    users: [{ name: 'u', user }],
  };
  writeFileSync(join(dir, 'config'), JSON.stringify(doc)); // JSON is YAML
  return join(dir, 'config');
}

async function optionsFor(path: string): Promise<HttpsOptions> {
  const o: HttpsOptions = {};
  await new KubeConfigFile().loadFromFile(path).applyToHTTPSOptions(o);
  return o;
}

describe('KubeConfigFile', () => {
  it('client certificate data, a CA file relative to the kubeconfig, the current context only', async () => {
    const path = kubeconfig({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }, { 'tls-server-name': 'kubernetes' });
    const kc = new KubeConfigFile().loadFromFile(path);
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    const o = await optionsFor(path);
    expect(String(o.ca)).toBe('CA FROM FILE');
    expect(String(o.cert)).toBe('CERT');
    expect(String(o.key)).toBe('KEY');
    expect(o.servername).toBe('kubernetes');
    expect(o.rejectUnauthorized).toBeUndefined();
  });

  it('a bearer token, basic auth, impersonation and insecure-skip-tls-verify', async () => {
    const o = await optionsFor(kubeconfig({ token: 'tok-1', username: 'admin', password: 'pw', as: 'jane' }, { 'insecure-skip-tls-verify': true }));
    expect(o.headers).toEqual({ Authorization: 'Bearer tok-1', 'Impersonate-User': 'jane' });
    expect(o.auth).toBe('admin:pw');
    expect(o.rejectUnauthorized).toBe(false);
  });

  it('an exec credential plugin gives its token', async () => {
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } });
    const o = await optionsFor(kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', `echo '${credential}'`] } }));
    expect(o.headers?.Authorization).toBe('Bearer from-exec');
  });

  it('in-cluster: the ServiceAccount token file and CA, the server from the environment', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(root, 'token'), 'sa-token');
    writeFileSync(join(root, 'ca.crt'), 'SA CA');
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = 'fd00::1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      const kc = new KubeConfigFile().loadFromCluster(root);
      const o: HttpsOptions = {};
      await kc.applyToHTTPSOptions(o);
      expect(kc.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
      expect(o.headers?.Authorization).toBe('Bearer sa-token');
      expect(String(o.ca)).toBe('SA CA');
    } finally {
      process.env.KUBERNETES_SERVICE_HOST = saved.host;
      process.env.KUBERNETES_SERVICE_PORT = saved.port;
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    }
  });

  it('a legacy auth-provider is refused with what to use instead', async () => {
    await expect(optionsFor(kubeconfig({ 'auth-provider': { name: 'oidc', config: { 'id-token': 'x' } } }))).rejects.toThrow(
      'kubeconfig user "u": the auth-provider "oidc" is not supported; use an exec credential plugin instead',
    );
  });
});
