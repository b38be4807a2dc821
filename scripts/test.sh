#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, lint, types, tests on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --system
scripts/ensure-postgres.sh
export WATCHFLOOR_TEST_PG_URL=${WATCHFLOOR_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
set +e
.venv/bin/pytest -n 2 --dist loadgroup -p no:cacheprovider "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi
exit $rc
