#!/usr/bin/env bash
# build-kafka-mock.sh — compile the mock Kafka broker used by the tests
# (tools/kafka-mock/mockkafka.c, see its README) into .cache/bin/mockkafka.
#
#   bash scripts/build-kafka-mock.sh [-q] [output-binary]   (-q: silent when up to date)
#
# Needs librdkafka's development files, pkg-config and a C compiler. When they
# are missing and we run as root on Debian, they are installed with apt
# (librdkafka-dev, pkg-config, gcc); otherwise the script says what to install.
set -euo pipefail

QUIET=0
[ "${1:-}" = -q ] && { QUIET=1; shift; }

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/tools/kafka-mock/mockkafka.c"
out="${1:-$root/.cache/bin/mockkafka}"

log() { printf '[build-kafka-mock] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then
  [ "$QUIET" = 1 ] || log "$out is up to date"
  exit 0
fi

compiler() { command -v "${CC:-gcc}" || command -v cc || true; }
have_deps() { command -v pkg-config >/dev/null && pkg-config --exists rdkafka && [ -n "$(compiler)" ]; }

if ! have_deps; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    policy="$(apt-cache policy librdkafka-dev 2>/dev/null || true)"
    if ! [[ "$policy" =~ Candidate:\ [^\(] ]]; then   # empty package lists on fresh machines
      log "apt-get update"
      apt-get update -qq
    fi
    log "apt-get install librdkafka-dev pkg-config gcc"
    apt-get install -y -qq --no-install-recommends librdkafka-dev pkg-config gcc libc6-dev >/dev/null \
      2> >(grep -v 'apt-utils is not installed' >&2)
  else
    die "librdkafka development files, pkg-config and a C compiler are required
  (Debian/Ubuntu: apt-get install librdkafka-dev pkg-config gcc; macOS: brew install librdkafka pkg-config),
  or set MOCKKAFKA_BIN to an already built mockkafka binary"
  fi
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# shellcheck disable=SC2046  # pkg-config output is a list of flags
"$(compiler)" -O2 -Wall -Wextra -o "$tmp" "$src" $(pkg-config --cflags --libs rdkafka) -ldl -lpthread
mv -f "$tmp" "$out"
log "built $out (librdkafka $(pkg-config --modversion rdkafka))"
