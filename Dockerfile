# alicloud-rds-backup-exporter container image: the exporter only (the simulator and the demo
# live in simulator/, outside the product's src/, and are never built here).
#   docker build --build-arg REVISION="$(git rev-parse HEAD)" --build-arg BRANCH="$(git symbolic-ref --short HEAD)" \
#     --build-arg IMAGE_SOURCE=https://github.com/<you>/alicloud-rds-backup-exporter \
#     -t alicloud-rds-backup-exporter .
#   docker run -p 9877:9877 -v "$PWD/exporter.yml:/etc/alicloud-rds-backup-exporter/exporter.yml:ro" \
#     -e ALIBABA_CLOUD_ACCESS_KEY_ID -e ALIBABA_CLOUD_ACCESS_KEY_SECRET alicloud-rds-backup-exporter
# The configuration is not in the image: mount it at /etc/alicloud-rds-backup-exporter/exporter.yml
# (or pass another --config.file). test/docker/dockerfile.test.ts checks this file.

# ---- build: compile TypeScript with the dev dependencies, then drop them
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The manifests first, so the dependency layer is reused while only src/ changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build-info.mjs scripts/copy-runbook.mjs ./scripts/
COPY docs/runbook.md ./docs/runbook.md
COPY src ./src
# The build context has no .git: the git revision and branch for build_info come as arguments.
ARG REVISION=unknown
ARG BRANCH=unknown
RUN BUILD_REVISION="${REVISION}" BUILD_BRANCH="${BRANCH}" npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime: production node_modules and the product's build output, dist/, whole
FROM node:20-bookworm-slim AS runtime
# The image's version label: package.json's version, which --version and build_info report too
# (test/version.test.ts checks that they agree).
ARG VERSION=0.2.0
ARG REVISION=unknown
ARG BRANCH=unknown
# Where the source lives, for the image's label: pass --build-arg IMAGE_SOURCE=<repository URL>.
ARG IMAGE_SOURCE=""
LABEL org.opencontainers.image.title="alicloud-rds-backup-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Alibaba Cloud ApsaraDB RDS backup tasks" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.ref.name="${BRANCH}" \
      org.opencontainers.image.source="${IMAGE_SOURCE}"
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root: the exporter only reads them. dist/version.js reads ../package.json.
# dist/build-info.json holds build_info's revision and branch, the labels' values.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Numeric uid:gid of the image's "node" user, so Kubernetes runAsNonRoot can verify it. A
# state_file needs a volume writable by this uid (Kubernetes: fsGroup 1000).
USER 1000:1000
EXPOSE 9877
# node has no curl here. dist/healthcheck.js asks /-/healthy on the port of the exporter's own
# --web.listen-address (read from PID 1's command line); set HEALTHCHECK_URL to override it.
# No --start-period: /-/healthy answers within a second of start, before the first check at 30 s
# (and dockerfilelint 1.8 misreads the option's hyphen).
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "/app/dist/healthcheck.js"]
# main.js handles SIGTERM itself, so node can run as PID 1.
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["--config.file=/etc/alicloud-rds-backup-exporter/exporter.yml"]
