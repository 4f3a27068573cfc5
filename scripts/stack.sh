#!/usr/bin/env bash
# `npm start`: set-up, then the whole stack with demo data on this machine (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
exec npx tsx scripts/stack.ts
