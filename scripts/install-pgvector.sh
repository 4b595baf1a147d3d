#!/usr/bin/env bash
# install-pgvector.sh — install the pgvector extension into the local PostgreSQL
# server on Debian (run as root).
#
#   bash scripts/install-pgvector.sh [-q]     (-q: print nothing when already installed)
#
# 1. Already installed (vector.so + vector.control present): exit at once.
# 2. apt has a binary package postgresql-<major>-pgvector (Debian 13+, or the
#    apt.postgresql.org repository is configured): install it.
# 3. Otherwise (Debian 12 ships no pgvector package) build it from Debian's
#    source package of a newer release (trixie, pgvector 0.8.0) with PGXS
#    against the installed server. Only that source is fetched, through a
#    private apt state directory with a deb-src entry derived from this
#    machine's own apt sources: /etc/apt and the system package lists are not
#    modified, and no binary package from the newer release can be installed.
#
# Environment (all optional):
#   PG_MAJOR     server major version    (default: highest under /usr/lib/postgresql)
#   PGV_SUITE    Debian suite of the source package (default: trixie)
#   PGV_WORKDIR  build/cache directory   (default: ${TMPDIR:-/tmp}/pgvector-build)
#   PGV_OPTFLAGS extra CPU flags         (default: none = portable binary;
#                                         "-march=native" only if it never leaves this CPU)
#   PGV_FORCE=1  reinstall even if already installed
set -euo pipefail

QUIET=0
[ "${1:-}" = -q ] && QUIET=1

log() { printf '[install-pgvector] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PG_MAJOR="${PG_MAJOR:-$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)}"
[ -n "$PG_MAJOR" ] || die "no PostgreSQL server found under /usr/lib/postgresql"
PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config"
[ -x "$PG_CONFIG" ] || die "$PG_CONFIG missing (is postgresql-$PG_MAJOR installed?)"
SUITE="${PGV_SUITE:-trixie}"
WORK="${PGV_WORKDIR:-${TMPDIR:-/tmp}/pgvector-build}"
OPTFLAGS="${PGV_OPTFLAGS:-}"

PKGLIBDIR="$("$PG_CONFIG" --pkglibdir)"
EXTDIR="$("$PG_CONFIG" --sharedir)/extension"

installed_version() {
  sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$EXTDIR/vector.control" 2>/dev/null || true
}

# ---- 0. fast path ---------------------------------------------------------------
if [ "${PGV_FORCE:-0}" != 1 ] && [ -f "$PKGLIBDIR/vector.so" ] && [ -f "$EXTDIR/vector.control" ]; then
  [ "$QUIET" = 1 ] || log "pgvector $(installed_version) already installed for PostgreSQL $PG_MAJOR (PGV_FORCE=1 to reinstall)"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (apt-get install, make install)"
command -v apt-get >/dev/null || die "apt-get not found: this script supports Debian only"
export DEBIAN_FRONTEND=noninteractive
# Machine's release codename, used to find its main archive in the apt sources.
CODENAME="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
[ -n "$CODENAME" ] || die "cannot read VERSION_CODENAME from /etc/os-release"

# (no `cmd | grep -q` under pipefail: grep exiting early SIGPIPEs cmd -> false negative)
is_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }
have_candidate() { local c; c="$(apt-cache policy "$1" 2>/dev/null || true)"; [[ "$c" =~ Candidate:\ [^\(] ]]; }
have_version() { local v; v="$(apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}')"; grep -qxF "$2" <<<"$v"; }
apt_install() {
  log "apt-get install $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2> >(grep -v 'apt-utils is not installed' >&2)
}

# Fresh machines (e.g. container images) often have empty package lists.
if ! have_candidate "postgresql-server-dev-$PG_MAJOR"; then
  log "apt-get update"
  apt-get update -qq
fi

# ---- 1. binary package, where the configured archives have one --------------------
if have_candidate "postgresql-$PG_MAJOR-pgvector"; then
  apt_install "postgresql-$PG_MAJOR-pgvector"
  [ -f "$PKGLIBDIR/vector.so" ] || die "postgresql-$PG_MAJOR-pgvector installed but $PKGLIBDIR/vector.so is missing"
  log "installed pgvector $(installed_version) (package postgresql-$PG_MAJOR-pgvector)"
  exit 0
fi

# ---- 2. build dependencies ----------------------------------------------------------
# postgresql-server-dev-N brings the server headers and PGXS. Pin it to the
# installed server's version when the archive still has it, so that headers of
# a newer minor release are not mixed with an older server.
need=()
is_installed "postgresql-server-dev-$PG_MAJOR" || need+=("postgresql-server-dev-$PG_MAJOR")
command -v gcc  >/dev/null || need+=(gcc libc6-dev)
command -v make >/dev/null || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  srv_ver="$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR" 2>/dev/null || true)"
  pkgs=()
  for p in "${need[@]}"; do
    if [ "$p" = "postgresql-server-dev-$PG_MAJOR" ] && [ -n "$srv_ver" ] && have_version "$p" "$srv_ver"; then
      pkgs+=("$p=$srv_ver")
    else
      pkgs+=("$p")
    fi
  done
  apt_install "${pkgs[@]}"
