"""Hand-over and return: the heart of Fleet.

Rules enforced here:
- the assignee is checked against the directory at the moment of hand-over, never a cache;
- an asset is on at most one open loan: a conditional UPDATE on the asset plus a unique
  partial index on loans, so the database refuses a second one even across processes;
- every change appends an event in the same transaction, and queues its receipt in the e-mail outbox
  (one INSERT, named in the event), so a rolled-back hand-over or return mails nobody;
- the handover and return forms are registered at once and rendered when first asked
  for, deterministically from the stored loan, so a hand-over never waits for a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, exists, func, insert, literal_column, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from fleet.clock import format_local, local_time, local_today, local_zone
from fleet.db import MAX_ID, Prepared, columns_of, detached, dialect_name, insert_of, read_alone, run, utcnow
from fleet.directory.base import Directory, Person
from fleet.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from fleet.extensions import db
from fleet.models import (
    Asset,
    Center,
    Document,
    LeaverFinding,
    Loan,
    LoanBatch,
    LoanExtension,
    LoanRequest,
    Reservation,
    ReservationUnit,
)
from fleet.models.loan import format_loan_number, parse_loan_number
from fleet.services import notifications
from fleet.services import requests as request_service
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.pagination import Page, decode_cursor, make_page

_ASSETS, _LOANS, _DOCUMENTS, _FINDINGS, _REQUESTS = (Asset.__table__, Loan.__table__, Document.__table__,
                                                    LeaverFinding.__table__, LoanRequest.__table__)
# The statements of every hand-over and return, built once (see fleet.db.run).
_MOVE_ASSET = (update(_ASSETS).where(_ASSETS.c.id == bindparam("asset_id"), _ASSETS.c.status == bindparam("expected"))
               .values(status=bindparam("new_status", type_=_ASSETS.c.status.type),
                       updated_at=bindparam("now", type_=_ASSETS.c.updated_at.type)))
# RETURNING the due date as it is when the row is closed: an extension approved a moment before counts.
_CLOSE_LOAN = (update(_LOANS).where(_LOANS.c.id == bindparam("loan_id"), _LOANS.c.status == "active")
               .returning(_LOANS.c.due_date))
_EXTENSIONS = LoanExtension.__table__
# A closed loan cannot be extended: its pending extension (at most one) is cancelled with it.
_CANCEL_PENDING_EXTENSION = (update(_EXTENSIONS).where(_EXTENSIONS.c.loan_id == bindparam("of_loan"),
                                                       _EXTENSIONS.c.status == "pending")
                             .values(status="cancelled",
                                     decided_at=bindparam("now", type_=_EXTENSIONS.c.decided_at.type))
                             .returning(_EXTENSIONS.c.id))
_RESERVE_DOCUMENT = Prepared(insert_of(_DOCUMENTS, ("kind", "subject", "filename", "created_at", "created_by"),
                                      media_type="application/pdf").returning(_DOCUMENTS.c.id))
_NAME_DOCUMENT = Prepared(update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("document_id"))
                  .values(subject=bindparam("new_subject", type_=_DOCUMENTS.c.subject.type),
                          filename=bindparam("new_filename", type_=_DOCUMENTS.c.filename.type)))
_CENTERS = Center.__table__


def _labelled(table, prefix: str) -> list:
    return [column.label(f"{prefix}__{column.key}") for column in table.columns]


# The hand-over's asset with its center, and the returned loan with its asset and their centers: one prepared
# statement each, made into objects outside the session (fleet.db.detached), not loaded by the ORM.
_ASSET_CENTER = _CENTERS.alias("asset_center")
_ASSET_BY_TAG = Prepared(select(*_ASSETS.columns, *_labelled(_CENTERS, "center"))
                         .join(_CENTERS, _CENTERS.c.id == _ASSETS.c.center_id)
                         .where(_ASSETS.c.asset_tag == bindparam("tag")))
_LOAN_BY_ID = Prepared(select(*_LOANS.columns, *_labelled(_ASSETS, "asset"), *_labelled(_CENTERS, "center"),
                              *_labelled(_ASSET_CENTER, "asset_center"))
                       .join(_ASSETS, _ASSETS.c.id == _LOANS.c.asset_id)
                       .join(_CENTERS, _CENTERS.c.id == _LOANS.c.center_id)
                       .join(_ASSET_CENTER, _ASSET_CENTER.c.id == _ASSETS.c.center_id)
                       .where(_LOANS.c.id == bindparam("loan_id")))
_ASSET_STATUS = Prepared(select(_ASSETS.c.status).where(_ASSETS.c.id == bindparam("asset_id")))
_LOAN_STATUS = Prepared(select(_LOANS.c.status).where(_LOANS.c.id == bindparam("loan_id")))
_ASSETS_BY_TAGS = select(Asset).where(Asset.asset_tag.in_(bindparam("tags", expanding=True)))
# A batch locks every asset and request it will change, in id order, before its first event.
_LOCK_ASSETS = (select(_ASSETS.c.id).where(_ASSETS.c.asset_tag.in_(bindparam("tags", expanding=True)))
                .order_by(_ASSETS.c.id).with_for_update())
_LOCK_REQUESTS = (select(_REQUESTS.c.id).where(_REQUESTS.c.id.in_(bindparam("request_ids", expanding=True)))
                  .order_by(_REQUESTS.c.id).with_for_update())
_UNITS, _RESERVATIONS = ReservationUnit.__table__, Reservation.__table__
# A loan picked up for a booking: how many of its booking's units are still out.
_UNITS_STILL_OUT = (select(func.count()).select_from(_UNITS.join(_LOANS, _LOANS.c.id == _UNITS.c.loan_id))
                    .where(_UNITS.c.reservation_id == bindparam("reservation_id"), _LOANS.c.status == "active"))
_CLOSE_BOOKING = (update(_RESERVATIONS).where(_RESERVATIONS.c.id == bindparam("reservation_id"),
                                              _RESERVATIONS.c.status == "picked_up")
                  .values(status="returned", closed_at=bindparam("now", type_=_RESERVATIONS.c.closed_at.type),
                          updated_at=bindparam("now", type_=_RESERVATIONS.c.updated_at.type)))
# A booking of the asset for someone else that the loan would overlap: still booked, not over, starting before
# the loan's due day (or running now). The holding statuses are written out, not bound, so that SQLite uses the
# partial index on holding bookings (asset_id, ends_at); one indexed look-up on the hand-over's path.
_BOOKED_FOR_SOMEONE_ELSE = (
    select(_RESERVATIONS.c.starts_at, _RESERVATIONS.c.ends_at)
    .where(_RESERVATIONS.c.asset_id == bindparam("asset_id"),
           # booked, not picked up: said without naming a status the (status, starts_at) index could serve, which
           # SQLite without statistics would rather walk than the asset's index
           text("reservations.status IN ('booked', 'picked_up')"), _RESERVATIONS.c.picked_up_at.is_(None),
           _RESERVATIONS.c.ends_at > bindparam("now", type_=_RESERVATIONS.c.ends_at.type),
           _RESERVATIONS.c.starts_at < bindparam("until", type_=_RESERVATIONS.c.starts_at.type),
           _RESERVATIONS.c.person_uid != bindparam("assignee"))
    .order_by(_RESERVATIONS.c.starts_at).limit(1))
# The hand-over's asset move and booked-asset check in one statement: the asset moves in_stock → on_loan only if
# no booking of it for someone else is in the way. When it does not move, the reads of _check_not_booked and
# _take_asset say why (the common path pays one statement, a refusal three).
_TAKE_IF_NOT_BOOKED = (
    update(_ASSETS)
    .where(_ASSETS.c.id == bindparam("asset_id"), _ASSETS.c.status == "in_stock",
           ~select(_RESERVATIONS.c.id)
           .where(_RESERVATIONS.c.asset_id == bindparam("asset_id"),
                  text("reservations.status IN ('booked', 'picked_up')"), _RESERVATIONS.c.picked_up_at.is_(None),
                  _RESERVATIONS.c.ends_at > bindparam("now", type_=_RESERVATIONS.c.ends_at.type),
                  _RESERVATIONS.c.starts_at < bindparam("until", type_=_RESERVATIONS.c.starts_at.type),
                  _RESERVATIONS.c.person_uid != bindparam("assignee")).exists())
    .values(status="on_loan", updated_at=bindparam("now", type_=_ASSETS.c.updated_at.type)))
# The loan's row, written by a Core INSERT (no unit of work); the answer's Loan is built from the same values.
_LOAN_COLUMNS = tuple(c.key for c in _LOANS.columns if c.key != "id")
_INSERT_LOAN = Prepared(insert_of(_LOANS, _LOAN_COLUMNS).returning(_LOANS.c.id))
# PostgreSQL: the asset's move also draws the ids of the loan and of its handover form, so that the form is
# registered under its final name and both rows go in one statement (the form's INSERT in a CTE): two round trips
# fewer than register, insert, rename. PostgreSQL checks the loan's foreign key to the form at the statement's
# end, when both rows are there.
_TAKE_IF_NOT_BOOKED_DRAWING_IDS = _TAKE_IF_NOT_BOOKED.returning(
    func.nextval(func.pg_get_serial_sequence("loans", "id")),
    func.nextval(func.pg_get_serial_sequence("documents", "id")),
    func.nextval(func.pg_get_serial_sequence("notifications", "id")))
_FORM_COLUMNS = ("id", "kind", "subject", "filename", "media_type", "created_at", "created_by")
_INSERT_LOAN_WITH_FORM = Prepared(insert(_LOANS).values(
    {name: bindparam(f"loan_{name}", type_=_LOANS.c[name].type) for name in ("id", *_LOAN_COLUMNS)},
).add_cte(insert(_DOCUMENTS).values(
    {name: bindparam(f"form_{name}", type_=_DOCUMENTS.c[name].type) for name in _FORM_COLUMNS}).cte("form")))
_RESOLVE_FINDINGS = Prepared(update(_FINDINGS).where(_FINDINGS.c.loan_id == bindparam("of_loan"),
                                                     _FINDINGS.c.resolved_at.is_(None))
                             .values(resolved_at=bindparam("now", type_=_FINDINGS.c.resolved_at.type)))
# A return closes the loan and, in the same statement, says which booking (if any) the loan was picked up for:
# one prepared statement for each set of columns a closing writes (a return's, a loss's).
_BOOKING_OF_LOAN = (
    # named in full: a RETURNING clause names its table's columns bare, and a bare "id" in the subquery would be the
    # unit's own
    select(_UNITS.c.reservation_id).where(literal_column("reservation_units.loan_id") == literal_column("loans.id"))
    .limit(1).scalar_subquery())
_CLOSING: dict[tuple[str, ...], Prepared] = {}
# PostgreSQL: the whole return's writes before its event in one statement (data-modifying WITHs), one round trip
# where SQLite sends five: the return form registered, the loan closed (naming the form and its booking), its pending
# extension cancelled, the asset moved and the leaver findings resolved, each of the last three only if the loan
# was closed (which also takes the loan's row first, the order every writer takes them in); and the id of the
# receipt drawn for the event that names it. No row: the loan was not active. `moved` 0: the asset was not on loan.
_RETURN_COLUMNS = ("status", "returned_at", "received_by", "received_by_name", "return_condition",
                   "accessories_returned", "damage_notes", "data_wiped")
_RETURN_FORM = (insert_of(_DOCUMENTS, ("subject", "filename", "created_by"), kind="return_form",
                          media_type="application/pdf", created_at=bindparam("now", type_=_DOCUMENTS.c.created_at.type))
                .returning(_DOCUMENTS.c.id).cte("form"))
_RETURN_CLOSED = (update(_LOANS).where(_LOANS.c.id == bindparam("loan_id"), _LOANS.c.status == "active")
                  .values({**{name: bindparam(name, type_=_LOANS.c[name].type) for name in _RETURN_COLUMNS},
                           "return_document_id": select(_RETURN_FORM.c.id).scalar_subquery()})
                  .returning(_LOANS.c.due_date, _BOOKING_OF_LOAN.label("reservation_id"), _LOANS.c.id)
                  .cte("closed"))
_IF_CLOSED = select(_RETURN_CLOSED.c.id).exists()
_RETURN_CANCELLED = (update(_EXTENSIONS).where(_EXTENSIONS.c.loan_id == bindparam("loan_id"),
                                               _EXTENSIONS.c.status == "pending", _IF_CLOSED)
                     .values(status="cancelled", decided_at=bindparam("now", type_=_EXTENSIONS.c.decided_at.type))
                     .returning(_EXTENSIONS.c.id).cte("cancelled"))
_RETURN_MOVED = (update(_ASSETS).where(_ASSETS.c.id == bindparam("asset_id"), _ASSETS.c.status == "on_loan", _IF_CLOSED)
                 .values(status=bindparam("new_status", type_=_ASSETS.c.status.type),
                         updated_at=bindparam("now", type_=_ASSETS.c.updated_at.type))
                 .returning(_ASSETS.c.id).cte("moved"))
_RETURN_RESOLVED = (update(_FINDINGS).where(_FINDINGS.c.loan_id == bindparam("loan_id"),
                                            _FINDINGS.c.resolved_at.is_(None), _IF_CLOSED)
                    .values(resolved_at=bindparam("now", type_=_FINDINGS.c.resolved_at.type)).cte("resolved"))
_RETURN_IN_ONE = Prepared(
    select(select(_RETURN_FORM.c.id).scalar_subquery().label("document_id"),
           func.nextval(func.pg_get_serial_sequence("notifications", "id")).label("notification_id"),
           _RETURN_CLOSED.c.due_date, _RETURN_CLOSED.c.reservation_id,
           select(func.array_agg(_RETURN_CANCELLED.c.id)).scalar_subquery().label("cancelled"),
           select(func.count()).select_from(_RETURN_MOVED).scalar_subquery().label("moved"))
    .select_from(_RETURN_CLOSED).add_cte(_RETURN_FORM, _RETURN_CLOSED, _RETURN_CANCELLED, _RETURN_MOVED,
                                         _RETURN_RESOLVED))
# The hand-over's and the return's statements, sent straight to the driver (fleet.db.Prepared).
_TAKE_IF_NOT_BOOKED_DRAWING_IDS = Prepared(_TAKE_IF_NOT_BOOKED_DRAWING_IDS)
_TAKE_IF_NOT_BOOKED = Prepared(_TAKE_IF_NOT_BOOKED)
_CANCEL_PENDING_EXTENSION = Prepared(_CANCEL_PENDING_EXTENSION)
_MOVE_ASSET = Prepared(_MOVE_ASSET)


def _closing(columns: tuple[str, ...]) -> Prepared:
    statement = _CLOSING.get(columns)
    if statement is None:
        statement = _CLOSING[columns] = Prepared(_CLOSE_LOAN.values(
            {name: bindparam(name, type_=_LOANS.c[name].type) for name in columns}).returning(_BOOKING_OF_LOAN))
    return statement


@dataclass(frozen=True)
class HandoverOrder:
    """One device to hand over, as IT staff typed it."""

    asset_tag: str
    assignee: str
    due_date: date | None = None
    request_id: int | None = None
    accessories: list[str] | None = None
    condition: str | None = None
    note: str | None = None


def check_assignee(directory: Directory, uid: str) -> Person:
    """Ask the directory now: unknown, disabled or not eligible means no hand-over (422, saying which)."""
    person = directory.get_person(uid)
    if person is None:
        raise RuleViolation(f"The person {uid!r} does not exist in the directory.", code="assignee-unknown",
                            errors={"assignee": ["The person does not exist in the directory."]})
    if not person.active:
        raise RuleViolation(f"{person.name} ({uid}) is disabled in the directory and cannot receive a device.",
                            code="assignee-disabled", errors={"assignee": ["The person is disabled in the directory."]})
    if not person.eligible:
        raise RuleViolation(f"{person.name} ({uid}) is not eligible to borrow devices.", code="assignee-not-eligible",
                            errors={"assignee": ["The person is not eligible to borrow devices."]})
    return person


def _due_date(order: HandoverOrder, now: datetime) -> date:
    today = local_today(now)
    if order.due_date is None:
        return today + timedelta(days=current_app.config["FLEET_LOAN_DAYS"])
    if order.due_date < today:
        raise ValidationFailed("The due date is in the past.", errors={"due_date": ["Must be today or later."]})
    return order.due_date


def _asset_for_handover(tag: str) -> Asset:
    """The asset and its center, as objects outside the session (fleet.db.detached): the hand-over changes them by
    Core statements only."""
    row = run(_ASSET_BY_TAG, {"tag": tag.strip().upper()}).one_or_none()
    if row is None:
        raise NotFound(f"No asset has the tag {tag!r}.")
    return detached(Asset, columns_of(row), center=detached(Center, columns_of(row, "center__")))


def _moved(asset: Asset, expected: str, new: str, now: datetime) -> bool:
    """Move the asset only if it still is `expected`: one winner under concurrency."""
    result = run(_MOVE_ASSET, {"asset_id": asset.id, "expected": expected, "new_status": new, "now": now})
    if result.rowcount != 1:
        set_committed_value(asset, "status", run(_ASSET_STATUS, {"asset_id": asset.id}).scalar_one())
        return False
    _set_moved(asset, new, now)
    return True


def _set_moved(asset: Asset, new: str, now: datetime) -> None:
    """What a move of the asset wrote, set on the object in hand (no read back)."""
    set_committed_value(asset, "status", new)
    set_committed_value(asset, "updated_at", now)


def booking_in_the_way(asset_id: int, assignee_uid: str, due: date, now: datetime):
    """The first booking of the asset for another person that a loan due on `due` would keep it from: running
    now, or starting before the due day (a loan due on the day a booking starts is fine, as when booking).
    A row with `starts_at` and `ends_at`, or None."""
    return run(_BOOKED_FOR_SOMEONE_ELSE, {"asset_id": asset_id, "now": now, "until": _until(due, now),
                                          "assignee": assignee_uid}).first()


def _check_not_booked(asset: Asset, assignee_uid: str, due: date, now: datetime) -> None:
    """Refuse a hand-over that would keep the asset from someone who booked it. The pick-up of a booking hands
    over to its own person, so its own booking is never in the way."""
    booked = booking_in_the_way(asset.id, assignee_uid, due, now)
    if booked is not None:
        period = f"{format_local(booked.starts_at)} – {format_local(booked.ends_at)}"
        raise Conflict(f"Asset {asset.asset_tag} is booked for someone else {period}: hand it over due before "
                       "that booking starts, or hand over another asset.", code="asset-booked",
                       errors={"asset_tag": [f"Booked {period}."]})


def _until(due: date, now: datetime) -> datetime:
    return max(datetime.combine(due, time(0), tzinfo=local_zone()), now + timedelta(microseconds=1))


def _take_asset_if_not_booked(asset: Asset, assignee_uid: str, due: date, now: datetime, *,
                              draw_ids: bool = False) -> tuple[int, int, int] | None:
    """Move the asset in_stock → on_loan unless a booking for someone else is in the way: one statement; when it
    does not move, the booked check and the move again, to refuse with the right reason. `draw_ids` (PostgreSQL):
    the same statement draws the ids of the loan, its handover form and its receipt, answered as (loan_id,
    document_id, notification_id)."""
    params = {"asset_id": asset.id, "now": now, "until": _until(due, now), "assignee": assignee_uid}
    if draw_ids:
        drawn = run(_TAKE_IF_NOT_BOOKED_DRAWING_IDS, params).first()
        moved = drawn is not None
    else:
        drawn, moved = None, run(_TAKE_IF_NOT_BOOKED, params).rowcount == 1
    if moved:
        _set_moved(asset, "on_loan", now)
        return (drawn[0], drawn[1], drawn[2]) if drawn else None
    _check_not_booked(asset, assignee_uid, due, now)
    _take_asset(asset, now)
    return None


def _take_asset(asset: Asset, now: datetime) -> None:
    """Move the asset in_stock → on_loan only if it still is in stock."""
    if not _moved(asset, "in_stock", "on_loan", now):
        raise Conflict(f"Asset {asset.asset_tag} is {asset.status}, not in_stock: it cannot be handed over.",
                       code="asset-not-in-stock")


def _reserve_document(kind: str, subject: str | None, filename: str, actor: str, now: datetime) -> int:
    """Register a form to be rendered on first download; answers its id."""
    return run(_RESERVE_DOCUMENT, {"kind": kind, "subject": subject, "filename": filename, "created_at": now,
                                   "created_by": actor}).scalar_one()


def _request_to_fulfil(request_id: int | None) -> LoanRequest | None:
    """The request a hand-over names, looked up before anything is written (its id is a foreign key)."""
    if request_id is None:
        return None
    try:
        return request_service.get_request(request_id)
    except NotFound:
        raise ValidationFailed(f"There is no request {request_id}.",
                               errors={"request_id": ["Unknown request."]}) from None


def _hand_over_one(person: Person, order: HandoverOrder, actor: Principal, now: datetime,
                   batch: LoanBatch | None = None, notify: bool = True, asset: Asset | None = None) -> Loan:
    """`asset`: the order's asset when the caller has read it already (a batch reads all of its assets at once)."""
    due = _due_date(order, now)
    request = _request_to_fulfil(order.request_id)
    asset = asset or _asset_for_handover(order.asset_tag)
    tag = asset.asset_tag
    on_postgresql = dialect_name() == "postgresql"
    drawn = _take_asset_if_not_booked(asset, person.uid, due, now, draw_ids=on_postgresql and batch is None)
    accessories = list(asset.accessories or []) if order.accessories is None else list(order.accessories)
    values = dict.fromkeys(_LOAN_COLUMNS) | {
        "asset_id": asset.id, "center_id": asset.center_id, "status": "active", "assignee_uid": person.uid,
        "assignee_name": person.name, "assignee_employee_number": person.employee_number,
        "assignee_department": person.department, "assignee_email": person.email, "issued_by": actor.uid,
        "issued_by_name": actor.name, "checked_out_at": now, "due_date": due, "request_id": order.request_id,
        "batch_id": batch.id if batch else None, "accessories_out": accessories, "condition_out": order.condition,
        "note": order.note}
    notification_id = None
    if drawn is not None:
        loan_id, document_id, notification_id = drawn
        form = {"id": document_id, "kind": "handover_form", "subject": f"loan:{loan_id}",
                "filename": f"handover-{format_loan_number(local_time(now).year, loan_id)}.pdf",
                "media_type": "application/pdf", "created_at": now, "created_by": actor.uid}
        loan = _insert_loan(values | {"handover_document_id": document_id}, tag, loan_id=loan_id, form=form)
    else:
        document_id = None
        if batch is None:
            document_id = _reserve_document("handover_form", None, "handover.pdf", actor.uid, now)
        loan = _insert_loan(values | {"handover_document_id": document_id}, tag)
        if document_id is not None:
            run(_NAME_DOCUMENT, {"document_id": document_id, "new_subject": f"loan:{loan.id}",
                                 "new_filename": f"handover-{loan.number}.pdf"})
    set_committed_value(loan, "asset", asset)  # the objects in hand, not a read of them
    set_committed_value(loan, "center", asset.center)
    set_committed_value(loan, "batch", batch)
    if request is not None:
        request_service.mark_fulfilled(request, loan_id=loan.id, assignee_uid=person.uid, category=asset.category,
                                       actor=actor.uid, now=now)
    # The receipt is decided here, in the hand-over's transaction; a batch's form lists other people, so a
    # batch loan's receipt goes without it.
    # The outbox row is written with the event that names it (one statement on PostgreSQL, its id drawn with the
    # asset's move; when a request was fulfilled, its own mail was queued since: the receipt's id is drawn again
    # then, so that the person's mails go out in the order they happened).
    append_event(actor.uid, "loan.handed_over", "loan", loan.id, at=now, after={
        "number": loan.number, "asset_tag": asset.asset_tag, "asset_status": {"before": "in_stock", "after": "on_loan"},
        "assignee": person.uid, "due_date": due, "request_id": order.request_id,
        "batch_id": batch.id if batch else None, "accessories": accessories,
    }, notification=notifications.row_for_person(
        "handover_receipt", person, now=now, data={"loan_id": loan.id}, document_id=document_id,
        notification_id=notification_id if request is None else None) if notify else None)
    return loan


