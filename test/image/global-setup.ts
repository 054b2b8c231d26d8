// The image under test: $CHAMAN_TEST_IMAGE as is, or the Dockerfile built now on the local base
// (scripts/image.ts; warm, podman's layer cache makes that a few seconds), so the suite always
// tests the work tree's Dockerfile, .dockerignore and sources.
import type { TestProject } from 'vitest/node';
import { buildImage, DEFAULT_TAG } from '../../scripts/image.ts';
import { ensureNodeBase } from '../../scripts/lib/node-base.ts';
import { ensureContainerTools } from '../../scripts/lib/podman.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The operator's image, in podman's local store. */
    image: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const log = (line: string) => console.log(line);
  const given = process.env.CHAMAN_TEST_IMAGE;
  if (given) {
    project.provide('image', given);
    return;
  }
  await ensureContainerTools(log);
  const base = await ensureNodeBase(log);
  await buildImage(base, DEFAULT_TAG, { quiet: true });
  project.provide('image', DEFAULT_TAG);
}
