#!/usr/bin/env bash
# Runs tests N times in a row with a CPU hog beside them (stress-ng, one busy worker per core), and stops at the
# first failure: scripts/test-busy.sh 10 tests/hardening tests/cli/test_mail_cli.py tests/web/test_demo_logins.py
# A test that passes here on a 2-core machine does not depend on the machine's speed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: scripts/test-busy.sh RUNS [pytest args]}
shift
command -v stress-ng > /dev/null || bash scripts/setup.sh --test
stress-ng --cpu "$(nproc)" --timeout 0 --quiet &
hog=$!
trap 'kill $hog 2> /dev/null || true' EXIT
for run in $(seq 1 "$runs"); do
  echo "==> run $run of $runs (beside stress-ng --cpu $(nproc))"
  .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
done