def _insert_loan(values: dict, tag: str, *, loan_id: int | None = None, form: dict | None = None) -> Loan:
    """Write the loan with one Core INSERT and answer it as a Loan built from the same values, outside the session
    (fleet.db.detached: no read back, no unit of work; the caller sets its asset and center). The unique index on
    open loans refuses a second one. `loan_id` and `form` (PostgreSQL): the ids drawn by the asset's move, and the
    handover form's row, written in the same statement."""
    try:
        if form is not None:
            run(_INSERT_LOAN_WITH_FORM, {**{f"loan_{k}": v for k, v in values.items()}, "loan_id": loan_id,
                                         **{f"form_{k}": v for k, v in form.items()}})
        else:
            loan_id = run(_INSERT_LOAN, values).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"Asset {tag} is already on an open loan.", code="asset-on-loan") from exc
    return detached(Loan, {"id": loan_id, **values})


def hand_over(directory: Directory, order: HandoverOrder, actor: Principal, now: datetime | None = None, *,
              attach: bool = True) -> Loan:
    """Hand one in-stock asset to a person the directory says is active and eligible, now.

    `attach`: answer the loan in the session, for a caller that goes on changing it or relates other objects to
    it; False: as written, outside the session (fleet.db.detached), for an answer that only shows it (the API's
    hand-over: some 0.1 ms less)."""
    person = check_assignee(directory, order.assignee)
    loan = _hand_over_one(person, order, actor, now or utcnow())
    return _attached(loan) if attach else loan


