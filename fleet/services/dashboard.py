"""The IT desk's overview: what needs attention, counted in the database (never by loading rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from fleet.clock import local_today
from fleet.extensions import db
from fleet.models import Asset, Center, LeaverFinding, Loan, Reservation, Stocktake
from fleet.services.loans import overdue_condition
from fleet.services.repairs import count_overdue as count_overdue_repairs
from fleet.services.requests import count_pending
from fleet.services.reservations import local_midnight


@dataclass
class CenterCounts:
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class DeskSummary:
    centers: list[CenterCounts]
    overdue_loans: int
    active_loans: int
    pending_requests: int
    open_leavers: int
    open_stocktakes: list[Stocktake]
    pick_ups_today: int = 0
    overdue_repairs: int = 0  # open longer than FLEET_REPAIR_DAYS


def summarise_desk(now: datetime | None = None) -> DeskSummary:
    """Devices by center and status, and the counts behind each list the desk works through.

    Overdue follows the loans service's own rule (active and past its due date, local time).
    """
    centers = {center_id: CenterCounts(code, name) for center_id, code, name in
               db.session.execute(select(Center.id, Center.code, Center.name).order_by(Center.code))}
    # Counted from the (center_id, status) index alone, in its order: no join and no sort of every asset.
    rows = db.session.execute(select(Asset.center_id, Asset.status, func.count())
                              .group_by(Asset.center_id, Asset.status))
    for center_id, status, count in rows:
        centers[center_id].counts[status] = count

    def count(query) -> int:
        return db.session.execute(query).scalar_one()

    return DeskSummary(
        centers=list(centers.values()),
        overdue_loans=count(select(func.count()).select_from(Loan).where(overdue_condition(now))),
        active_loans=count(select(func.count()).select_from(Loan).where(Loan.status == "active")),
        pending_requests=count_pending(),
        open_leavers=count(select(func.count()).select_from(LeaverFinding).where(LeaverFinding.resolved_at.is_(None))),
        open_stocktakes=list_open_stocktakes(),
        pick_ups_today=count_pick_ups_today(now),
        overdue_repairs=count_overdue_repairs(now),
    )


def list_open_stocktakes() -> list[Stocktake]:
    """Stocktakes still being scanned, oldest first, so the desk can pick one up again."""
    return list(db.session.execute(select(Stocktake).where(Stocktake.status == "open")
                                   .order_by(Stocktake.started_at, Stocktake.id)).scalars())


def count_pick_ups_today(now: datetime | None = None) -> int:
    """Bookings waiting to be picked up that hold some of today (local), every center."""
    today = local_today(now)
    start, end = local_midnight(today), local_midnight(today + timedelta(days=1))
    return db.session.execute(select(func.count()).select_from(Reservation).where(
        Reservation.status == "booked", Reservation.starts_at < end, Reservation.ends_at > start)).scalar_one()
