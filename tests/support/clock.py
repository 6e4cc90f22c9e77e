"""Fleet's "today" for tests: the day in FLEET_TIMEZONE, never the machine's zone.

The machine may run in UTC (CI does) while Fleet judges days in Asia/Seoul: from 15:00 UTC Fleet's today is the
machine's tomorrow, and on 31 December it is already next year. A test that needs "today" asks here (or the app's
own `fleet.clock.local_today`); `tests/test_clock_guard.py` refuses the machine's calendar anywhere else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fleet.config import DEFAULTS

FLEET_ZONE = ZoneInfo(DEFAULTS["FLEET_TIMEZONE"])  # the tests run with the default FLEET_TIMEZONE


def fleet_now() -> datetime:
    """Now, in Fleet's zone (the moment is the machine's; only the calendar is Fleet's)."""
    return datetime.now(UTC).astimezone(FLEET_ZONE)


def fleet_today() -> date:
    return fleet_now().date()
