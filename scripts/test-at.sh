#!/usr/bin/env bash
# Runs tests with the clock at a given moment (UTC), the clock running on from there.
#
#   scripts/test-at.sh "2026-12-31 15:05:00"                 the date-sensitive tests (below)
#   scripts/test-at.sh "2026-12-31 15:05:00" tests           the whole suite at that moment
#   scripts/test-at.sh "2027-02-28 23:59:00" -k loans        extra arguments go to pytest
#
# Every Python process of the run — pytest, the gunicorn servers and flask commands the tests
# start — travels by the same offset (time-machine, from tests/support/shifted_clock/
# sitecustomize.py on PYTHONPATH). slapd, PostgreSQL and Chromium keep the real clock: Fleet
# never asks them the time. Fleet judges days in FLEET_TIMEZONE (Asia/Seoul, UTC+9): from 15:00
# UTC its today is the machine's tomorrow, and at 15:00 UTC on 31 December it is next year.
# `scripts/test.sh` runs the date-sensitive tests at two such moments after the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
moment="${1:?usage: scripts/test-at.sh 'YYYY-MM-DD HH:MM:SS' [pytest arguments]}"
shift
if [ $# -eq 0 ]; then
  # Every test that takes "today" or "now", or checks a date, a loan number or a report period.
  set -- tests/test_clock_guard.py tests/api/test_loans_api.py tests/api/test_reports_api.py \
    tests/api/test_requests_api.py tests/services/test_requests.py tests/cli/test_purge.py tests/cli/test_cli.py \
    tests/web/test_demo_logins.py tests/api/test_reservations_api.py tests/services/test_reservations.py \
    tests/web/test_booking_pages.py tests/services/test_booking_mails.py tests/api/test_hand_over_booked.py \
    tests/access_log/test_access_log.py tests/api/test_incidents_api.py \
    "tests/hardening/test_fuzz.py::test_every_operation_as_every_role[sqlite-employee]"
fi
target=$(date -u -d "$moment UTC" +%s)
export SHIFTED_CLOCK_OFFSET=$((target - $(date -u +%s)))
export PYTHONPATH="$PWD/tests/support/shifted_clock${PYTHONPATH:+:$PYTHONPATH}"
echo "==> pytest with the clock at $moment UTC ($(TZ=Asia/Seoul date -d "$moment UTC" '+%Y-%m-%d %H:%M KST'))"
# time-machine is imported (by sitecustomize) before pytest could rewrite its plugin: nothing to rewrite there.
exec .venv/bin/python -m pytest -q -W "ignore::pytest.PytestAssertRewriteWarning" "$@"
