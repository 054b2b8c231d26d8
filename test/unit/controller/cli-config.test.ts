// `chaman-operator run` flags that guard credentials (issue 16 items 7 and 8).
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/controller/cli.ts';

const read = (argv: string[], env: NodeJS.ProcessEnv = {}) => readConfig(argv, env);

describe('--chaman-url over plain http', () => {
  it('is refused off loopback, with what to do', () => {
    expect(() => read(['--chaman-url', 'http://chaman.example:8080/api/v1'])).toThrow(
      '--chaman-url http://chaman.example:8080: plain http:// would send the bearer token in clear text',
    );
    expect(() => read([], { CHAMAN_URL: 'http://10.0.0.7' })).toThrow(/--allow-insecure-http/);
  });

  it('is accepted on loopback, over https, or with --allow-insecure-http', () => {
    for (const url of ['http://127.0.0.1:18443', 'http://localhost:8080', 'http://[::1]:8080', 'https://chaman.example']) {
      expect(read(['--chaman-url', url]).chamanUrl).toBe(url);
    }
    expect(read(['--chaman-url', 'http://chaman.test', '--allow-insecure-http']).allowInsecureHttp).toBe(true);
    expect(read([], { CHAMAN_URL: 'http://chaman.test', CHAMAN_ALLOW_INSECURE_HTTP: 'true' }).allowInsecureHttp).toBe(true);
  });

  it('a URL that is not one is named', () => {
    expect(() => read(['--chaman-url', 'chaman.example'])).toThrow('--chaman-url: "chaman.example" is not a URL');
  });
});

describe('--chaman-credentials-secret', () => {
  it("defaults to the Secret chaman-api of the operator's namespace (POD_NAMESPACE), as manifests/base mounts it", () => {
    expect(read([], { POD_NAMESPACE: 'platform-chaman' }).chamanCredentialsSecret).toEqual({ namespace: 'platform-chaman', name: 'chaman-api' });
    expect(read([]).chamanCredentialsSecret).toEqual({ namespace: 'chaman-system', name: 'chaman-api' });
  });

  it('takes NAMESPACE/NAME, and refuses anything else', () => {
    expect(read(['--chaman-credentials-secret', 'ops/chaman-token']).chamanCredentialsSecret).toEqual({ namespace: 'ops', name: 'chaman-token' });
    expect(() => read(['--chaman-credentials-secret', 'chaman-api'])).toThrow('--chaman-credentials-secret must be NAMESPACE/NAME');
  });
});