def hand_over_checked(person: Person, order: HandoverOrder, actor: Principal, *, now: datetime,
                      notify: bool = True) -> Loan:
    """Hand over to a person the caller has just checked in the directory (a swap), in the caller's unit of work;
    `notify`: mail the handover receipt (a swap sends one mail of its own instead). The loan is in the session."""
    return _attached(_hand_over_one(person, order, actor, now, notify=notify))


def _attached(loan: Loan) -> Loan:
    """The session's own loan for one built outside it, with its asset and center (no read: their values are
    known)."""
    return db.session.merge(loan, load=False)


def hand_over_many(directory: Directory, orders: list[HandoverOrder], actor: Principal, note: str | None = None,
                   now: datetime | None = None) -> LoanBatch:
    """An emergency hand-over of many devices: all or none, with one batch form.

    Every assignee is checked first; any refusal names its row and nothing is written.
    """
    if not orders:
        raise ValidationFailed("List at least one loan.", errors={"loans": ["Must not be empty."]})
    tags = [o.asset_tag.strip().upper() for o in orders]
    duplicates = sorted({t for t in tags if tags.count(t) > 1})
    if duplicates:
        raise ValidationFailed(f"An asset can be handed over only once: {', '.join(duplicates)}.",
                               errors={f"loans.{i}.asset_tag": ["Listed twice."] for i, t in enumerate(tags)
                                       if t in duplicates})
    people: dict[str, Person] = {}
    for i, order in enumerate(orders):
        if order.assignee not in people:
            try:
                people[order.assignee] = check_assignee(directory, order.assignee)
            except RuleViolation as exc:
                raise RuleViolation(f"Row {i + 1}: {exc.detail}", code=exc.code,
                                    errors={f"loans.{i}.assignee": [exc.detail]}) from exc
    now = now or utcnow()
    _lock_rows_of_batch(tags, [o.request_id for o in orders if o.request_id is not None])
    document_id = _reserve_document("batch_handover_form", None, "batch-handover.pdf", actor.uid, now)
    batch = LoanBatch(issued_by=actor.uid, issued_by_name=actor.name, note=note, created_at=now,
                      document_id=document_id)
    db.session.add(batch)
    db.session.flush()
    run(_NAME_DOCUMENT, {"document_id": document_id, "new_subject": f"batch:{batch.id}",
                         "new_filename": f"batch-handover-{batch.number}.pdf"})
    assets = {a.asset_tag: a for a in db.session.execute(_ASSETS_BY_TAGS, {"tags": tags}).scalars()}
    for i, order in enumerate(orders):
        try:
            _hand_over_one(people[order.assignee], order, actor, now, batch=batch, asset=assets.get(tags[i]))
        except (Conflict, NotFound, ValidationFailed, RuleViolation) as exc:
            errors = {f"loans.{i}.{field}": msgs for field, msgs in (exc.errors or {"asset_tag": [exc.detail]}).items()}
            raise type(exc)(f"Row {i + 1}: {exc.detail} Nothing was handed over.", code=exc.code,
                            errors=errors) from exc
    return batch


