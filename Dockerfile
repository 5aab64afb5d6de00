# siratu: one image for both run modes.
#   Embedded (one server, data in the /data volume):
#     docker build -t siratu . && docker run -p 3000:3000 -v siratu-data:/data siratu
#   Scale-out (MongoDB + Redis, several instances behind nginx): see docker-compose.yml.
# Secrets come only from the environment (or an env file): nothing secret is baked into the image.

FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
# better-sqlite3 compiles its native module when no prebuilt binary matches.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bot ./bot
COPY channels ./channels
COPY knowledge ./knowledge
COPY admin ./admin
COPY scripts ./scripts
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Ready = the store (and Redis, in scale-out mode) answer; see scripts/operations.ts.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM (docker stop) drains the messages in hand before the process exits.
STOPSIGNAL SIGTERM
# The same V8 memory settings as `npm start` (package.json): a small young generation and slower heap
# growth keep an instance with 10,000 conversations near 220 MB instead of 360 MB (bench/system.ts).
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "--import", "tsx", "scripts/start.ts"]
