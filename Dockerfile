# Shipshape's images, one Dockerfile with a named target per deployable:
#   docker build --target api    -t shipshape-api .     the HTTP API (`node dist/migrate.js`, `node dist/promote.js`)
#   docker build --target worker -t shipshape-worker .  the job worker (thumbnails, exports, cleanup)
#   docker build --target web    -t shipshape-web .     Caddy + the Caddyfile + the built frontend
#   docker build --target dev    -t shipshape-dev .     the whole workspace, for docker-compose.yml
# Pass --build-arg GIT_COMMIT=$(git rev-parse --short HEAD) --build-arg BUILD_TIME=$(date -u +%FT%TZ);
# GET /api/version shows them. Builds with BuildKit and with the legacy builder / buildah alike
# (RUN --mount=type=cache works in both; heredocs and COPY --link would not).

# Debian slim, not Alpine: sharp and argon2 ship glibc binaries, and the same base serves all three.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG CADDY_IMAGE=caddy:2
# Where the worker's pg_dump and pg_restore come from: the major must be the server's or newer
# (pg_dump refuses an older client), so keep it at the compose files' postgres:17 or above.
ARG POSTGRES_IMAGE=postgres:17-bookworm

FROM ${NODE_IMAGE} AS pnpm
# pnpm from npm, pinned to package.json's packageManager: corepack would need registry signatures.
RUN npm install --global pnpm@10.34.9 && npm cache clean --force
ENV PNPM_HOME=/pnpm CI=true
WORKDIR /repo

# Dependencies first, from the lockfile alone: this layer is rebuilt only when the lockfile changes,
# and the cache mount keeps pnpm's store between builds, so a source change downloads nothing.
FROM pnpm AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN --mount=type=cache,id=shipshape-pnpm,target=/pnpm/store pnpm fetch --store-dir /pnpm/store

FROM deps AS dev
COPY . .
RUN --mount=type=cache,id=shipshape-pnpm,target=/pnpm/store \
    pnpm install --offline --frozen-lockfile --store-dir /pnpm/store
# For docker-compose.yml: the source is bind-mounted over /repo and `node --watch` reloads it.
USER node
CMD ["pnpm", "--filter", "@shipshape/api", "dev"]

FROM dev AS build
USER root
RUN pnpm --filter @shipshape/api --filter @shipshape/worker --filter @shipshape/web build
# `pnpm deploy --prod` gives each app its production dependencies, from the lockfile, as a plain
# (hoisted) folder; pnpm 10 deploys from the shared lockfile only with inject-workspace-packages
# (--legacy would resolve versions anew). runtime-modules.mjs then keeps only what the bundle
# does not hold (see tsup.base.ts).
RUN --mount=type=cache,id=shipshape-pnpm,target=/pnpm/store \
    pnpm --filter @shipshape/api deploy --prod --offline --config.inject-workspace-packages=true --store-dir /pnpm/store \
      --config.node-linker=hoisted /deploy/api \
 && pnpm --filter @shipshape/worker deploy --prod --offline --config.inject-workspace-packages=true --store-dir /pnpm/store \
      --config.node-linker=hoisted /deploy/worker \
 && node deploy/runtime-modules.mjs /deploy/api /out/api \
 && node deploy/runtime-modules.mjs /deploy/worker /out/worker \
 && cp -r apps/api/dist /out/api/dist \
 && cp -r apps/worker/dist /out/worker/dist

# What api and worker share: no pnpm, no compiler, no source; files owned by root, run as `node`.
FROM ${NODE_IMAGE} AS runtime
ARG GIT_COMMIT=unknown
ARG BUILD_TIME=unknown
# APP_ENV defaults to production, so an image started without settings refuses to run with
# development fallbacks; docker-compose.yml sets local explicitly.
ENV NODE_ENV=production APP_ENV=production GIT_COMMIT=${GIT_COMMIT} BUILD_TIME=${BUILD_TIME}
LABEL org.opencontainers.image.vendor="Shipshape" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.created="${BUILD_TIME}"
WORKDIR /app
USER node

FROM runtime AS api
LABEL org.opencontainers.image.title="shipshape-api" \
      org.opencontainers.image.description="Shipshape's HTTP API; node dist/migrate.js applies migrations, node dist/promote.js <email> makes an admin"
COPY --from=build /out/api /app
EXPOSE 3000
# No curl in a slim image: Node's own fetch asks /healthz (alive, touches no dependency).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself, and drains (ADR 014). No shell in between.
CMD ["node", "dist/server.js"]

# The backups' client tools, taken from the official Postgres image: Debian bookworm's own
# postgresql-client is 15, too old for a 17 server, and both images are bookworm, so the binaries
# run as they are. The newest major's bin/ is found by glob rather than named, and the libraries
# they load come along (libpq and what it needs, not glibc, which the node image has already).
FROM ${POSTGRES_IMAGE} AS postgres-client
RUN set -eu; \
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"; \
    mkdir -p /out/bin /out/lib; \
    cp "$bin/pg_dump" "$bin/pg_restore" /out/bin/; \
    ldd /out/bin/pg_dump /out/bin/pg_restore | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u \
      | grep -vE '/(libc|libm|libdl|libpthread|librt|libresolv|ld-linux[^/]*)\.so' \
      | xargs -r cp -L -t /out/lib/; \
    /out/bin/pg_dump --version

FROM runtime AS worker
LABEL org.opencontainers.image.title="shipshape-worker" \
      org.opencontainers.image.description="Shipshape's job worker: thumbnails, exports, cleanup, database backups"
COPY --from=postgres-client /out/bin/ /usr/local/bin/
COPY --from=postgres-client /out/lib/ /usr/local/lib/postgresql-client/
# The copied libraries are found after the system's own (the file sorts after Debian's
# x86_64-linux-gnu.conf): where both images hold a library, the node image's stays in use.
USER root
RUN echo /usr/local/lib/postgresql-client > /etc/ld.so.conf.d/zz-postgresql-client.conf \
 && ldconfig \
 && pg_dump --version && pg_restore --version
USER node
COPY --from=build /out/worker /app
# One-off commands in this image: `node dist/backup.js` and `node dist/restore.js <key>`
# (docs/deploy/backups.md).
# The worker serves no HTTP, so there is nothing to ask: the container lives as long as the process.
CMD ["node", "dist/main.js"]

FROM ${CADDY_IMAGE} AS web
ARG GIT_COMMIT=unknown
ARG BUILD_TIME=unknown
LABEL org.opencontainers.image.title="shipshape-web" \
      org.opencontainers.image.description="Caddy in front of Shipshape: the built frontend and /api/* to the API" \
      org.opencontainers.image.vendor="Shipshape" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.created="${BUILD_TIME}"
COPY Caddyfile /etc/caddy/Caddyfile
COPY --from=build /repo/apps/web/dist /srv