def lock_assets(tags: list[str]) -> None:
    """Lock these assets' rows in id order (PostgreSQL), before the first event of the unit of work."""
    run(_LOCK_ASSETS, {"tags": tags})


def _lock_rows_of_batch(tags: list[str], request_ids: list[int]) -> None:
    """Lock the batch's assets and requests up front, in id order (PostgreSQL; SQLite has one writer anyway).

    Every writer takes its rows first and the event head last. A batch appends an event per
    row, so locking row n + 1 only when it gets there would hold the head while it waits
    for a row that a single hand-over (or a request's cancellation) holds while it waits
    for the head: a deadlock, which PostgreSQL breaks by failing one of them.
    """
    run(_LOCK_ASSETS, {"tags": tags})
    if request_ids:
        run(_LOCK_REQUESTS, {"request_ids": [i for i in request_ids if 0 < i <= MAX_ID]})


def _close_loan(loan: Loan, values: dict, now: datetime) -> tuple[int | None, list[int]]:
    """Close the loan only if it still is active (one winner); the SET clause is `values`' columns.

    The loan's row first, then its pending extension, which is cancelled (the order an extension's approval takes
    them in too). Answers the booking the loan was picked up for, if any (read by the closing statement), and the
    ids of the extensions cancelled, whose events come after the caller's own (the event log's head is taken last,
    after every row).
    """
    closed = run(_closing(tuple(values)), {"loan_id": loan.id, **values}).first()
    if closed is None:
        raise _already_closed(loan)
    _set_closed(loan, values, closed.due_date)
    return closed[1], list(run(_CANCEL_PENDING_EXTENSION, {"of_loan": loan.id, "now": now}).scalars())


