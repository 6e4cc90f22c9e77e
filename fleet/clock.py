"""Local dates: overdue and "today" are judged in FLEET_TIMEZONE, not in UTC."""

from __future__ import annotations

from datetime import date, datetime
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
