"""The day's reminders, queued once a day at FLEET_REMIND_AT local time (FLEET_TIMEZONE).

Rules enforced here:
- due soon: FLEET_REMIND_DAYS days before the due date (default 7 and 1), to the assignee;
- overdue: on the first day overdue and every FLEET_OVERDUE_EVERY_DAYS after, to the assignee with a copy
  to the IT desk (FLEET_MAIL_IT_DESK);
- a weekly summary to the IT desk on FLEET_SUMMARY_WEEKDAY (1 = Monday);
- a booking reminder to the person a booking is for, the day before the (local) day it starts, once per
  booking (its key is the booking's id, whatever the day), and only while it is still booked;
- an inspection reminder to the assignee of each device due for its periodic inspection (FLEET_INSPECTION_MONTHS),
  once per due inspection (fleet.services.inspections);
- "today" is the local day in FLEET_TIMEZONE, and each reminder's key (kind, loan, local day) is unique
  in the outbox: queued twice on one day, by one worker or two, it is there once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from fleet.clock import local_time, local_today
from fleet.db import utcnow
from fleet.extensions import db
from fleet.models import Loan, Reservation
from fleet.services import notifications
from fleet.services.inspections import queue_inspection_reminders
from fleet.services.reservations import local_midnight

ACTOR = "reminders"


@dataclass
class ReminderCounts:
    day: date
    due_soon: int = 0
    overdue: int = 0
    summary: int = 0
    bookings: int = 0
    inspections: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.due_soon + self.overdue + self.summary + self.bookings + self.inspections


def _queue_loan_reminder(kind: str, loan: Loan, today: date, days: int, now: datetime, cc: str | None) -> int | None:
    nid = notifications.queue_for_uid(kind, loan.assignee_uid, now=now, data={"loan_id": loan.id, "days": days},
                                      name=loan.assignee_name, address=loan.assignee_email, cc_address=cc,
                                      dedupe_key=f"{kind}:{loan.id}:{today.isoformat()}")
    if nid is not None:
        notifications.record_queued(nid, kind, loan.assignee_uid, ACTOR, now)
    return nid


def queue_reminders(now: datetime | None = None) -> ReminderCounts:
    """Queue the reminders of the local day of `now`: a second call on the same day adds nothing."""
    now = now or utcnow()
    config = current_app.config
    today = local_today(now)
    counts = ReminderCounts(today)
    for days in config["FLEET_REMIND_DAYS"]:
        due = today + timedelta(days=days)
        for loan in db.session.execute(select(Loan).where(Loan.status == "active", Loan.due_date == due)
                                       .order_by(Loan.id)).scalars():
            nid = _queue_loan_reminder("due_soon", loan, today, days, now, None)
            if nid is not None:
                counts.due_soon += 1
                counts.ids.append(nid)
    every = config["FLEET_OVERDUE_EVERY_DAYS"]
    desk = notifications.it_desk_address()
    for loan in db.session.execute(select(Loan).where(Loan.status == "active", Loan.due_date < today)
                                   .order_by(Loan.id)).scalars():
        late = (today - loan.due_date).days
        if (late - 1) % every == 0:  # day 1, then 1 + every, 1 + 2 × every, …
            nid = _queue_loan_reminder("overdue", loan, today, late, now, desk)
            if nid is not None:
                counts.overdue += 1
                counts.ids.append(nid)
    counts.bookings, booking_ids = _queue_booking_reminders(today, now)
    counts.ids += booking_ids
    inspection_ids = queue_inspection_reminders(today, now)
    counts.inspections = len(inspection_ids)
    counts.ids += inspection_ids
    if today.isoweekday() == config["FLEET_SUMMARY_WEEKDAY"]:
        nid = notifications.queue_for_it_desk("weekly_summary", now=now, data={"day": today.isoformat()},
                                              actor=ACTOR, dedupe_key=f"weekly_summary:{today.isoformat()}")
        if nid is not None:
            counts.summary += 1
            counts.ids.append(nid)
    db.session.flush()
    return counts


def _queue_booking_reminders(today: date, now: datetime) -> tuple[int, list[int]]:
    """Bookings still booked that start tomorrow (local day): one reminder each, ever (keyed by the booking).

    Only the booking's id goes into the message: never its purpose (the sender renders the text)."""
    tomorrow = today + timedelta(days=1)
    starts_from, starts_before = local_midnight(tomorrow), local_midnight(tomorrow + timedelta(days=1))
    ids = []
    for reservation in db.session.execute(
            select(Reservation).where(Reservation.status == "booked", Reservation.starts_at >= starts_from,
                                      Reservation.starts_at < starts_before)
            .order_by(Reservation.starts_at, Reservation.id)).scalars():
        nid = notifications.queue_for_uid("booking_reminder", reservation.person_uid, now=now,
                                          data={"reservation_id": reservation.id}, name=reservation.person_name,
                                          dedupe_key=f"booking_reminder:{reservation.id}")
        if nid is not None:
            notifications.record_queued(nid, "booking_reminder", reservation.person_uid, ACTOR, now)
            ids.append(nid)
    return len(ids), ids


class ReminderSchedule:
    """When a running worker queues the day's reminders: once per local day, from FLEET_REMIND_AT on.

    A worker started after FLEET_REMIND_AT queues that day's reminders at once (the outbox's keys
    keep a restart from queuing them twice).
    """

    def __init__(self) -> None:
        self.last_day: date | None = None

    def due(self, now: datetime) -> bool:
        local = local_time(now)
        return local.date() != self.last_day and local.time() >= current_app.config["FLEET_REMIND_AT"]

    def done(self, now: datetime) -> None:
        self.last_day = local_time(now).date()
