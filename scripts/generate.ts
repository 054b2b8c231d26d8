// Writes the CRDs and TypeScript types derived from src/api/ (the one source of truth), then the
// Helm chart rendered from manifests/ (which include those CRDs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderGeneratedFiles } from '../src/api/generate.ts';
import { renderChartFromManifests, writeChart } from './lib/helm-chart.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const [path, content] of Object.entries(renderGeneratedFiles())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
writeChart(renderChartFromManifests(), console.log);
