#!/usr/bin/env bash
# `make test`: install what the tests need, lint, then the suite on SQLite and on PostgreSQL.
# pytest itself starts throw-away Redis and PostgreSQL servers and stops them, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh test
scripts/venv.sh requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== tenant databases: SQLite =="
.venv/bin/pytest -q -p no:cacheprovider "$@"
echo "== tenant databases: PostgreSQL =="
TEST_DB=postgres .venv/bin/pytest -q -p no:cacheprovider -m "not browser" "$@"