def _already_closed(loan: Loan) -> Conflict:
    """The refusal of a loan that another change closed first (its status read again, to say which)."""
    set_committed_value(loan, "status", run(_LOAN_STATUS, {"loan_id": loan.id}).scalar_one())
    return Conflict(f"Loan {loan.number} is already {loan.status}.", code="loan-closed")


def _set_closed(loan: Loan, values: dict, due_date: date) -> None:
    """What the closing wrote, set on the loan in hand; the due date as the closing read it."""
    for name, value in values.items():
        set_committed_value(loan, name, value)
    set_committed_value(loan, "due_date", due_date)


def _return_in_one(loan: Loan, closing: dict, new_status: str, actor: Principal,
                   now: datetime) -> tuple[int, int, int | None, list[int]]:
    """The return's writes before its event on PostgreSQL (_RETURN_IN_ONE): answers the return form's id, the
    receipt's id, the booking the loan was picked up for and the extensions cancelled, as the SQLite path does;
    refuses as it does (the form's row then goes with the rollback)."""
    done = run(_RETURN_IN_ONE, {**closing, "loan_id": loan.id, "asset_id": loan.asset.id, "new_status": new_status,
                                "now": now, "subject": f"loan:{loan.id}", "filename": f"return-{loan.number}.pdf",
                                "created_by": actor.uid}).first()
    if done is None:
        raise _already_closed(loan)
    if not done.moved:
        set_committed_value(loan.asset, "status", run(_ASSET_STATUS, {"asset_id": loan.asset.id}).scalar_one())
        raise _status_changed(loan.asset, "on_loan")
    _set_closed(loan, {**closing, "return_document_id": done.document_id}, done.due_date)
    _set_moved(loan.asset, new_status, now)
    return done.document_id, done.notification_id, done.reservation_id, list(done.cancelled or [])


