// What `chaman-operator run` loads at start (issue 19 item 3): each library below costs 8–18 MB of
// RSS, and run needs none of them before its first SSH key, certificate or kubeconfig file.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The module URLs that importing `entry` resolves, in a fresh Node process (as src/cli.ts starts run). */
function modulesLoadedBy(entry: string): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const urls = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); urls.push(r.url); return r; } });
    await import('reflect-metadata');
    await import(${JSON.stringify(entry)});
    process.stdout.write(JSON.stringify(urls));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' })) as string[];
}

describe('run loads only what it uses', () => {
  const loaded = modulesLoadedBy('./src/controller/cli.ts');

  it('loads the operator, not the libraries of rare paths or other commands', () => {
    expect(loaded.some((u) => u.endsWith('/src/controller/operator.ts'))).toBe(true);
    const unwanted = [
      '/node_modules/sshpk/', // SFTP keys: on the first one read
      '/node_modules/@peculiar/x509/', // certificates: on the first one read
      '/node_modules/yaml/', // a kubeconfig file: not read in a Pod
      '/node_modules/ajv/', // schema validation: validate and plan
      '/node_modules/@kubernetes/client-node/dist/gen/',
      '/src/validate/',
      '/src/plan/',
      '/src/status/',
      '/src/emulator/',
      '/src/demo/',
      '/src/devtools/',
    ];
    expect(unwanted.filter((part) => loaded.some((u) => u.includes(part)))).toEqual([]);
  });
});
