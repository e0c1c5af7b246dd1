#!/usr/bin/env bash
# `make test`: install what the tests need, lint, then the suite on SQLite and on PostgreSQL.
# pytest itself starts throw-away Redis and PostgreSQL servers and stops them, also on failure.
# The two runs share nothing (each starts its own servers on free ports), so they run side by side:
# one per core. Each writes to its own log, printed when both are done; the status fails if either did.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh test
scripts/venv.sh requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .

# Each run is split over pytest-xdist workers, a test module at a time (their fixtures are per module), the
# fuzzer's and the crawler's tests one by one and first (tests/conftest.py, LongRunningFirstScheduling).
# The workers of both runs share the two cores, so their numbers are the runs' shares. The SQLite run has the
# browser tests (the crawler's Chromium); the PostgreSQL run, since tenants are copied by files into a cluster
# in memory, less than it: three workers to its two, so that both end together.
SQLITE_XDIST="-n ${SQLITE_WORKERS:-3} --dist loadfile"
POSTGRES_XDIST="-n ${POSTGRES_WORKERS:-2} --dist loadfile"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
started=$SECONDS
.venv/bin/pytest -q -p no:cacheprovider $SQLITE_XDIST "$@" >"$logs/sqlite" 2>&1 &
sqlite_pid=$!
TEST_DB=postgres .venv/bin/pytest -q -p no:cacheprovider $POSTGRES_XDIST -m "not browser" "$@" >"$logs/postgres" 2>&1 &
postgres_pid=$!
status=0
wait "$sqlite_pid" || status=1
wait "$postgres_pid" || status=1
echo "== tenant databases: SQLite =="
cat "$logs/sqlite"
echo "== tenant databases: PostgreSQL =="
cat "$logs/postgres"
echo "== both runs: $((SECONDS - started)) s =="
exit "$status"
