"""Reservations: a center's equipment booked ahead, picked up at the desk, released when nobody comes.

Rules enforced here:
- a booking holds [starts_at, ends_at) (UTC moments; people type local times in FLEET_TIMEZONE) while it is
  `booked` or `picked_up`; back-to-back periods (one's end is the next's start) do not overlap;
- start < end, the start not in the past (a whole day may start today), at most FLEET_MAX_BOOKING_DAYS long;
- two holding bookings of one asset never overlap: on PostgreSQL an exclusion constraint decides (the check
  below only names the period), on SQLite the check runs inside the request's one write transaction
  (BEGIN IMMEDIATE: one writer at a time);
- a booking never overlaps an active loan of its asset due after the start's day;
- at no moment of a period do a center's bookings of a category hold more units than it has usable
  (not retired, lost or in repair, and not on a loan due after that moment's day); checked with the
  center's row locked (PostgreSQL), so two bookings of the last unit cannot both pass;
- employees book categories for themselves, when the directory says they are active and eligible; IT staff
  book specific assets and for anyone;
- refusals name the conflicting period, never another person's name to an employee;
- every change appends an event, without the purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Date, bindparam, cast, func, literal_column, null, or_, select, text, union_all, update
from sqlalchemy.exc import IntegrityError

from fleet.clock import check_days, format_local, local_today, local_zone
from fleet.db import MAX_ID, run, utcnow
from fleet.directory.base import Directory, Person
from fleet.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from fleet.extensions import db
from fleet.models import CATEGORIES, Asset, Center, Loan, Reservation, ReservationUnit
from fleet.services import loans as loan_service
from fleet.services import notifications
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.pagination import Page, decode_cursor, make_page

# Written out, not bound: the partial indexes on holding bookings serve only a query whose WHERE names the same
# statuses literally (SQLite cannot know what a bound parameter will hold).
_HOLDING = text("reservations.status IN ('booked', 'picked_up')")
PURPOSE_MAX = 500
QUANTITY_MAX = 500
UNUSABLE = ("retired", "lost", "in_repair")


# Local times


def local_midnight(day: date) -> datetime:
    """The moment a local day begins (FLEET_TIMEZONE), as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=local_zone())


def due_date_for(ends_at: datetime) -> date:
    """The due date of a loan picked up for a booking: the local day the booking's last moment falls on."""
    return (ends_at - timedelta(microseconds=1)).astimezone(local_zone()).date()


def _when(moment: datetime) -> str:
    return format_local(moment)


def _period(starts_at: datetime, ends_at: datetime) -> str:
    return f"{_when(starts_at)} – {_when(ends_at)}"


# Holds and capacity


@dataclass(frozen=True)
class Hold:
    """Units held from `starts_at` to `ends_at` (None: from before any window)."""

    starts_at: datetime | None
    ends_at: datetime
    quantity: int


_R, _A, _L, _U = Reservation.__table__, Asset.__table__, Loan.__table__, ReservationUnit.__table__
# Availability and capacity run these on every booking and every availability page: built once (see fleet.db.run).
# The three in one round trip (availability is a page's query): the holding bookings first, so that the union's
# columns take their types (UTC times) from them.
_PLACE = union_all(
    select(literal_column("'r'").label("kind"), _R.c.starts_at, _R.c.ends_at, _R.c.quantity,
           cast(null(), Date).label("due_date"))
    .select_from(_R.outerjoin(_A, _A.c.id == _R.c.asset_id))
    .where(_R.c.center_id == bindparam("center_id"), _R.c.category == bindparam("category"), _HOLDING,
           _R.c.ends_at > bindparam("starts_at"), _R.c.starts_at < bindparam("ends_at"),
           or_(_R.c.asset_id.is_(None), _A.c.status.not_in(UNUSABLE))),
    select(literal_column("'l'"), null(), null(), literal_column("1"), _L.c.due_date)
    .select_from(_L.join(_A, _A.c.id == _L.c.asset_id))
    .where(_A.c.center_id == bindparam("center_id"), _A.c.category == bindparam("category"),
           _A.c.status.not_in(UNUSABLE), _L.c.status == "active", _L.c.due_date > bindparam("first_day"),
           ~select(_U.c.id).where(_U.c.loan_id == _L.c.id).exists()),
    select(literal_column("'u'"), null(), null(), func.count(), null()).select_from(_A)
    .where(_A.c.center_id == bindparam("center_id"), _A.c.category == bindparam("category"),
           _A.c.status.not_in(UNUSABLE)),
)


