"""Local dates: overdue and "today" are judged in FLEET_TIMEZONE, not in UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from fleet.db import utcnow


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["FLEET_TIMEZONE"])


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(local_zone()).date()


def local_time(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def format_local(moment: datetime | None, with_seconds: bool = False) -> str:
    """A moment as people read it at the desk, e.g. 2026-11-23 14:05 (KST)."""
    if moment is None:
        return ""
    local = local_time(moment)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if with_seconds else "%Y-%m-%d %H:%M %Z")
