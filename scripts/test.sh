#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks style, runs pytest on SQLite
# and on a throwaway PostgreSQL cluster against a real slapd and a real Chromium.
# Then, unless arguments were given, the date-sensitive tests again with the machine's clock
# shifted to just after midnight in Seoul at a year's end, to 23:59 UTC at a month's end and to
# 23:30 in Seoul at a half-year's end, an evening (scripts/test-at.sh). Extra arguments go to
# pytest (e.g. scripts/test.sh -k loans).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "==> ruff check"
.venv/bin/ruff check .
echo "==> lint-imports (the layers: contracts in pyproject.toml)"
.venv/bin/lint-imports
echo "==> pytest"
.venv/bin/python -m pytest "$@"
if [ $# -eq 0 ]; then
  bash scripts/test-at.sh "2026-12-31 15:05:00"
  bash scripts/test-at.sh "2027-02-28 23:59:00"
  bash scripts/test-at.sh "2027-06-30 14:30:00"
fi
