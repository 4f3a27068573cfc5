#!/usr/bin/env bash
# Everything a fresh machine needs before the stack or the tests can run: npm packages, the real
# infrastructure (Kafka, Elasticsearch, PostgreSQL, Prometheus), the default models, a build.
# Idempotent: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund
else
  log "npm packages are up to date"
fi
bash scripts/infra/fetch.sh
bash scripts/models/fetch.sh
log "building (tsc -b)"
npx tsc -b
log "done"
