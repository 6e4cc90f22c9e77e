#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks style, runs pytest on SQLite
# and on a throwaway PostgreSQL cluster against a real slapd and a real Chromium.
# Extra arguments go to pytest (e.g. scripts/test.sh -k loans).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "==> ruff check"
.venv/bin/ruff check .
echo "==> pytest"
exec .venv/bin/python -m pytest "$@"
