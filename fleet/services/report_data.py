"""What every audit report gathers before it is rendered, and the small helpers the gatherers share."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select

import reports
from fleet.clock import local_zone
from fleet.errors import ValidationFailed
from fleet.extensions import db
from fleet.models import Center
from fleet.services.centers import CODE_PATTERN

STREAM = 1000


@dataclass
class ReportData:
    name: str
    title: str
    title_en: str
    parameters: list[tuple[str, str]]
    columns: list[reports.Column]
    rows: Callable[[], Iterator[Sequence[str]]]
    summary: list[tuple[str, int]] | None = None
    notes: list[str] = field(default_factory=list)
    sign_off: tuple[str, ...] = ()  # a Korean sign-off box (결재란) with these roles, e.g. ("담당", "팀장", "과장")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def center_by_code(code: str | None) -> Center | None:
    """The center a report is limited to (None: all); an unknown code is a 422 on `center`."""
    if not code:
        return None
    center = db.session.execute(select(Center).where(Center.code == code)).scalar_one_or_none() \
        if CODE_PATTERN.match(code) else None
    if center is None:
        raise ValidationFailed(f"There is no center {code!r}.", errors={"center": ["Unknown center."]})
    return center


def money(value) -> str:
    """KRW as printed: whole won with thousands separators (Decimal in, never a float on the way)."""
    return "" if value is None else f"{value:,.0f}"
