#!/usr/bin/env bash
# setup-machine.sh — install what the tests need on this machine (idempotent, silent when
# everything is already there). `npm test` (scripts/test.sh) runs it first.
#
#   bash scripts/setup-machine.sh
#
# As root on Debian/Ubuntu it installs what is missing:
#   - the PostgreSQL server (apt) and the pgvector extension for it (scripts/install-pgvector.sh);
#   - the mock Kafka broker, built with librdkafka (scripts/build-kafka-mock.sh, which installs
#     librdkafka-dev, pkg-config and gcc with apt);
#   - Chromium for the browser tests (test/browser; they skip, saying so, without it).
# Anywhere else it only checks, lists what is missing and exits 1.
#
# Environment: TEST_DATABASE_URL (a PostgreSQL server to use instead of a throwaway cluster:
# no local server needed), PG_BINDIR (directory of initdb/pg_ctl), MOCKKAFKA_BIN (mockkafka binary).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup-machine] %s\n' "$*" >&2; }

is_debian() { [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

# Same search order as tools/support/postgres-cluster.ts.
pg_bindir() {
  local dir
  for dir in ${PG_BINDIR:+"$PG_BINDIR"} $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -nr); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
  # initdb on PATH may be a symlink (e.g. /usr/local/bin): use its real directory
  dir="$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")")"
  [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && echo "$dir"
  return 0
}

# Missing pieces, one per line (empty: all there).
missing_postgres() {
  [ -n "${TEST_DATABASE_URL:-}" ] && return 0   # the test runner checks that server
  local bindir sharedir
  bindir="$(pg_bindir)"
  if [ -z "$bindir" ]; then
    echo "PostgreSQL server binaries (initdb, pg_ctl) not found: install the PostgreSQL server and set PG_BINDIR"
    echo "  to their directory if they are not on PATH, or set TEST_DATABASE_URL (see below)"
    return 0
  fi
  if [ -x "$bindir/pg_config" ]; then
    sharedir="$("$bindir/pg_config" --sharedir)"
    [ -f "$sharedir/extension/vector.control" ] ||
      echo "pgvector is not installed for $("$bindir/postgres" --version) ($sharedir/extension/vector.control missing)"
  fi
}

missing_kafka_mock() {
  if [ -n "${MOCKKAFKA_BIN:-}" ]; then
    [ -x "$MOCKKAFKA_BIN" ] || echo "MOCKKAFKA_BIN=$MOCKKAFKA_BIN is not an executable file"
  elif ! bash scripts/build-kafka-mock.sh -q 2>/dev/null; then
    echo "the mock Kafka broker could not be built: it needs librdkafka's development files, pkg-config"
    echo "  and a C compiler (details: bash scripts/build-kafka-mock.sh), or set MOCKKAFKA_BIN"
  fi
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; }
}

install_as_root() {
  if [ -z "${TEST_DATABASE_URL:-}" ]; then
    if [ -z "$(pg_bindir)" ]; then
      log "installing the PostgreSQL server"
      apt_install postgresql || { log "apt-get install postgresql failed"; exit 1; }
    fi
    bash scripts/install-pgvector.sh -q
  fi
  [ -n "${MOCKKAFKA_BIN:-}" ] || bash scripts/build-kafka-mock.sh -q
  if [ ! -x /usr/bin/chromium ]; then
    log "installing chromium for the browser tests"
    apt_install chromium || log "could not install chromium: the browser tests will be skipped"
  fi
}

if [ "$(id -u)" = 0 ] && is_debian; then
  install_as_root
  exit 0
fi

missing="$(missing_postgres; missing_kafka_mock)"
[ -z "$missing" ] && exit 0
log "cannot run the tests, missing prerequisites:"
# items start at column 0, their continuation lines are indented
awk '{ print (/^  / ? "  " : "  - ") $0 }' <<<"$missing" >&2
if is_debian; then
  echo "On this Debian/Ubuntu machine, run once as root: sudo bash scripts/setup-machine.sh" >&2
  echo "(it installs them all). Or provide them yourself:" >&2
else
  echo "Provide them:" >&2
fi
cat >&2 <<'TEXT'
  - PostgreSQL (server binaries) with the pgvector extension; the tests start a throwaway
    cluster with it. Or point TEST_DATABASE_URL at a running server with pgvector where the
    user may create databases, e.g. postgresql://postgres@127.0.0.1:5432/postgres
  - the mock Kafka broker: install librdkafka-dev, pkg-config and gcc (Debian/Ubuntu) or
    `brew install librdkafka pkg-config` (macOS) and `npm test` builds it into .cache/bin,
    or set MOCKKAFKA_BIN to a mockkafka binary built from tools/kafka-mock/mockkafka.c
TEXT
exit 1
