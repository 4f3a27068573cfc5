#!/usr/bin/env bash
# Regenerates libs/contracts/src/generated from proto/ (buf parses, ts-proto emits grpc-js code).
set -euo pipefail
cd "$(dirname "$0")/../proto"
rm -rf ../libs/contracts/src/generated
../node_modules/.bin/buf lint
../node_modules/.bin/buf generate
