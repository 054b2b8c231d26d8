// validate and plan from the image, as a CI job runs them: `podman run IMAGE validate -f /work`
// with the manifests mounted, a read-only root filesystem, no capability.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/go-build.ts';
import { toYaml } from '../../src/devtools/example-secrets.ts';
import { renderManifests, runImage, type RunningContainer } from './support/container.ts';
import { startImageEmulator, type ImageEmulator } from './support/emulator.ts';
import { examplesIn } from './support/examples.ts';

const LOCKED_DOWN = ['--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges'];

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'chaman-image-cli-'));
  chmodSync(workDir, 0o755);
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('validate from the image', () => {
  it('passes examples/ and exits 0', async () => {
    const result = await runImage(['validate', '-f', '/work'], { podmanArgs: [...LOCKED_DOWN, '--volume', `${join(repoRoot, 'examples')}:/work:ro`] });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/0 error\(s\).*valid/);
  });

  it('refuses an invalid manifest with its rule ID and file, and exits non-zero', async () => {
    const dir = join(workDir, 'invalid');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'sender.yaml'),
      'apiVersion: chaman.io/v1alpha1\nkind: ChamanSender\nmetadata: {name: s, namespace: ns}\nspec: {senderNumber: "12", organization: {kind: Enterprise, name: X}}\n',
    );
    chmodSync(join(dir, 'sender.yaml'), 0o644);
    const result = await runImage(['validate', '-f', '/work'], { podmanArgs: [...LOCKED_DOWN, '--volume', `${dir}:/work:ro`] });
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain('/work/sender.yaml');
    expect(`${result.stdout}${result.stderr}`).toMatch(/\bR\d+\b|schema/);
  });
});

describe('plan from the image', () => {
  let emulator: ImageEmulator | undefined;
  let container: RunningContainer | undefined;

  afterAll(async () => {
    await container?.remove();
  });

  it('plans the examples against the emulator: every object a create, exit 2 with --detailed-exitcode', async () => {
    emulator = await startImageEmulator(await renderManifests('overlays/emulator'), workDir, 'plan');
    container = emulator.container;
    const input = join(workDir, 'plan-input');
    mkdirSync(input);
    writeFileSync(join(input, 'examples.yaml'), toYaml((await examplesIn('payroll')) as unknown as Record<string, unknown>[]));
    writeFileSync(join(input, 'token'), emulator.token);
    writeFileSync(join(input, 'ca.crt'), emulator.secrets['chaman-api']!['ca.crt']!);
    for (const f of ['examples.yaml', 'token', 'ca.crt']) chmodSync(join(input, f), 0o644);
    const result = await runImage(
      ['plan', '-f', '/work/examples.yaml', '--chaman-url', emulator.url, '--chaman-token-file', '/work/token', '--output', 'json', '--detailed-exitcode'],
      // The emulator's private CA, trusted the way any Node.js program is told (the image's own bundle stays).
      { network: 'host', podmanArgs: [...LOCKED_DOWN, '--env', 'NODE_EXTRA_CA_CERTS=/work/ca.crt', '--volume', `${input}:/work:ro`] },
    );
    expect(result.code, result.stderr).toBe(2);
    const plan = JSON.parse(result.stdout) as { changes: { action: string }[]; summary: Record<string, number> };
    expect(plan.summary.create).toBeGreaterThan(0);
    expect(plan.changes.every((c) => c.action === 'create')).toBe(true);
    expect(`${result.stdout}${result.stderr}`).not.toContain(emulator.token);
  });
});