fi

# ---- 3. fetch the Debian source package (cached in $WORK) ---------------------------
DL="$WORK/dl-$SUITE"
mkdir -p "$DL"
orig="$(ls -1 "$DL"/pgvector_*.orig.tar.* 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$orig" ]; then
  APTDIR="$(mktemp -d "$WORK/apt.XXXXXX")"; chmod 755 "$APTDIR"
  trap 'rm -rf "$APTDIR"' EXIT
  src_list="$APTDIR/src.sources"
  # Copy the machine's main-archive stanza (same mirror and Signed-By keyring),
  # changing only Types/Suites/Components.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v RS= -v ORS='\n\n' -v cn="$CODENAME" \
        '$0 ~ ("(^|\n)Suites:[^\n]*[[:space:]]" cn "([[:space:]]|\n|$)")' "$f" \
      | grep -v '^#' \
      | sed -E "s/^Types:.*/Types: deb-src/; s/^Suites:.*/Suites: $SUITE/; s/^Components:.*/Components: main/" \
      > "$src_list" || true
    [ -s "$src_list" ] && break
  done
  if [ ! -s "$src_list" ] && [ -f /etc/apt/sources.list ]; then   # one-line format
    src_list="$APTDIR/src.list"
    { grep -E "^deb[[:space:]].*[[:space:]]$CODENAME[[:space:]]" /etc/apt/sources.list || true; } | head -1 \
      | sed -E "s/^deb([[:space:]])/deb-src\1/; s/[[:space:]]$CODENAME[[:space:]].*/ $SUITE main/" > "$src_list"
  fi
  [ -s "$src_list" ] || die "could not derive a deb-src entry from the apt sources in /etc/apt"
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/parts"
  APT_OPTS=(-o "Dir::Etc::SourceList=$src_list" -o "Dir::Etc::SourceParts=$APTDIR/parts"
            -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache")
  log "fetching the $SUITE source index (private apt state)"
  apt-get -qq "${APT_OPTS[@]}" update
  chown -R _apt "$DL" 2>/dev/null || true   # apt downloads as its sandbox user
  log "apt-get source --download-only pgvector ($SUITE)"
  ( cd "$DL" && apt-get -qq "${APT_OPTS[@]}" source --download-only pgvector >/dev/null )
  orig="$(ls -1 "$DL"/pgvector_*.orig.tar.* 2>/dev/null | sort -V | tail -1 || true)"
  [ -n "$orig" ] || die "pgvector source download failed"
fi
# apt verified the files' hashes against the signed Sources index.
ver="$(basename "$orig" | sed -E 's/^pgvector_(.*)\.orig\.tar\..*$/\1/')"

# ---- 4. build + install -------------------------------------------------------------
SRC="$WORK/pgvector-$ver"
rm -rf "$SRC" && mkdir -p "$SRC"
tar -xf "$orig" -C "$SRC" --strip-components=1
log "building pgvector $ver against $("$PG_CONFIG" --version)"
make -C "$SRC" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS="$OPTFLAGS" > "$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
# Unlink rather than overwrite a vector.so that running backends may have mapped.
rm -f "$PKGLIBDIR/vector.so"
make -C "$SRC" -s PG_CONFIG="$PG_CONFIG" OPTFLAGS="$OPTFLAGS" install >> "$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; die "make install failed (log: $WORK/build.log)"; }

[ -f "$PKGLIBDIR/vector.so" ] && [ "$(installed_version)" = "$ver" ] || die "post-install check failed"
log "installed pgvector $ver into PostgreSQL $PG_MAJOR (databases: CREATE EXTENSION vector)"
