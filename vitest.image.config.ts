import { defineConfig } from 'vitest/config';

// The image suite (npm run test:image; .ci/run after npm test): the operator's container image,
// built with the project's Dockerfile (scripts/image.ts), run with podman as the manifests run it,
// against the local control plane (the integration suite's global setup) and the emulator.
// Its own config, not a project of vitest.config.ts: `npm test` needs no container runtime.
export default defineConfig({
  test: {
    name: 'image',
    include: ['test/image/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    globalSetup: ['./test/integration/global-setup.ts', './test/image/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