def place_state(center_id: int, category: str, starts_at: datetime, ends_at: datetime) -> tuple[int, list[Hold]]:
    """A center's usable units of a category, and what holds them during [starts_at, ends_at).

    Holding bookings (a specific asset counts only while it is usable: a retired one is flagged for the desk,
    not counted twice), and loans that are not a booking's pick-up, until the local day they are due.
    """
    first_day = starts_at.astimezone(local_zone()).date()
    units, holds = 0, []
    for kind, s, e, quantity, due in run(_PLACE, {"center_id": center_id, "category": category,
                                                  "starts_at": starts_at, "ends_at": ends_at,
                                                  "first_day": first_day}):
        if kind == "r":
            holds.append(Hold(s, e, quantity))
        elif kind == "l":
            holds.append(Hold(None, local_midnight(due), 1))
        else:
            units = quantity
    return units, holds


@dataclass(frozen=True)
class Segment:
    starts_at: datetime
    ends_at: datetime
    held: int


def timeline(holds: list[Hold], starts_at: datetime, ends_at: datetime) -> list[Segment]:
    """[starts_at, ends_at) cut where the number of held units changes; each piece with that number."""
    changes: dict[datetime, int] = {}
    for hold in holds:
        start = max(hold.starts_at or starts_at, starts_at)
        end = min(hold.ends_at, ends_at)
        if start >= end:
            continue
        changes[start] = changes.get(start, 0) + hold.quantity
        changes[end] = changes.get(end, 0) - hold.quantity
    points = sorted({starts_at, ends_at, *changes})
    segments, held = [], 0
    for a, b in zip(points, points[1:], strict=False):
        held += changes.get(a, 0)
        if a >= starts_at and b <= ends_at and a < b:
            if segments and segments[-1].held == held:
                segments[-1] = Segment(segments[-1].starts_at, b, held)
            else:
                segments.append(Segment(a, b, held))
    return segments


def _check_capacity(center: Center, category: str, quantity: int, starts_at: datetime, ends_at: datetime) -> None:
    usable, holds = place_state(center.id, category, starts_at, ends_at)
    if quantity > usable:
        raise Conflict(f"{center.name} has {usable} usable {category} unit(s); {quantity} cannot be booked.",
                       code="reservation-capacity", errors={"quantity": [f"At most {usable}."]})
    for segment in timeline(holds, starts_at, ends_at):
        if segment.held + quantity > usable:
            free = max(0, usable - segment.held)
            raise Conflict(f"Only {free} of {usable} {category} unit(s) at {center.name} are free from "
                           f"{_period(segment.starts_at, segment.ends_at)}.", code="reservation-capacity",
                           errors={"starts_at": [f"Booked up {_period(segment.starts_at, segment.ends_at)}."]})


def _overlapping_asset_booking(asset_id: int, starts_at: datetime, ends_at: datetime) -> Reservation | None:
    return db.session.execute(
        select(Reservation).where(Reservation.asset_id == asset_id, _HOLDING,
                                  Reservation.starts_at < ends_at, Reservation.ends_at > starts_at)
        .order_by(Reservation.starts_at).limit(1)).scalars().first()


