// `kubectl apply -f crds/` is how many people install CRDs (and how many pipelines do): it must exit 0.
// crds/ therefore holds only Kubernetes objects in the files kubectl reads (.yaml, .yml, .json); the
// kustomize list of the CRDs is crds/Kustomization, a name kustomize reads and kubectl skips.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderGeneratedFiles } from '../../src/api/generate.ts';
import { kubectl } from './support/cluster.ts';

const crdDir = join(import.meta.dirname, '..', '..', 'crds');

describe('kubectl apply -f crds/', () => {
  it('exits 0 on the real API server (server-side dry run) and applies every generated CRD', async () => {
    const result = await kubectl(['apply', '-f', crdDir, '--dry-run=server'], { allowFailure: true });
    // (Warnings about the last-applied annotation are expected: the test setup applied them server-side.)
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const generated = Object.keys(renderGeneratedFiles()).filter((p) => p.startsWith('crds/') && p.endsWith('.yaml'));
    expect(generated.length).toBeGreaterThan(0);
    for (const path of generated) {
      const name = (parseAllDocuments(readFileSync(join(crdDir, '..', path), 'utf8'))[0]!.toJS() as { metadata: { name: string } }).metadata.name;
      expect(result.stdout).toContain(`customresourcedefinition.apiextensions.k8s.io/${name}`);
    }
  });

  it('would exit 1 with a kustomization.yaml beside the CRDs (what this layout avoids)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'chaman-crds-'));
    try {
      cpSync(crdDir, copy, { recursive: true });
      writeFileSync(join(copy, 'kustomization.yaml'), readFileSync(join(crdDir, 'Kustomization')));
      const result = await kubectl(['apply', '-f', copy, '--dry-run=server'], { allowFailure: true });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/Kustomization/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('finds only CustomResourceDefinitions in the files kubectl reads', () => {
    const read = readdirSync(crdDir).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(read.length).toBeGreaterThan(0);
    for (const file of read) {
      for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), 'utf8'))) {
        expect((doc.toJS() as { kind?: string }).kind, file).toBe('CustomResourceDefinition');
      }
    }
  });
});
