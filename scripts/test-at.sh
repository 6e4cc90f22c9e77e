#!/usr/bin/env bash
# Runs tests with the machine's clock set to a given moment (UTC), the whole process tree
# shifted by libfaketime (Debian package faketime): pytest, gunicorn, slapd and PostgreSQL alike.
# The clock starts at that moment and runs on from there.
#
#   scripts/test-at.sh "2026-12-31 15:05:00"                 the date-sensitive tests (below)
#   scripts/test-at.sh "2026-12-31 15:05:00" tests           the whole suite at that moment
#   scripts/test-at.sh "2027-02-28 23:59:00" -k loans        extra arguments go to pytest
#
# Fleet judges days in FLEET_TIMEZONE (Asia/Seoul, UTC+9): from 15:00 UTC its today is the
# machine's tomorrow, and at 15:00 UTC on 31 December it is next year. `scripts/test.sh` runs
# the date-sensitive tests at two such moments after the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
moment="${1:?usage: scripts/test-at.sh 'YYYY-MM-DD HH:MM:SS' [pytest arguments]}"
shift
if [ $# -eq 0 ]; then
  # Every test that takes "today" or "now", or checks a date, a loan number or a report period.
  set -- tests/test_clock_guard.py tests/api/test_loans_api.py tests/api/test_reports_api.py \
    tests/api/test_requests_api.py tests/services/test_requests.py tests/cli/test_purge.py tests/cli/test_cli.py \
    tests/api/test_reservations_api.py tests/services/test_reservations.py tests/web/test_booking_pages.py \
    "tests/hardening/test_fuzz.py::test_every_operation_as_every_role[sqlite-employee]"
fi
command -v faketime > /dev/null || { echo "faketime is missing: bash scripts/setup.sh --test installs it"; exit 1; }
echo "==> pytest with the clock at $moment UTC ($(TZ=Asia/Seoul date -d "$moment UTC" '+%Y-%m-%d %H:%M KST'))"
# FLEET_TEST_CLOCK_EXIT: libfaketime's timed waits can keep a thread of the interpreter from ever
# waking at exit; conftest.py ends the process as soon as pytest has said its last word.
export TZ=UTC FLEET_TEST_CLOCK_EXIT=1
exec timeout --kill-after=30 1800 faketime -f "@$moment" .venv/bin/python -m pytest -q "$@"