def _asset_conflict(other: Reservation, asset: Asset, principal: Principal) -> Conflict:
    who = f" by {other.person_name} ({other.person_uid})" if principal.has("it") else ""
    return Conflict(f"Asset {asset.asset_tag} is booked{who} from {_period(other.starts_at, other.ends_at)}.",
                    code="reservation-overlap",
                    errors={"starts_at": [f"Overlaps the booking {_period(other.starts_at, other.ends_at)}."]})


def _check_asset_free(asset: Asset, starts_at: datetime, ends_at: datetime, principal: Principal) -> None:
    if asset.status in ("retired", "lost"):
        raise Conflict(f"Asset {asset.asset_tag} is {asset.status}: it cannot be booked.", code="asset-unusable",
                       errors={"asset_tag": [f"The asset is {asset.status}."]})
    if asset.status == "in_repair":
        raise Conflict(f"Asset {asset.asset_tag} is in repair: it cannot be booked.", code="asset-unusable",
                       errors={"asset_tag": ["The asset is in repair."]})
    other = _overlapping_asset_booking(asset.id, starts_at, ends_at)
    if other is not None:
        raise _asset_conflict(other, asset, principal)
    loan = db.session.execute(select(Loan).where(Loan.asset_id == asset.id, Loan.status == "active")).scalars().first()
    if loan is not None and loan.due_date > starts_at.astimezone(local_zone()).date():
        raise Conflict(f"Asset {asset.asset_tag} is on loan until {loan.due_date}; the booking starts "
                       f"{_when(starts_at)}.", code="reservation-on-loan",
                       errors={"starts_at": [f"The asset is on loan until {loan.due_date}."]})


# Booking


def _lock_center(center_id: int) -> None:
    """Serialise a center's bookings: capacity is counted, then written, with no other booking in between.

    PostgreSQL locks the center's row until the transaction ends; SQLite has one writer at a time anyway.
    """
    db.session.execute(select(Center.id).where(Center.id == center_id).with_for_update())


