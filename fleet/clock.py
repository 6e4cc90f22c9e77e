"""Local dates: overdue and "today" are judged in FLEET_TIMEZONE, not in UTC; and the working hours
(FLEET_WORKING_HOURS), which the settings check at start and the access log's review flags accesses outside."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from fleet.db import utcnow
from fleet.errors import ValidationFailed

# The days a period can start or end on. A period's bounds become moments (local midnight, in UTC) and reach a day
# past its end or 30 days before it: near year 1 or year 9999 that leaves Python's range (an OverflowError).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["FLEET_TIMEZONE"])


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(local_zone()).date()


def local_time(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def check_days(**days: date | datetime | None) -> None:
    """ValidationFailed naming each field (by its name in the request) whose day is outside FIRST_DAY..LAST_DAY."""
    errors = {name: [f"Must be between {FIRST_DAY} and {LAST_DAY}."] for name, day in days.items()
              if day is not None and not FIRST_DAY <= (day.date() if isinstance(day, datetime) else day) <= LAST_DAY}
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)


def format_local(moment: datetime | None, with_seconds: bool = False) -> str:
    """A moment as people read it at the desk, e.g. 2026-11-23 14:05 (KST)."""
    if moment is None:
        return ""
    local = local_time(moment)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if with_seconds else "%Y-%m-%d %H:%M %Z")


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingHours:
    weekdays: frozenset[int]
    start: time
    end: time

    def covers(self, moment: datetime) -> bool:
        return moment.weekday() in self.weekdays and self.start <= moment.time() < self.end


def parse_working_hours(value: str) -> WorkingHours:
    """`Mon-Fri 08:00-19:00` (days as a range or a comma list, then a time range), in FLEET_TIMEZONE."""
    match = re.fullmatch(r"\s*([A-Za-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise ValueError(f"FLEET_WORKING_HOURS must look like 'Mon-Fri 08:00-19:00', not {value!r}.")
    days: set[int] = set()
    for part in match.group(1).lower().split(","):
        first, _, last = part.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS):
            raise ValueError(f"FLEET_WORKING_HOURS: unknown day in {part!r}.")
        a, b = DAYS.index(first[:3]), DAYS.index((last or first)[:3])
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    start, end = time(int(match.group(2)), int(match.group(3))), time(int(match.group(4)), int(match.group(5)))
    return WorkingHours(frozenset(days), start, end)
