# syntax=docker/dockerfile:1
# Tessera's image: built with the dev tools, run on production dependencies only, as an unprivileged user, with a
# health check on /healthz. scripts/check-image-steps.sh runs the same steps without Docker (CI has none).
ARG NODE_IMAGE=node:22-bookworm-slim

# Build: `npm ci` runs `prepare`, which generates the Prisma client and compiles to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
RUN npm ci --no-audit --no-fund

# Production dependencies only, and no install scripts: argon2 comes as a prebuilt binary package, PGlite and the
# Prisma schema engine as WebAssembly, so nothing needs to download or compile anything.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=3000 DATA_DIR=/var/lib/tessera
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY prisma ./prisma
COPY views ./views
# The embedded database (no DATABASE_URL) lives in DATA_DIR: the only place the server writes.
RUN mkdir -p /var/lib/tessera && chown node:node /var/lib/tessera
VOLUME /var/lib/tessera
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