def _field_errors(principal: Principal, *, starts_at: datetime, ends_at: datetime, quantity: int,
                  purpose: str | None, person: str | None, asset_tag: str | None, category: str | None,
                  center: str | None, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationFailed("Times need an offset.", errors={"starts_at": ["Aware times only."]})
    if ends_at <= starts_at:
        errors["ends_at"] = ["Must be after starts_at."]
    today_start = local_midnight(local_today(now))
    if starts_at < now and starts_at != today_start:
        errors["starts_at"] = ["Must not be in the past (a whole day may start today)."]
    longest = current_app.config["FLEET_MAX_BOOKING_DAYS"]
    if ends_at - starts_at > timedelta(days=longest):
        errors["ends_at"] = [f"A booking lasts at most {longest} days."]
    if purpose is not None and len(purpose) > PURPOSE_MAX:
        errors["purpose"] = [f"Longer than maximum length {PURPOSE_MAX}."]
    if asset_tag is None and (category is None or center is None):
        errors["asset_tag"] = ["Give an asset tag, or a center and a category."]
    if category is not None and category not in CATEGORIES:
        errors["category"] = [f"Must be one of: {', '.join(CATEGORIES)}."]
    if not 1 <= quantity <= QUANTITY_MAX:
        errors["quantity"] = [f"Must be between 1 and {QUANTITY_MAX}."]
    if asset_tag is not None and quantity != 1:
        errors["quantity"] = ["A booking of one asset has quantity 1."]
    if asset_tag is not None and not principal.has("it"):
        errors["asset_tag"] = ["Only IT staff book a specific asset; book a category."]
    if person is not None and person != principal.uid and not principal.has("it"):
        errors["person"] = ["Only IT staff book for someone else."]
    return errors


def check_person(directory: Directory, uid: str) -> Person:
    """The directory, now: the person must be active and eligible to borrow (422 saying which)."""
    try:
        return loan_service.check_assignee(directory, uid)
    except RuleViolation as exc:
        raise RuleViolation(exc.detail, code=exc.code, errors={"person": list((exc.errors or {}).get(
            "assignee", [exc.detail]))}) from exc


def book(directory: Directory, principal: Principal, *, starts_at: datetime, ends_at: datetime,
         asset_tag: str | None = None, center: str | None = None, category: str | None = None,
         quantity: int = 1, purpose: str | None = None, person: str | None = None,
         now: datetime | None = None) -> Reservation:
    """Book one asset (IT staff) or `quantity` units of a center's category for a period.

    ValidationFailed for bad fields, Forbidden when an employee books an asset or for someone else,
    RuleViolation when the person is not active and eligible in the directory, Conflict naming the
    period when the asset or the category is booked up.
    """
    if not principal.has("it", "employee"):
        raise Forbidden("Only IT staff and employees book equipment.")
    now = now or utcnow()
    check_days(starts_at=starts_at, ends_at=ends_at)
    errors = _field_errors(principal, starts_at=starts_at, ends_at=ends_at, quantity=quantity, purpose=purpose,
                           person=person, asset_tag=asset_tag, category=category, center=center, now=now)
    if errors.keys() & {"asset_tag", "person"} and not principal.has("it") and (
            asset_tag is not None or (person is not None and person != principal.uid)):
        raise Forbidden(" ".join(m for k in ("asset_tag", "person") for m in errors.get(k, [])))
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    # The directory first: no database lock is held while LDAP answers.
    who = check_person(directory, person or principal.uid)
    if asset_tag is not None:
        asset = db.session.execute(select(Asset).where(Asset.asset_tag == asset_tag.strip().upper())).scalar()
        if asset is None:
            raise NotFound(f"No asset has the tag {asset_tag!r}.")
        if center is not None and asset.center.code != center:
            raise ValidationFailed(f"Asset {asset.asset_tag} belongs to {asset.center.code}, not {center}.",
                                   errors={"center": ["Not the asset's center."]})
        if category is not None and asset.category != category:
            raise ValidationFailed(f"Asset {asset.asset_tag} is a {asset.category}, not a {category}.",
                                   errors={"category": ["Not the asset's category."]})
        center_row, category = asset.center, asset.category
    else:
        asset = None
        center_row = db.session.execute(select(Center).where(Center.code == center)).scalar()
        if center_row is None:
            raise ValidationFailed(f"There is no center {center!r}.", errors={"center": ["Unknown center."]})
    _lock_center(center_row.id)
    if asset is not None:
        db.session.refresh(asset)  # its status as it is now, under the lock
        _check_asset_free(asset, starts_at, ends_at, principal)
    _check_capacity(center_row, category, quantity, starts_at, ends_at)
    reservation = Reservation(person_uid=who.uid, person_name=(who.name or who.uid)[:200], center=center_row,
                              asset=asset, category=category, quantity=quantity, starts_at=starts_at,
                              ends_at=ends_at, purpose=purpose, status="booked", booked_by=principal.uid,
                              booked_by_name=principal.name, created_at=now, updated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(reservation)
            db.session.flush()
    except IntegrityError as exc:
        # PostgreSQL's exclusion constraint: a concurrent booking of the asset won.
        other = _overlapping_asset_booking(asset.id, starts_at, ends_at) if asset is not None else None
        if other is not None:
            raise _asset_conflict(other, asset, principal) from exc
        raise Conflict("The asset is booked for an overlapping period.", code="reservation-overlap") from exc
    append_event(principal.uid, "reservation.booked", "reservation", reservation.id, at=now,
                 after=_public(reservation))
    return reservation


def _public(reservation: Reservation) -> dict:
    """What the event log says about a booking: never its purpose."""
    return {"status": reservation.status, "person": reservation.person_uid, "center": reservation.center.code,
            "asset_tag": reservation.asset.asset_tag if reservation.asset else None,
            "category": reservation.category, "quantity": reservation.quantity,
            "starts_at": reservation.starts_at, "ends_at": reservation.ends_at}


# Reading


def get_reservation(reservation_id: int) -> Reservation:
    reservation = db.session.get(Reservation, reservation_id) if 0 < reservation_id <= MAX_ID else None
    if reservation is None:
        raise NotFound(f"There is no reservation {reservation_id}.")
    return reservation


def check_can_read(reservation: Reservation, principal: Principal) -> None:
    """IT staff and auditors see every booking; an employee only their own (others look absent)."""
    if not principal.has("it", "auditor") and principal.uid not in (reservation.person_uid, reservation.booked_by):
        raise NotFound(f"There is no reservation {reservation.id}.")


def can_see_purpose(reservation: Reservation, principal: Principal) -> bool:
    return principal.has("it") or principal.uid in (reservation.person_uid, reservation.booked_by)


def needs_attention(reservation: Reservation) -> str | None:
    """Why the desk should look at a holding booking: its asset became unusable after it was booked."""
    if reservation.status == "booked" and reservation.asset is not None and reservation.asset.status in UNUSABLE:
        return f"asset-{reservation.asset.status.replace('_', '-')}"
    return None


def list_reservations(principal: Principal, *, person: str | None = None, center: str | None = None,
                      status: str | None = None, category: str | None = None, asset_tag: str | None = None,
                      starts_from: datetime | None = None, starts_before: datetime | None = None,
                      limit: int = 50, cursor: str | None = None) -> Page:
    """Bookings, newest first (keyset on id). Employees see their own only."""
    query = select(Reservation)
    if not principal.has("it", "auditor"):
        query = query.where(Reservation.person_uid == principal.uid)
    elif person:
        query = query.where(Reservation.person_uid == person)
    if center:
        center_id = db.session.execute(select(Center.id).where(Center.code == center)).scalar()
        if center_id is None:
            raise ValidationFailed(f"There is no center {center!r}.", errors={"center": ["Unknown center."]})
        query = query.where(Reservation.center_id == center_id)
    if status:
        query = query.where(Reservation.status == status)
    if category:
        query = query.where(Reservation.category == category)
    if asset_tag:
        query = query.where(Reservation.asset_id == select(Asset.id).where(
            Asset.asset_tag == asset_tag.strip().upper()).scalar_subquery())
    if starts_from is not None:
        query = query.where(Reservation.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Reservation.starts_at < starts_before)
    key = decode_cursor(cursor)
    if key:
        if not isinstance(key[0], int):
            raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Not a cursor given by this list."]})
        query = query.where(Reservation.id < key[0])
    rows = list(db.session.execute(query.order_by(Reservation.id.desc()).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda r: [r.id])


def day_list(center: Center, day: date) -> tuple[list[Reservation], list[Reservation]]:
    """The desk's day: bookings to hand over that start that day (or started and still wait), and picked-up
    bookings that end that day."""
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    pick_ups = list(db.session.execute(
        select(Reservation).where(Reservation.center_id == center.id, Reservation.status == "booked",
                                  Reservation.starts_at < end, Reservation.ends_at > start)
        .order_by(Reservation.starts_at, Reservation.id)).scalars())
    returns = list(db.session.execute(
        select(Reservation).where(Reservation.center_id == center.id, Reservation.status == "picked_up",
                                  Reservation.ends_at > start, Reservation.ends_at <= end)
        .order_by(Reservation.ends_at, Reservation.id)).scalars())
    return pick_ups, returns


def bookings_between(center: Center, starts_at: datetime, ends_at: datetime) -> list[Reservation]:
    """A center's holding bookings overlapping a window, for the week's timeline."""
    return list(db.session.execute(
        select(Reservation).where(Reservation.center_id == center.id, _HOLDING,
                                  Reservation.starts_at < ends_at, Reservation.ends_at > starts_at)
        .order_by(Reservation.starts_at, Reservation.id)).scalars())


def count_bookings_by_center(starts_at: datetime, ends_at: datetime) -> dict[int, int]:
    """The number of holding bookings overlapping a window at each center (id → count; centers with none left out)."""
    return dict(db.session.execute(
        select(Reservation.center_id, func.count()).where(_HOLDING, Reservation.starts_at < ends_at,
                                                           Reservation.ends_at > starts_at)
        .group_by(Reservation.center_id)).all())


# Changing


def _move(reservation: Reservation, actor: str, *, from_status: str, to_status: str, action: str, values: dict,
          now: datetime, extra: dict | None = None) -> Reservation:
    """Move the booking only if it still is `from_status`: of two concurrent moves one wins."""
    result = db.session.execute(
        update(Reservation).where(Reservation.id == reservation.id, Reservation.status == from_status)
        .values(status=to_status, updated_at=now, **values).execution_options(synchronize_session=False))
    db.session.refresh(reservation)
    if result.rowcount != 1:
        raise Conflict(f"Reservation {reservation.id} is {reservation.status}; it cannot become {to_status}.",
                       code="reservation-status", errors={"status": [f"The reservation is {reservation.status}."]})
    append_event(actor, action, "reservation", reservation.id, at=now, before={"status": from_status},
                 after={**_public(reservation), **(extra or {})})
    return reservation


def cancel(reservation: Reservation, principal: Principal, now: datetime | None = None) -> Reservation:
    """IT staff, the person or whoever booked it may cancel a booking not yet picked up."""
    if not principal.has("it") and principal.uid not in (reservation.person_uid, reservation.booked_by):
        if principal.has("auditor"):
            raise Forbidden("Only IT staff or the person may cancel a booking.")
        raise NotFound(f"There is no reservation {reservation.id}.")
    now = now or utcnow()
    return _move(reservation, principal.uid, from_status="booked", to_status="cancelled",
                 action="reservation.cancelled", values={"cancelled_by": principal.uid, "closed_at": now}, now=now)


def pick_up(directory: Directory, reservation: Reservation, principal: Principal, *,
            asset_tags: list[str] | None = None, accessories: list[str] | None = None, condition: str | None = None,
            note: str | None = None, now: datetime | None = None) -> list[Loan]:
    """Hand the booked device(s) over in one step: the hand-over's live directory check, forms and events,
    due on the local day the booking ends.

    A booking of one asset hands that asset over; a category booking hands over the `asset_tags` the desk
    scanned: exactly `quantity` units of the category at the center, none held by another booking now.
    """
    now = now or utcnow()
    # The booking's row first, then the assets and the event log (as a cancellation takes them): no deadlock.
    db.session.execute(select(Reservation.id).where(Reservation.id == reservation.id).with_for_update())
    db.session.refresh(reservation)
    if reservation.status != "booked":
        raise Conflict(f"Reservation {reservation.id} is {reservation.status}; it cannot be picked up.",
                       code="reservation-status", errors={"status": [f"The reservation is {reservation.status}."]})
    if local_today(now) < reservation.starts_at.astimezone(local_zone()).date():
        raise Conflict(f"Reservation {reservation.id} starts {_when(reservation.starts_at)}: pick it up from "
                       "that day.", code="reservation-not-started")
    if now >= reservation.ends_at:
        raise Conflict(f"Reservation {reservation.id} ended {_when(reservation.ends_at)}.", code="reservation-ended")
    tags = _units_to_hand_over(reservation, asset_tags or [], now)
    due = due_date_for(reservation.ends_at)
    orders = [loan_service.HandoverOrder(asset_tag=tag, assignee=reservation.person_uid, due_date=due,
                                         accessories=accessories, condition=condition, note=note) for tag in tags]
    if len(orders) == 1:
        loans = [loan_service.hand_over(directory, orders[0], principal, now=now)]
    else:
        batch = loan_service.hand_over_many(directory, orders, principal, note=note, now=now)
        loans = loan_service.loans_of_batch(batch)
    for loan in loans:
        db.session.add(ReservationUnit(reservation=reservation, asset_id=loan.asset_id, loan_id=loan.id))
    db.session.flush()
    _move(reservation, principal.uid, from_status="booked", to_status="picked_up", action="reservation.picked_up",
          values={"picked_up_at": now, "picked_up_by": principal.uid}, now=now,
          extra={"loans": [loan.number for loan in loans], "asset_tags": [loan.asset.asset_tag for loan in loans]})
    return loans


def _units_to_hand_over(reservation: Reservation, asset_tags: list[str], now: datetime) -> list[str]:
    if reservation.asset is not None:
        tag = reservation.asset.asset_tag
        if asset_tags and [t.strip().upper() for t in asset_tags] != [tag]:
            raise ValidationFailed(f"This booking is for asset {tag}.", errors={"asset_tags": [f"Only {tag}."]})
        return [tag]
    tags = list(dict.fromkeys(t.strip().upper() for t in asset_tags))
    if len(tags) != reservation.quantity or len(asset_tags) != len(tags):
        raise ValidationFailed(f"Scan {reservation.quantity} different asset tag(s) for this booking.",
                               errors={"asset_tags": [f"Exactly {reservation.quantity} different tags."]})
    assets = {a.asset_tag: a for a in db.session.execute(select(Asset).where(Asset.asset_tag.in_(tags))).scalars()}
    errors: dict[str, list[str]] = {}
    for i, tag in enumerate(tags):
        asset = assets.get(tag)
        if asset is None:
            errors[f"asset_tags.{i}"] = [f"No asset has the tag {tag}."]
        elif asset.center_id != reservation.center_id or asset.category != reservation.category:
            errors[f"asset_tags.{i}"] = [f"{tag} is not a {reservation.category} of {reservation.center.code}."]
        elif (other := _overlapping_asset_booking(asset.id, now, reservation.ends_at)) is not None:
            errors[f"asset_tags.{i}"] = [f"{tag} is booked {_period(other.starts_at, other.ends_at)}."]
    if errors:
        raise ValidationFailed("Some asset tags cannot be handed over for this booking; see errors.", errors=errors)
    return tags


def release_no_shows(now: datetime | None = None, actor: str = "system") -> list[Reservation]:
    """Bookings not picked up within FLEET_NO_SHOW_HOURS of their start (or by their end) become no_show:
    the hold is released, and the person it was for is mailed (`booking_released`) in the same transaction."""
    now = now or utcnow()
    hours = current_app.config["FLEET_NO_SHOW_HOURS"]
    due = list(db.session.execute(
        select(Reservation).where(Reservation.status == "booked",
                                  or_(Reservation.starts_at <= now - timedelta(hours=hours),
                                      Reservation.ends_at <= now))
        .order_by(Reservation.id)).scalars())
    released = []
    for reservation in due:
        try:
            with db.session.begin_nested():
                # The person is told in the release's transaction: a release rolled back queues nothing.
                nid = notifications.queue_for_uid("booking_released", reservation.person_uid, now=now,
                                                  data={"reservation_id": reservation.id},
                                                  name=reservation.person_name)
                _move(reservation, actor, from_status="booked", to_status="no_show", action="reservation.no_show",
                      values={"closed_at": now}, now=now, extra={"notification_id": nid})
            released.append(reservation)
        except Conflict:
            continue  # picked up or cancelled meanwhile
    return released


# Availability


@dataclass(frozen=True)
class FreePeriod:
    starts_at: datetime
    ends_at: datetime
    free: int


@dataclass(frozen=True)
class AssetAvailability:
    asset_tag: str
    status: str
    free: list[FreePeriod]


@dataclass(frozen=True)
class Availability:
    center: Center
    category: str
    starts_at: datetime
    ends_at: datetime
    units: int
    free: list[FreePeriod]
    assets: list[AssetAvailability] | None


def availability(center_code: str, category: str, starts_at: datetime, ends_at: datetime, *,
                 per_asset: bool = False, asset_limit: int = 500) -> Availability:
    """The free periods of a center's category in a window: how many units are free in each piece of time;
    with `per_asset`, each usable asset's own free periods too (its bookings and loans; category bookings are
    not tied to a unit until pick-up, so they show in the category's count only)."""
    if ends_at <= starts_at:
        raise ValidationFailed("The window ends before it starts.", errors={"to": ["Must be after from."]})
    if ends_at - starts_at > timedelta(days=92):
        raise ValidationFailed("Ask for at most 92 days at a time.", errors={"to": ["At most 92 days after from."]})
    center = db.session.execute(select(Center).where(Center.code == center_code)).scalar()
    if center is None:
        raise ValidationFailed(f"There is no center {center_code!r}.", errors={"center": ["Unknown center."]})
    units, holds = place_state(center.id, category, starts_at, ends_at)
    segments = timeline(holds, starts_at, ends_at)
    free = [FreePeriod(s.starts_at, s.ends_at, max(0, units - s.held)) for s in segments if units - s.held > 0]
    assets = None
    if per_asset:
        assets = _per_asset(center, category, starts_at, ends_at, asset_limit)
    return Availability(center, category, starts_at, ends_at, units, free, assets)


_USABLE_ASSETS = (select(_A.c.id, _A.c.asset_tag, _A.c.status)
                  .where(_A.c.center_id == bindparam("center_id"), _A.c.category == bindparam("category"),
                         _A.c.status.not_in(UNUSABLE)).order_by(_A.c.asset_tag).limit(bindparam("limit")))
# From the place's assets to each one's holding bookings, a seek of the per-asset index each: CROSS JOIN keeps
# SQLite's planner to that order (PostgreSQL plans it freely), which otherwise went through every holding booking
# that starts before the window ends, of every center and year (7.5 ms at 100,000 bookings).
_ASSET_BOOKINGS = text(
    "SELECT reservations.asset_id, reservations.starts_at, reservations.ends_at"
    " FROM assets CROSS JOIN reservations"
    " WHERE assets.center_id = :center_id AND assets.category = :category AND reservations.asset_id = assets.id"
    f" AND {_HOLDING.text} AND reservations.ends_at > :starts_at AND reservations.starts_at < :ends_at",
).bindparams(bindparam("starts_at", type_=_R.c.starts_at.type), bindparam("ends_at", type_=_R.c.ends_at.type)) \
    .columns(_R.c.asset_id, _R.c.starts_at, _R.c.ends_at)
_ASSET_LOANS = (select(_L.c.asset_id, _L.c.due_date).select_from(_L.join(_A, _A.c.id == _L.c.asset_id))
                .where(_A.c.center_id == bindparam("center_id"), _A.c.category == bindparam("category"),
                       _L.c.status == "active", _L.c.due_date > bindparam("first_day")))


def _per_asset(center: Center, category: str, starts_at: datetime, ends_at: datetime,
               limit: int) -> list[AssetAvailability]:
    """Each usable asset's free periods. Worked out in UTC, the zone the database answers in: comparing moments of
    one zone skips a time-zone conversion per comparison, which for 125 assets was most of the time spent."""
    place = {"center_id": center.id, "category": category}
    rows = run(_USABLE_ASSETS, {**place, "limit": limit}).all()
    blocks: dict[int, list[Hold]] = {row.id: [] for row in rows}
    for asset_id, s, e in run(_ASSET_BOOKINGS, {**place, "starts_at": starts_at, "ends_at": ends_at}):
        if asset_id in blocks:
            blocks[asset_id].append(Hold(s, e, 1))
    first_day = starts_at.astimezone(local_zone()).date()
    for asset_id, due in run(_ASSET_LOANS, {**place, "first_day": first_day}):
        if asset_id in blocks:
            blocks[asset_id].append(Hold(None, local_midnight(due).astimezone(UTC), 1))
    window = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    result = []
    for row in rows:
        segments = timeline(blocks[row.id], *window)
        result.append(AssetAvailability(row.asset_tag, row.status, [FreePeriod(s.starts_at, s.ends_at, 1)
                                                                    for s in segments if s.held == 0]))
    return result
