# The Patronus control plane (the Node runtime of `npm start`) as a container image.
#
#   docker build -t patronus-control .
#   docker run -d --name patronus -p 8787:8787 -v patronus-data:/app/data \
#     --read-only --tmpfs /tmp patronus-control
#   docker logs patronus          # the first start prints the instance-admin token once
#
# compose.yaml runs it next to a libSQL server (sqld); docs/operations.md has the rest.
# test/repo/container.test.ts checks this file statically (no Docker engine in CI).

# Node 22 LTS: the code is checked on Node 20.20 and newer (docs/toolchain.md); 20 is
# past its end of life. Override with --build-arg NODE_IMAGE=... (a digest pins it harder).
ARG NODE_IMAGE=node:22.22.0-bookworm-slim

# --- build: the dashboard (dist/ui), what `npm start` builds first (`prestart`) ---------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The lockfile alone first, so a code change does not reinstall the dependencies.
# --ignore-scripts: the dashboard build needs no native addon, and install scripts would
# compile or download ones that only the agent uses (.npmrc already skips onnxruntime's).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build:ui

# --- deps: production dependencies only --------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# tsx (which runs the TypeScript sources, as `npm start` does) is a production dependency.
# The agent's native addons come along but the control plane never loads them.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    DATABASE_URL=file:/app/data/patronus.db
# Files stay owned by root: the process (uid 1000) can read but never rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
# What worker/node.ts imports (worker/, protocol/, the plugin checker in wasm/plugin/, the
# bundled migrations) and the admin command (`reset-token`).
COPY worker/ ./worker/
COPY protocol/ ./protocol/
COPY wasm/plugin/ ./wasm/plugin/
COPY migrations/bundle.json ./migrations/bundle.json
COPY scripts/admin.ts ./scripts/admin.ts
# Read at start: the shipped prediction model (worker/node-models.ts) and the dashboard
# build (worker/server.ts serves dist/ui).
COPY models/ ./models/
COPY --from=build /src/dist/ui ./dist/ui
# The embedded database's directory; unused when DATABASE_URL names a libSQL server.
# Everything else may be read-only: tsx caches its compiled files under /tmp (a tmpfs).
RUN mkdir -p /app/data && chown 1000:1000 /app/data
VOLUME ["/app/data"]
# The official node image's `node` user, by number so that runAsNonRoot can check it.
USER 1000:1000
EXPOSE 8787
# /readyz: the database is reachable and migrated. Node's fetch, so no curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node itself as PID 1 (not npm: it would rebuild the dashboard, and it does not pass
# SIGTERM on), so SIGTERM drains as `npm start` does.
CMD ["node", "--import", "tsx", "worker/node.ts"]
