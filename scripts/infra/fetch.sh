#!/usr/bin/env bash
# Fetch / install the real infrastructure used by integration tests and the local stack.
# libs/testkit/src/infra/*.ts starts these with our own data dirs and ports; nothing here
# starts a server or relies on the distro's services.
#
#   Kafka          jars of org.apache.kafka:kafka_2.13 + log4j2 backend (Maven, scripts/infra/kafka/pom.xml)
#                  -> $CACHE/kafka-<ver>/libs
#   Elasticsearch  org.elasticsearch.distribution.integ-test-zip:elasticsearch:<ver>:zip (Maven)
#                  zip kept in $CACHE/downloads; unpacked to
#                    root:      $LLMOPS_SYSTEM_DIR/elasticsearch-<ver> (default /var/lib/llmops)
#                    non-root:  $CACHE/elasticsearch-<ver>
#                  ES refuses to run as root, so as root this also creates the system user `llmops`
#                  that the testkit runs ES as, and puts the install where that user can read it
#                  (/root is mode 700, so not under the cache).
#   PostgreSQL     Debian package `postgresql` (binaries under /usr/lib/postgresql/*/bin)
#   Prometheus     Debian package `prometheus` (/usr/bin/prometheus, /usr/bin/promtool)
#   (and java / mvn / unzip from Debian when they are missing)
#
# Usage: bash scripts/infra/fetch.sh [all|kafka|elasticsearch|postgres|prometheus]...   (default: all)
#
# Environment:
#   LLMOPS_CACHE_DIR     download cache (default $HOME/.cache/llmops)
#   LLMOPS_SYSTEM_DIR    where ES is installed when running as root (default /var/lib/llmops)
#   LLMOPS_KAFKA_VERSION Kafka version (default 4.4.0)   } keep in sync with
#   LLMOPS_ES_VERSION    Elasticsearch version (default 8.19.21) } libs/testkit/src/infra/paths.ts
#   LLMOPS_FETCH_FORCE   1 = re-fetch Kafka / Elasticsearch even if present
#   MVN                  maven command, split on spaces (default: mvn; e.g. "mvn -Dmaven.repo.local=/x")
#
# Idempotent: a component whose marker file is present (and matches) is skipped; apt-get update
# runs only when a Debian package is missing.
set -euo pipefail

readonly TAG="[fetch-infra]"
log() { printf '%s %s\n' "$TAG" "$*"; }
warn() { printf '%s WARNING: %s\n' "$TAG" "$*" >&2; }
die() { printf '%s ERROR: %s\n' "$TAG" "$*" >&2; exit 1; }

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
CACHE_DIR="${LLMOPS_CACHE_DIR:-$HOME/.cache/llmops}"
SYSTEM_DIR="${LLMOPS_SYSTEM_DIR:-/var/lib/llmops}"
KAFKA_VERSION="${LLMOPS_KAFKA_VERSION:-4.4.0}"
ES_VERSION="${LLMOPS_ES_VERSION:-8.19.21}"
FORCE="${LLMOPS_FETCH_FORCE:-0}"
read -r -a MVN_CMD <<<"${MVN:-mvn}"
ES_USER="llmops"
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
KAFKA_POM="$SCRIPT_DIR/kafka/pom.xml"
START_TS=$SECONDS

IS_ROOT=0
[[ "$(id -u)" == "0" ]] && IS_ROOT=1

have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- what to do
DO_KAFKA=0 DO_ES=0 DO_PG=0 DO_PROM=0
[[ $# -eq 0 ]] && set -- all
for arg in "$@"; do
  case "$arg" in
    all) DO_KAFKA=1 DO_ES=1 DO_PG=1 DO_PROM=1 ;;
    kafka) DO_KAFKA=1 ;;
    elasticsearch|es) DO_ES=1 ;;
    postgres|postgresql|pg) DO_PG=1 ;;
    prometheus|prom) DO_PROM=1 ;;
    *) die "unknown component '$arg' (expected: all, kafka, elasticsearch, postgres, prometheus)" ;;
  esac
done

mkdir -p "$CACHE_DIR/downloads" || die "cannot create cache dir $CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd -P)"

# One fetch at a time per cache dir.
if have flock; then
  exec 9>"$CACHE_DIR/.fetch-infra.lock"
  flock 9 || die "cannot lock $CACHE_DIR/.fetch-infra.lock"
fi

WORK="$(mktemp -d "$CACHE_DIR/.tmp-infra.XXXXXX")" || die "cannot create temp dir in $CACHE_DIR"
POLICY_RC_CREATED=0
cleanup() {
  rm -rf "$WORK"
  if [[ "$POLICY_RC_CREATED" == "1" ]]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- Debian packages
# Missing packages are collected first so that apt-get update / install run at most once.
APT_PKGS=()
need_pkg() { APT_PKGS+=("$1"); }

pg_initdb() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null 2>&1; }

