#!/usr/bin/env bash
# `npm start`: set-up, then the whole stack with demo data on this machine (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# node itself (not npx tsx: two more processes between npm and the stack that signals don't cross).
exec node --import tsx scripts/stack.ts
