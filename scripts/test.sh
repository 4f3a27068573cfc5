#!/usr/bin/env bash
# `npm test`: set-up, lint, unit tests, then integration tests against real Kafka, Elasticsearch,
# PostgreSQL and Prometheus started by the test run itself.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "[test] lint and type-check (tests included)"
npx eslint .
npx tsc -p tsconfig.tests.json
echo "[test] unit tests"
npx jest --selectProjects unit
echo "[test] integration tests"
npx jest --selectProjects integration --runInBand
