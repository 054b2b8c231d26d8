import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGeneratedFiles } from '../../../src/api/generate.ts';

const root = join(import.meta.dirname, '..', '..', '..');

describe('generated artefacts', () => {
  for (const [path, expected] of Object.entries(renderGeneratedFiles())) {
    it(`${path} is in sync with src/api (run "npm run generate" if this fails)`, () => {
      expect(readFileSync(join(root, path), 'utf8')).toBe(expected);
    });
  }
});
