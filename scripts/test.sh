#!/usr/bin/env bash
# test.sh — what `npm test` runs:
#   1. scripts/setup-machine.sh: install what the tests need (as root on Debian), or say
#      what is missing and stop;
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

bash scripts/setup-machine.sh
npm run build
exec node dist/test/support/run-tests.js "$@"