def _record_cancelled_extensions(extension_ids: list[int], loan: Loan, actor: str, now: datetime) -> None:
    for extension_id in extension_ids:
        append_event(actor, "extension.cancelled", "extension", extension_id, at=now, before={"status": "pending"},
                     after={"status": "cancelled", "loan": loan.number, "why": f"loan {loan.status}"})


def _move_asset(asset: Asset, expected: str, new: str, now: datetime) -> None:
    if not _moved(asset, expected, new, now):
        raise _status_changed(asset, expected)


def _status_changed(asset: Asset, expected: str) -> Conflict:
    return Conflict(f"Asset {asset.asset_tag} is {asset.status}, not {expected}.", code="asset-status-changed")


def status_after_return(asset: Asset, condition: str, data_wiped: bool) -> str:
    """Damaged → in_repair; a laptop whose data is not wiped → quarantine; otherwise in_stock."""
    if condition == "damaged":
        return "in_repair"
    if asset.category == "laptop" and not data_wiped:
        return "quarantine"
    return "in_stock"


def take_back(loan: Loan, actor: Principal, *, condition: str, accessories_returned: list[str],
              data_wiped: bool, damage_notes: str | None = None, now: datetime | None = None,
              notify: bool = True) -> Loan:
    """Close an active loan: record what came back and send the asset where it belongs (`notify`: mail the return
    receipt; a swap sends one mail of its own instead)."""
    if condition not in ("good", "damaged"):
        raise ValidationFailed("The condition must be good or damaged.", errors={"condition": ["good or damaged"]})
    if condition == "damaged" and not (damage_notes or "").strip():
        raise ValidationFailed("Describe the damage.", errors={"damage_notes": ["Required when damaged."]})
    handed = list(loan.accessories_out or [])
    unknown = [a for a in accessories_returned if a not in handed]
    if unknown:
        raise ValidationFailed(f"These were not handed over with the loan: {', '.join(unknown)}.",
                               errors={"accessories_returned": [f"Not handed over: {a}" for a in unknown]})
    now = now or utcnow()
    new_status = status_after_return(loan.asset, condition, data_wiped)
    closing = {"status": "returned", "returned_at": now, "received_by": actor.uid, "received_by_name": actor.name,
               "return_condition": condition, "accessories_returned": list(dict.fromkeys(accessories_returned)),
               "damage_notes": damage_notes, "data_wiped": data_wiped}
    if dialect_name() == "postgresql":
        document_id, notification_id, reservation_id, cancelled = _return_in_one(loan, closing, new_status, actor,
                                                                                 now)
    else:
        notification_id = None  # the receipt's INSERT answers it
        document_id = _reserve_document("return_form", f"loan:{loan.id}", f"return-{loan.number}.pdf", actor.uid,
                                        now)
        reservation_id, cancelled = _close_loan(loan, closing | {"return_document_id": document_id}, now)
        _move_asset(loan.asset, "on_loan", new_status, now)
        _resolve_leaver_findings(loan, now)
    missing = [a for a in handed if a not in accessories_returned]
    append_event(actor.uid, "loan.returned", "loan", loan.id, at=now, before={"status": "active"}, after={
        "status": "returned", "asset_tag": loan.asset.asset_tag,
        "asset_status": {"before": "on_loan", "after": new_status}, "condition": condition,
        "accessories_missing": missing, "data_wiped": data_wiped, "days_overdue": days_overdue(loan, now),
    }, notification=notifications.row_for_uid(
        "return_receipt", loan.assignee_uid, now=now, data={"loan_id": loan.id}, name=loan.assignee_name,
        address=loan.assignee_email, document_id=document_id, notification_id=notification_id) if notify else None)
    _record_cancelled_extensions(cancelled, loan, actor.uid, now)
    _close_booking_of(loan, reservation_id, actor.uid, now)
    return loan


