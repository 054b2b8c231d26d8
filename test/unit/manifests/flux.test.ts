// The Flux example: the operator Kustomization waits for its objects; the team's Kustomization
// depends on it and health-checks chaman.io objects.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlDocuments, REPO_ROOT } from './support.ts';

describe('Flux example', () => {
  const docs = parseYamlDocuments(readFileSync(join(REPO_ROOT, 'manifests/flux/chaman-operator.yaml'), 'utf8'));
  const kustomizations = docs.filter((d) => d.apiVersion === 'kustomize.toolkit.fluxcd.io/v1' && d.kind === 'Kustomization');

  it('installs manifests/ and waits for every object it applied', () => {
    const operator = kustomizations.find((k) => k.metadata.name === 'chaman-operator')!;
    expect(operator.spec).toMatchObject({ path: './manifests', wait: true, prune: true });
    expect(docs.find((d) => d.kind === 'GitRepository')?.metadata.name).toBe(operator.spec.sourceRef.name);
  });

  it('applies the team\'s resources after the operator and health-checks them', () => {
    const team = kustomizations.find((k) => k.metadata.name === 'payroll-chaman')!;
    expect(team.spec.dependsOn).toEqual([{ name: 'chaman-operator' }]);
    const kinds = (team.spec.healthChecks as { apiVersion: string; kind: string }[]).map((h) => `${h.apiVersion} ${h.kind}`);
    expect(kinds).toEqual(['chaman.io/v1alpha1 ChamanSender', 'chaman.io/v1alpha1 ChannelAccount']);
    for (const expr of team.spec.healthCheckExprs as Record<string, string>[]) {
      expect(Object.keys(expr).sort()).toEqual(['apiVersion', 'current', 'failed', 'inProgress', 'kind']);
    }
  });
});
