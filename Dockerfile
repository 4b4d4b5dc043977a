# alicloud-rds-backup-exporter container image.
#   docker build -t alicloud-rds-backup-exporter .
#   docker run -p 9877:9877 -v "$PWD/exporter.yml:/etc/alicloud-rds-backup-exporter/exporter.yml:ro" \
#     -e ALIBABA_CLOUD_ACCESS_KEY_ID -e ALIBABA_CLOUD_ACCESS_KEY_SECRET alicloud-rds-backup-exporter

# ---- build: compile TypeScript with the dev dependencies, then drop them
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The manifests first, so the dependency layer is reused while only src/ changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime: only the compiled code, production node_modules and the example config
FROM node:20-bookworm-slim AS runtime
ARG VERSION=dev
ARG IMAGE_SOURCE=https://github.com/OWNER/alicloud-rds-backup-exporter
LABEL org.opencontainers.image.title="alicloud-rds-backup-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Alibaba Cloud ApsaraDB RDS backup tasks" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${IMAGE_SOURCE}"
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root: the exporter only reads them. dist/version.js reads ../package.json.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# An example: mount your own file over it, or point --config.file elsewhere.
COPY config/exporter.yml /etc/alicloud-rds-backup-exporter/exporter.yml
# Numeric uid:gid of the image's "node" user, so Kubernetes runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 9877
# node has no curl here; Node 20's fetch does the check. Assumes the default --web.listen-address.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9877/-/healthy').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# main.js handles SIGTERM itself, so node can run as PID 1.
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["--config.file=/etc/alicloud-rds-backup-exporter/exporter.yml"]
