# syntax=docker/dockerfile:1
#
# One image for every Node process of the stack (see docker-compose.yml), each running the
# JavaScript `npm run build` emitted (tsconfig.build.json), with plain node:
#   RGS node       CMD below                        node --import ./dist/src/telemetry/register.js dist/src/main.js
#   wallet mock    command: node dist/walletmock/main.js
#   migrations     command: node dist/scripts/migrate.js
#
# tsx, TypeScript and the development load balancer's http-proxy are dev dependencies:
# the build stage has them, the image does not.

# ---- build: every dependency, compiles TypeScript into dist/ -------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Installed for the image's platform here, never copied from the host (.dockerignore).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY machines ./machines
COPY migrations ./migrations
COPY scripts/migrate.ts scripts/reencrypt-secrets.ts scripts/audit-archive.ts ./scripts/
COPY walletmock ./walletmock
COPY queues ./queues
COPY bull-board ./bull-board
RUN npm run build

# ---- deps: production node_modules only ------------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no tsx, typescript, ava, eslint, http-proxy … in the image.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
# PORT: the schema's default is 3001 (the local cluster's); in a container the node
# listens on 3000, the port EXPOSEd here and the one nginx's upstream names.
ENV NODE_ENV=production \
    PORT=3000

# The code stays owned by root and read-only for the `node` user that runs it.
# package.json: its "type": "module" makes node load dist's .js files as ES modules.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist

USER node

EXPOSE 3000

# Liveness only (/health answers while the event loop runs). Readiness (/ready: Postgres
# and Redis reachable) is what compose's own healthcheck asks, to gate nginx's start.
# The slim image has no curl: node's global fetch does it. Exec form, no shell.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node itself receives SIGTERM and stops gracefully (finishes in-flight
# requests and jobs, exits 0 within 15 s). Compose adds `init: true` (tini as PID 1)
# so signals are forwarded and zombies reaped.
# The telemetry hook loads first, so tracing (on when OTEL_EXPORTER_OTLP_ENDPOINT is set)
# can instrument http, express, pg and ioredis before the app imports them.
# The heap flag is src/config/node-heap.ts' (why: there); an operator's NODE_OPTIONS replaces it.
ENV NODE_OPTIONS=--max-old-space-size=1024
CMD ["node", "--import", "./dist/src/telemetry/register.js", "dist/src/main.js"]
