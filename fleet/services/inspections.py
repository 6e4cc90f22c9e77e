"""Inspections: devices on long loans come in for a periodic check (battery, updates, condition).

Rules enforced here:
- a category may have an interval in months (FLEET_INSPECTION_MONTHS, e.g. `laptop=6`); a device of that
  category on an active loan is due that many months after its last inspection, or after the hand-over if it
  has not been inspected since (a month later is the same day of the month, or its last day);
- "today" is the local day (FLEET_TIMEZONE): a device due on a day is due from local midnight on;
- the assignee is reminded once per due inspection (the outbox key names the loan and the due day), through
  the outbox, when the daily reminders run;
- an inspection (`ok` or `needs_repair`, with a note) is a row and an `asset.inspected` event; `needs_repair`
  on a device that is on loan points at the swap (a working device for the broken one, in one step).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select

from fleet.clock import local_time, local_today
from fleet.db import utcnow
from fleet.errors import Conflict, ValidationFailed
from fleet.extensions import db
from fleet.models import INSPECTION_RESULTS, Asset, Inspection, Loan
from fleet.services import notifications
from fleet.services.assets import get_asset
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.pagination import Page, decode_cursor, make_page

ACTOR = "reminders"
INSPECTABLE = ("in_stock", "on_loan", "quarantine", "in_repair")
STREAM = 1000


def intervals() -> dict[str, int]:
    return dict(current_app.config["FLEET_INSPECTION_MONTHS"])


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class DueInspection:
    loan: Loan
    last_inspected_at: datetime | None
    due_on: date
    today: date

    @property
    def days_overdue(self) -> int:
        return (self.today - self.due_on).days


def _last_inspection():
    return (select(func.max(Inspection.inspected_at)).where(Inspection.asset_id == Loan.asset_id)
            .correlate(Loan).scalar_subquery())


def due_on(loan: Loan, last_inspected_at: datetime | None) -> date | None:
    months = intervals().get(loan.asset.category)
    if months is None:
        return None
    since = local_time(loan.checked_out_at).date()
    if last_inspected_at is not None:
        since = max(since, local_time(last_inspected_at).date())
    return add_months(since, months)


def iter_due(today: date, after_loan_id: int = 0) -> Iterator[DueInspection]:
    """Active loans of inspected categories whose device is due on `today` or earlier, in loan order."""
    categories = sorted(intervals())
    if not categories:
        return
    query = (select(Loan, _last_inspection()).join(Asset, Asset.id == Loan.asset_id)
             .where(Loan.status == "active", Asset.category.in_(categories), Loan.id > after_loan_id)
             .order_by(Loan.id))
    for loan, last in db.session.execute(query.execution_options(yield_per=STREAM)):
        day = due_on(loan, last)
        if day is not None and day <= today:
            yield DueInspection(loan, last, day, today)


def list_due(*, limit: int = 50, cursor: str | None = None, now: datetime | None = None) -> Page:
    """Inspections due today (local) or earlier, in loan order; keyset pagination on the loan."""
    key = decode_cursor(cursor)
    rows = []
    for due in iter_due(local_today(now), int(key[0]) if key else 0):
        rows.append(due)
        if len(rows) > limit:
            break
    return make_page(rows, limit, lambda d: [d.loan.id])


def record_inspection(actor: Principal, asset_tag: str, *, result: str, note: str | None = None,
                      now: datetime | None = None) -> Inspection:
    """Record an inspection of a device at the desk: a row and an `asset.inspected` event."""
    if result not in INSPECTION_RESULTS:
        raise ValidationFailed("Some fields are not valid; see errors.",
                               errors={"result": [f"One of: {', '.join(INSPECTION_RESULTS)}."]})
    note = (note or "").strip() or None
    if result == "needs_repair" and not note:
        raise ValidationFailed("Say what needs repair.", errors={"note": ["Required when it needs repair."]})
    asset = get_asset(asset_tag)
    if asset.status not in INSPECTABLE:
        raise Conflict(f"Asset {asset.asset_tag} is {asset.status}: it cannot be inspected.",
                       code="illegal-status-move")
    now = now or utcnow()
    loan = db.session.execute(select(Loan).where(Loan.asset_id == asset.id, Loan.status == "active")
                              ).scalar_one_or_none()
    inspection = Inspection(asset_id=asset.id, loan_id=loan.id if loan else None, inspected_at=now,
                            inspected_by=actor.uid, result=result, note=note)
    db.session.add(inspection)
    db.session.flush()
    append_event(actor.uid, "asset.inspected", "asset", asset.asset_tag, at=now, after={
        "inspection_id": inspection.id, "result": result, "note": note, "loan": loan.number if loan else None,
        "status": asset.status})
    return inspection


def active_loan_of(inspection: Inspection) -> Loan | None:
    return db.session.get(Loan, inspection.loan_id) if inspection.loan_id else None


def queue_inspection_reminders(today: date, now: datetime) -> list[int]:
    """A mail to the assignee of each device due for inspection, once per due inspection (keyed by the loan and
    the day it fell due, whatever day the run is)."""
    ids = []
    for due in iter_due(today):
        loan = due.loan
        nid = notifications.queue_for_uid("inspection_due", loan.assignee_uid, now=now,
                                          data={"loan_id": loan.id, "due_on": due.due_on.isoformat()},
                                          name=loan.assignee_name, address=loan.assignee_email,
                                          dedupe_key=f"inspection_due:{loan.id}:{due.due_on.isoformat()}")
        if nid is not None:
            notifications.record_queued(nid, "inspection_due", loan.assignee_uid, ACTOR, now)
            ids.append(nid)
    return ids


def inspections_of(asset: Asset, limit: int = 50) -> list[Inspection]:
    return list(db.session.execute(select(Inspection).where(Inspection.asset_id == asset.id)
                                   .order_by(Inspection.inspected_at.desc(), Inspection.id.desc()).limit(limit))
                .scalars())
