#!/usr/bin/env bash
# test.sh — what `npm test` runs:
#   1. provision the test prerequisites (idempotent, silent when already done):
#      as root on Debian, install pgvector and build the mock Kafka broker;
#      otherwise only check that they are there and say what is missing;
#   2. build the project into dist/;
#   3. run the tests (test/support/run-tests.ts): one throwaway PostgreSQL
#      cluster for the whole run, node's test runner one file at a time.
#
#   npm test                     all tests
#   npm test -- infra clusterer  only test files whose path contains "infra" or "clusterer"
#
# Environment: TEST_DATABASE_URL (use this PostgreSQL server instead of a throwaway
# cluster), PG_BINDIR (directory of initdb/pg_ctl), MOCKKAFKA_BIN (mockkafka binary).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test] %s\n' "$*" >&2; }

is_debian() { [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

# Same search order as test/support/postgres-cluster.ts.
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
  [ -n "${TEST_DATABASE_URL:-}" ] && return 0   # run-tests checks that server
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

provision() {
  if [ "$(id -u)" = 0 ] && is_debian; then
    [ -n "${TEST_DATABASE_URL:-}" ] || bash scripts/install-pgvector.sh -q
    [ -n "${MOCKKAFKA_BIN:-}" ] || bash scripts/build-kafka-mock.sh -q
    # Debian's Chromium for the browser tests (test/browser); they skip, saying so, without it.
    if [ ! -x /usr/bin/chromium ]; then
      log "installing chromium for the browser tests"
      { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; } ||
        log "could not install chromium: the browser tests will be skipped"
    fi
    return
  fi
  local missing
  missing="$(missing_postgres; missing_kafka_mock)"
  [ -z "$missing" ] && return
  log "cannot run the tests, missing prerequisites:"
  # items start at column 0, their continuation lines are indented
  awk '{ print (/^  / ? "  " : "  - ") $0 }' <<<"$missing" >&2
  cat >&2 <<'EOF'
As root on Debian, `npm test` installs them itself. Otherwise provide:
  - PostgreSQL (server binaries) with the pgvector extension; the tests start a throwaway
    cluster with it. Or point TEST_DATABASE_URL at a running server with pgvector where the
    user may create databases, e.g. postgresql://postgres@127.0.0.1:5432/postgres
  - the mock Kafka broker: install librdkafka-dev, pkg-config and gcc (Debian/Ubuntu) or
    `brew install librdkafka pkg-config` (macOS) and `npm test` builds it into .cache/bin,
    or set MOCKKAFKA_BIN to a mockkafka binary built from tools/kafka-mock/mockkafka.c
EOF
  exit 1
}

provision
npm run build
exec node dist/test/support/run-tests.js "$@"
