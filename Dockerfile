# syntax=docker/dockerfile:1
# authgear-gate: a small, non-root, read-only-root-filesystem friendly image.
#   docker build -t authgear-gate --build-arg VERSION=0.2.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run --read-only -p 8080:8080 -e AUTHGEAR_ENDPOINT=https://myapp.authgear.cloud authgear-gate
# test/dockerfile.test.ts lints this file and runs the very artifact it assembles (dist/ plus
# production node_modules) the way CMD does, since no Docker engine runs in CI.

# Node 26 is the Active LTS (end of life 2029-04-30), the major package.json's engines asks
# for; every stage builds and runs on the same one. Debian 13 (trixie), slim variant.
ARG NODE_IMAGE=node:26-trixie-slim

# 1. Compile TypeScript with the dev dependencies; nothing of this stage ships. Its output is
# plain JavaScript, so in a multi-arch build (docs/releasing.md) it runs once, natively on the
# builder's platform, instead of under emulation for each target.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies only, from the lock file, with no install scripts.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. The runtime: node and the app, no npm, no yarn, no compiler, no shell tools added.
FROM ${NODE_IMAGE} AS runtime
# npm, npx, corepack and yarn are build tools: removing them shrinks the image and what an
# attacker could use inside it.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
      /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Files stay owned by root and the process runs as the image's unprivileged `node` user
# (numeric, so Kubernetes runAsNonRoot can verify it): the app cannot modify itself, and
# nothing is written at run time, so `--read-only` / readOnlyRootFilesystem just works.
USER 1000:1000
EXPOSE 8080
# No curl in slim images: node itself asks /healthz (liveness: the process answers).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.PORT||8080,path:'/healthz',timeout:2000},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself, so shutdown is graceful. The V8 flags
# hold memory under load (docs/performance.md, Memory): V8 sizes its young generation from the
# machine's memory, up to 32 MB per semi-space, which a sidecar's short-lived garbage does not
# need (4 MB costs 2.6% more instructions on a cached token, and held RSS under 60 s of load at
# 1.45x idle where the default reached 2.1x); and old-space garbage is collected once it is
# 30% over what survived, not up to 4x. Tests and the bench run the built server with these
# same flags (test/support/processes.ts reads them here); npm start too.
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=30", "dist/server.js"]

# OCI annotations, last so a new version or commit rebuilds no layer. The release workflow
# (docs/releasing.md) passes VERSION (package.json's, without the v) and REVISION (the commit).
ARG VERSION=0.2.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="authgear-gate" \
      org.opencontainers.image.description="Authentication sidecar for nginx auth_request, Traefik ForwardAuth and Caddy forward_auth in front of Authgear-protected apps" \
      org.opencontainers.image.source="https://github.com/example/authgear-gate" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
