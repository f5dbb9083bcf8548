# syntax=docker/dockerfile:1
#
# One image for all four processes; docker-compose.yml picks the process with `command`:
#   node --max-semi-space-size=32 --heap-growing-percent=100 dist/router/main.js | node dist/subgraphs/{account,product,order}/main.js
# Configuration comes from the environment only (docs/configuration.md).

# Shared by the two install stages. better-sqlite3 is a native addon: npm fetches a prebuilt binary when one
# matches, and builds it from source with this toolchain when none does (or the download is blocked).
FROM node:20-bookworm-slim AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

# Production dependencies only, built for this base image, for the runtime stage to copy as they are.
FROM toolchain AS prod-deps
RUN npm ci --omit=dev && npm cache clean --force

# Everything, dev dependencies included, to compile the TypeScript.
FROM toolchain AS build
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
# The folders tsconfig.build.json compiles (test/deploy/dockerCompose.test.ts checks the two lists agree).
COPY shared ./shared
COPY subgraphs ./subgraphs
COPY router ./router
COPY schema ./schema
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Code and dependencies stay root-owned, so the process cannot rewrite them; only the embedded-database folder
# (.data/, used when DATABASE_URL is unset) is the node user's.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The router reads schema/supergraph.graphql at run time (SUPERGRAPH_PATH).
COPY --from=build /app/schema ./schema
RUN mkdir -p .data && chown node:node .data
USER node
EXPOSE 4000 4001 4002 4003 8088
# The router's node flags (router/nodeFlags.ts): a larger young generation, measured in bench/README.md.
CMD ["node", "--max-semi-space-size=32", "--heap-growing-percent=100", "dist/router/main.js"]
