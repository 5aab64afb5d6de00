# siratu: one image for every instance. Embedded mode needs nothing else;
# scale-out mode (MONGODB_URI + REDIS_URL) runs several of these behind a
# load balancer (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is compiled from source against Node's headers.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bot ./bot
COPY channels ./channels
COPY knowledge ./knowledge
COPY admin ./admin
COPY scripts ./scripts
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "scripts/start.ts"]
