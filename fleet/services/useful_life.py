"""Useful life (내용연수): how many years each category serves before it is due for replacement.

Rules enforced here:
- a category's useful life is FLEET_USEFUL_LIFE (e.g. `laptop=5,monitor=7`, whole years); a category left out is
  never judged past it;
- an asset reaches the end of its useful life on the anniversary of its purchase date (29 February: 28 February
  in a year without one), and is past it from that day on: an asset turning five on the report date is in;
- age is counted in whole months, as printed on the replacement report and the disposal list.
"""

from __future__ import annotations

import calendar
from datetime import date

from flask import current_app
from sqlalchemy import and_, false, or_, select

from fleet.extensions import db
from fleet.models import Asset


def useful_life_years() -> dict[str, int]:
    return dict(current_app.config["FLEET_USEFUL_LIFE"])


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)


def end_of_useful_life(asset: Asset) -> date | None:
    years = useful_life_years().get(asset.category)
    if years is None or asset.purchase_date is None:
        return None
    return add_years(asset.purchase_date, years)


def is_past_useful_life(asset: Asset, on: date) -> bool:
    end = end_of_useful_life(asset)
    return end is not None and end <= on


def age_in_months(purchased: date | None, on: date) -> int | None:
    """Whole months from purchase to `on`; a month ends on the same day of the month, or on the last day of a
    shorter month (31 January → 28 February is one month)."""
    if purchased is None:
        return None
    months = (on.year - purchased.year) * 12 + on.month - purchased.month
    if on.day < purchased.day and on.day != calendar.monthrange(on.year, on.month)[1]:
        months -= 1
    return max(months, 0)


def months_text(months: int | None) -> str:
    """An age as printed on reports: `5년 2개월 (5y 2m)`."""
    if months is None:
        return ""
    return f"{months // 12}년 {months % 12}개월 ({months // 12}y {months % 12}m)"


def age_text(purchased: date | None, on: date) -> str:
    return months_text(age_in_months(purchased, on))


def last_purchase_past(on: date, years: int) -> date:
    """The latest purchase date whose useful life of `years` has ended by `on` (the SQL twin of
    `is_past_useful_life`: on 28 February, a purchase on 29 February `years` before counts too)."""
    latest = add_years(on, -years)
    if (on.month, on.day) == (2, 28) and calendar.isleap(latest.year):
        latest = latest.replace(day=29)
    return latest


def past_useful_life_condition(on: date):
    """SQL: the asset's purchase date is at least its category's useful life before `on`."""
    clauses = [and_(Asset.category == category, Asset.purchase_date <= last_purchase_past(on, years))
               for category, years in sorted(useful_life_years().items())]
    return or_(*clauses) if clauses else false()


def list_in_stock_past_useful_life(on: date, limit: int = 500) -> list[Asset]:
    """In-stock assets past their useful life on `on`, oldest first: the candidates for a disposal list."""
    return list(db.session.execute(
        select(Asset).where(Asset.status == "in_stock", past_useful_life_condition(on))
        .order_by(Asset.purchase_date, Asset.id).limit(limit)).scalars())