def mark_lost(loan: Loan, actor: Principal, reason: str, now: datetime | None = None) -> Loan:
    """A device reported lost: the loan closes as lost and the asset becomes lost."""
    if not (reason or "").strip():
        raise ValidationFailed("Say why the device is lost.", errors={"reason": ["Required."]})
    now = now or utcnow()
    reservation_id, cancelled = _close_loan(loan, {"status": "lost", "returned_at": now, "received_by": actor.uid,
                                                   "received_by_name": actor.name}, now)
    _move_asset(loan.asset, "on_loan", "lost", now)
    _resolve_leaver_findings(loan, now)
    append_event(actor.uid, "loan.lost", "loan", loan.id, at=now, before={"status": "active"}, after={
        "status": "lost", "asset_tag": loan.asset.asset_tag, "asset_status": {"before": "on_loan", "after": "lost"},
        "reason": reason,
    })
    _record_cancelled_extensions(cancelled, loan, actor.uid, now)
    _close_booking_of(loan, reservation_id, actor.uid, now)
    return loan


def _resolve_leaver_findings(loan: Loan, now: datetime) -> None:
    run(_RESOLVE_FINDINGS, {"of_loan": loan.id, "now": now})


def _close_booking_of(loan: Loan, reservation_id: int | None, actor: str, now: datetime) -> None:
    """A loan picked up for a booking (`reservation_id`) closed: once every unit of that booking is back, the
    booking is returned."""
    if reservation_id is None or run(_UNITS_STILL_OUT, {"reservation_id": reservation_id}).scalar_one():
        return
    if run(_CLOSE_BOOKING, {"reservation_id": reservation_id, "now": now}).rowcount == 1:
        append_event(actor, "reservation.returned", "reservation", reservation_id, at=now,
                     before={"status": "picked_up"}, after={"status": "returned", "last_loan": loan.number})