if [[ $DO_KAFKA == 1 || $DO_ES == 1 ]]; then
  have java || need_pkg openjdk-17-jre-headless
  have "${MVN_CMD[0]}" || need_pkg maven
fi
[[ $DO_ES == 1 ]] && { have unzip || need_pkg unzip; }
[[ $DO_PG == 1 ]] && { pg_initdb || need_pkg postgresql; }
[[ $DO_PROM == 1 ]] && { [[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]] || need_pkg prometheus; }

SUDO=()
if [[ $IS_ROOT == 0 ]]; then
  if have sudo && sudo -n true 2>/dev/null; then SUDO=(sudo -n); fi
fi

stop_distro_prometheus() {
  # apt may have started the distro's own daemon (port 9090) on a host with a working init
  # system; we run our own Prometheus, so stop (and disable) that one.
  if [[ -d /run/systemd/system ]] && have systemctl; then
    "${SUDO[@]}" systemctl stop prometheus.service >/dev/null 2>&1 || true
    "${SUDO[@]}" systemctl disable prometheus.service >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/prometheus ]]; then
    "${SUDO[@]}" /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
  local pids
  pids="$(pgrep -u prometheus -x prometheus 2>/dev/null || true)"
  if [[ -n "$pids" ]]; then
    log "stopping the distro's prometheus daemon (pid $(echo $pids)) — the testkit runs its own"
    # shellcheck disable=SC2086
    "${SUDO[@]}" kill $pids 2>/dev/null || true
  fi
}