def days_overdue(loan: Loan, now: datetime | None = None) -> int:
    """Whole days past the due date, judged in the local time zone; 0 when on time."""
    end = loan.returned_at or now or utcnow()
    return max(0, (local_today(end) - loan.due_date).days)


def is_overdue(loan: Loan, now: datetime | None = None) -> bool:
    return loan.status == "active" and loan.due_date < local_today(now)


def overdue_condition(now: datetime | None = None):
    """The SQL side of `is_overdue`: still active and past its due date, judged in the local time zone."""
    return and_(Loan.status == "active", Loan.due_date < local_today(now))


def get_loan(loan_id: int) -> Loan:
    loan = db.session.get(Loan, loan_id)
    if loan is None:
        raise NotFound(f"There is no loan {loan_id}.")
    return loan


_LOAN_WITH_ASSET = (select(Loan).where(Loan.id == bindparam("loan_id"))
                    .options(joinedload(Loan.asset).lazyload(Asset.center)))


def _loan_id_of(ref: str) -> int | None:
    loan_id = int(ref) if ref.isdigit() else parse_loan_number(ref)
    return loan_id if loan_id is not None and loan_id <= MAX_ID else None


def _check_ref(loan: Loan | None, ref: str) -> Loan:
    if loan is None or (not ref.isdigit() and loan.number != ref.strip().upper()):
        raise NotFound(f"There is no loan {ref!r}.")
    return loan


def get_loan_by_ref(ref: str) -> Loan:
    """A loan by id (`42`) or by number (`L-2026-000042`), in the session."""
    loan_id = _loan_id_of(ref)
    return _check_ref(None if loan_id is None else
                      db.session.execute(_LOAN_WITH_ASSET, {"loan_id": loan_id}).scalar_one_or_none(), ref)


def read_loan(ref: str) -> Loan:
    """A loan by id or number with its asset and their centers, read by one prepared statement into objects
    outside the session (fleet.db.detached): for the API's answers about one loan and its return or loss, which
    change it by Core statements only. Reading any other relationship of it raises DetachedInstanceError.

    Read alone (fleet.db.read_alone), before the view's unit of work: on SQLite the write lock of a return or a
    loss is then not held while the loan is read and checked. They close it only if it is still active, and move
    its asset only if it is still on loan (one winner), so a change in between is refused, not overwritten."""
    loan_id = _loan_id_of(ref)
    row = None if loan_id is None else read_alone(_LOAN_BY_ID, {"loan_id": loan_id}).one_or_none()
    if row is None:
        return _check_ref(None, ref)
    center = detached(Center, columns_of(row, "center__"))
    asset_center = center if row.asset__center_id == center.id else \
        detached(Center, columns_of(row, "asset_center__"))
    asset = detached(Asset, columns_of(row, "asset__"), center=asset_center)
    return _check_ref(detached(Loan, columns_of(row), asset=asset, center=center), ref)


def get_active_loan_for_asset(tag: str) -> Loan:
    loan = db.session.execute(
        select(Loan).join(Loan.asset).where(Asset.asset_tag == tag.strip().upper(), Loan.status == "active")
    ).scalar_one_or_none()
    if loan is None:
        raise NotFound(f"Asset {tag!r} is not on an open loan.")
    return loan


def check_can_read(loan: Loan, principal: Principal) -> None:
    """Employees see only their own loans (others look like they don't exist)."""
    if not principal.has("it", "auditor") and loan.assignee_uid != principal.uid:
        raise NotFound(f"There is no loan {loan.id}.")


def list_loans(principal: Principal, *, active: bool | None = None, overdue: bool | None = None,
               assignee: str | None = None, center: str | None = None, limit: int = 50,
               cursor: str | None = None, now: datetime | None = None) -> Page:
    """Loans, newest first, keyset-paginated on id. Employees see their own only."""
    query = select(Loan)
    if not principal.has("it", "auditor"):
        query = query.where(Loan.assignee_uid == principal.uid)
    elif assignee:
        query = query.where(Loan.assignee_uid == assignee)
    if active is True:
        query = query.where(Loan.status == "active")
    elif active is False:
        query = query.where(Loan.status != "active")
    if overdue is not None:
        condition = overdue_condition(now)
        query = query.where(condition if overdue else ~condition)
    if center:
        if not db.session.execute(select(exists().where(Center.code == center))).scalar():
            raise ValidationFailed(f"There is no center {center!r}.", errors={"center": ["Unknown center."]})
        query = query.where(Loan.center_id == select(Center.id).where(Center.code == center).scalar_subquery())
    key = decode_cursor(cursor)
    if key:
        query = query.where(Loan.id < key[0])
    rows = list(db.session.execute(query.order_by(Loan.id.desc()).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda loan: [loan.id])


def get_batch(batch_id: int) -> LoanBatch:
    """An emergency batch by id (NotFound when there is none)."""
    batch = db.session.get(LoanBatch, batch_id) if 0 < batch_id <= MAX_ID else None
    if batch is None:
        raise NotFound(f"There is no batch {batch_id}.")
    return batch


def loans_of_batch(batch: LoanBatch) -> list[Loan]:
    return list(db.session.execute(select(Loan).where(Loan.batch_id == batch.id).order_by(Loan.id)).scalars())