if [[ ${#APT_PKGS[@]} -gt 0 ]]; then
  if [[ $IS_ROOT == 0 && ${#SUDO[@]} -eq 0 ]]; then
    die "missing Debian packages: ${APT_PKGS[*]} — run this script as root, or install them: sudo apt-get install -y ${APT_PKGS[*]}"
  fi
  have apt-get || die "missing packages ${APT_PKGS[*]} and no apt-get on this system; install them by other means"
  # Keep apt from starting distro services (postgresql@15-main on 5432, prometheus on 9090):
  # a policy-rc.d that says "no" for the duration of the install, unless one exists already.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, created by scripts/infra/fetch.sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  log "installing Debian packages: ${APT_PKGS[*]} (apt-get update first)"
  t0=$SECONDS
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || die "apt-get update failed (needed for: ${APT_PKGS[*]})"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${APT_PKGS[@]}" >"$WORK/apt.log" 2>&1 \
    || { tail -n 30 "$WORK/apt.log" >&2; die "apt-get install ${APT_PKGS[*]} failed (log above)"; }
  if [[ "$POLICY_RC_CREATED" == "1" ]]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
  log "Debian packages installed in $((SECONDS - t0))s"
fi

if [[ $DO_PG == 1 ]]; then
  pg_initdb || die "PostgreSQL: no /usr/lib/postgresql/*/bin/initdb after installing package 'postgresql'"
  PG_BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
  log "PostgreSQL ok: $("$PG_BIN/postgres" --version) ($PG_BIN)"
fi
if [[ $DO_PROM == 1 ]]; then
  [[ -x /usr/bin/prometheus ]] || die "Prometheus: /usr/bin/prometheus missing after installing package 'prometheus'"
  [[ -x /usr/bin/promtool ]] || die "Prometheus: /usr/bin/promtool missing after installing package 'prometheus'"
  stop_distro_prometheus
  log "Prometheus ok: $(/usr/bin/prometheus --version 2>&1 | head -n 1)"
fi

if [[ $DO_KAFKA == 1 || $DO_ES == 1 ]]; then
  have java || die "java not found on PATH (Kafka 4 and Elasticsearch 8 need Java 17+)"
  have "${MVN_CMD[0]}" || die "maven ('${MVN_CMD[0]}') not found on PATH"
fi

# ---------------------------------------------------------------- Kafka
if [[ $DO_KAFKA == 1 ]]; then
  [[ -f "$KAFKA_POM" ]] || die "Kafka: pom not found at $KAFKA_POM"
  KAFKA_DIR="$CACHE_DIR/kafka-$KAFKA_VERSION"
  KAFKA_MARKER="$KAFKA_DIR/.complete"
  POM_SUM="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  WANT="kafka_2.13 $KAFKA_VERSION pom $POM_SUM"
  if [[ "$FORCE" != "1" && -f "$KAFKA_MARKER" && "$(cat "$KAFKA_MARKER")" == "$WANT" ]] \
      && compgen -G "$KAFKA_DIR/libs/kafka_2.13-*.jar" >/dev/null; then
    log "Kafka $KAFKA_VERSION already present ($KAFKA_DIR/libs)"
  else
    log "Kafka $KAFKA_VERSION: resolving org.apache.kafka:kafka_2.13 + log4j2 with mvn ..."
    t0=$SECONDS
    STAGE="$WORK/kafka-libs"
    # -f keeps maven's working files out of the repo; `target/` is not created for a pom-only project.
    if ! "${MVN_CMD[@]}" -q -B -f "$KAFKA_POM" dependency:copy-dependencies \
        -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime \
        -DoutputDirectory="$STAGE" >"$WORK/mvn-kafka.log" 2>&1; then
      tail -n 40 "$WORK/mvn-kafka.log" >&2
      die "Kafka: 'mvn dependency:copy-dependencies' failed for org.apache.kafka:kafka_2.13:$KAFKA_VERSION (log above)"
    fi
    compgen -G "$STAGE/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null \
      || die "Kafka: kafka_2.13-$KAFKA_VERSION.jar not among the resolved jars in $STAGE"
    compgen -G "$STAGE/log4j-slf4j2-impl-*.jar" >/dev/null || die "Kafka: log4j-slf4j2-impl not resolved"
    mkdir -p "$KAFKA_DIR"
    rm -rf "$KAFKA_DIR/libs"
    mv "$STAGE" "$KAFKA_DIR/libs"
    cp "$KAFKA_POM" "$KAFKA_DIR/pom.xml"
    echo "$WANT" >"$KAFKA_MARKER"
    log "Kafka $KAFKA_VERSION: $(ls "$KAFKA_DIR/libs" | wc -l) jars in $KAFKA_DIR/libs ($((SECONDS - t0))s)"
  fi
fi

# ---------------------------------------------------------------- Elasticsearch
if [[ $DO_ES == 1 ]]; then
  if [[ $IS_ROOT == 1 ]]; then
    ES_PARENT="$SYSTEM_DIR"
    if ! id -u "$ES_USER" >/dev/null 2>&1; then
      log "creating system user '$ES_USER' (Elasticsearch refuses to run as root)"
      useradd --system --user-group --home-dir "$SYSTEM_DIR" --no-create-home \
          --shell /usr/sbin/nologin "$ES_USER" \
        || die "could not create system user '$ES_USER' (useradd failed)"
    fi
    mkdir -p "$SYSTEM_DIR/run" || die "cannot create $SYSTEM_DIR"
    chmod 755 "$SYSTEM_DIR"
    # run/ holds data dirs for processes that run as $ES_USER / postgres when the caller's data
    # dir is not reachable by them (e.g. under /root); writable by both, sticky like /tmp.
    chmod 1777 "$SYSTEM_DIR/run"
  else
    ES_PARENT="$CACHE_DIR"
  fi
  ES_HOME="$ES_PARENT/elasticsearch-$ES_VERSION"
  ES_MARKER="$ES_HOME/.complete"
  if [[ "$FORCE" != "1" && -f "$ES_MARKER" && -x "$ES_HOME/bin/elasticsearch" ]]; then
    log "Elasticsearch $ES_VERSION already present ($ES_HOME)"
  else
    ZIP="$CACHE_DIR/downloads/elasticsearch-$ES_VERSION.zip"
    t0=$SECONDS
    if [[ "$FORCE" == "1" || ! -s "$ZIP" ]]; then
      log "Elasticsearch $ES_VERSION: downloading $ES_ARTIFACT with mvn ..."
      # run from the (pom-less) temp dir: dependency:copy needs no project
      if ! (cd "$WORK" && "${MVN_CMD[@]}" -q -B dependency:copy -Dartifact="$ES_ARTIFACT" \
          -DoutputDirectory="$WORK/es-dl") >"$WORK/mvn-es.log" 2>&1; then
        tail -n 40 "$WORK/mvn-es.log" >&2
        die "Elasticsearch: 'mvn dependency:copy -Dartifact=$ES_ARTIFACT' failed (log above)"
      fi
      [[ -s "$WORK/es-dl/elasticsearch-$ES_VERSION.zip" ]] \
        || die "Elasticsearch: mvn finished but $WORK/es-dl/elasticsearch-$ES_VERSION.zip is missing"
      mv "$WORK/es-dl/elasticsearch-$ES_VERSION.zip" "$ZIP"
    fi
    log "Elasticsearch $ES_VERSION: unpacking to $ES_HOME"
    mkdir -p "$ES_PARENT"
    unzip -q "$ZIP" -d "$WORK/es-unzip" || die "Elasticsearch: unzip of $ZIP failed (corrupt? delete it and rerun)"
    [[ -x "$WORK/es-unzip/elasticsearch-$ES_VERSION/bin/elasticsearch" ]] \
      || die "Elasticsearch: $ZIP has no elasticsearch-$ES_VERSION/bin/elasticsearch"
    # Owned by root (or the caller), world-readable: the server only writes to the per-run
    # config/data/log dirs that the testkit creates.
    chmod -R a+rX "$WORK/es-unzip/elasticsearch-$ES_VERSION"
    rm -rf "$ES_HOME"
    mv "$WORK/es-unzip/elasticsearch-$ES_VERSION" "$ES_HOME"
    echo "$ES_ARTIFACT" >"$ES_MARKER"
    log "Elasticsearch $ES_VERSION ready in $ES_HOME ($((SECONDS - t0))s)"
  fi
fi

log "done in $((SECONDS - START_TS))s (cache: $CACHE_DIR)"
