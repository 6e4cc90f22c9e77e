"""Requests for devices and the queue.

Rules enforced here:
- a person asks for themself; IT staff may ask on behalf of an active person in the directory;
- one open (pending or approved) request per person per category: a unique partial index
  decides, so two concurrent requests give one success and one Conflict;
- the queue is the pending requests ordered by reason priority (REASONS order), then time of
  request, then id; `position` is a request's 1-based place in that whole queue;
- decisions are conditional UPDATEs (`WHERE status IN (...)`): of two concurrent decisions one
  wins and the other gets a Conflict naming the status it found;
- reasons, notes and decision notes are personal data: the requester and IT staff see them,
  auditors and other employees never do, and the event log never carries them. The queue
  order and positions would betray the reason's priority, so auditors get neither.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from fleet.clock import local_today, local_zone
from fleet.db import MAX_ID, utcnow
from fleet.directory.base import Directory
from fleet.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from fleet.extensions import db
from fleet.models import CATEGORIES, OPEN_REQUEST_STATUSES, REASONS, REQUEST_STATUSES, Center, LoanRequest
from fleet.services import notifications
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.pagination import Page, decode_cursor, make_page

NOTE_MAX = 2000
QUEUE_ORDER = (LoanRequest.priority, LoanRequest.created_at, LoanRequest.id)


def _public(req: LoanRequest) -> dict:
    """What the event log may say about a request: no reason, no priority (it betrays the reason), no notes."""
    return {"status": req.status, "category": req.category, "requester": req.requester_uid,
            "needed_from": req.needed_from, "needed_until": req.needed_until,
            "center": req.center.code if req.center else None}


def _not_found(request_id: int) -> NotFound:
    return NotFound(f"There is no request {request_id}.")


def get_request(request_id: int) -> LoanRequest:
    """The request with this id; NotFound when there is none."""
    req = db.session.get(LoanRequest, request_id) if 0 < request_id <= MAX_ID else None
    if req is None:
        raise _not_found(request_id)
    return req


def check_can_read(req: LoanRequest, principal: Principal) -> None:
    """IT staff and auditors see every request; an employee only their own (others look absent)."""
    if not principal.has("it", "auditor") and req.requester_uid != principal.uid:
        raise _not_found(req.id)


def can_see_personal_data(req: LoanRequest, principal: Principal) -> bool:
    """Reason, note, decision note and queue position: for IT staff and the requester only."""
    return principal.has("it") or req.requester_uid == principal.uid


# Creating


def _field_errors(principal: Principal, *, reason: str, category: str, needed_from: date,
                  needed_until: date | None, note: str | None, requester: str | None,
                  now: datetime) -> dict[str, list[str]]:
    """Checks that need neither the database nor the directory."""
    errors: dict[str, list[str]] = {}
    if reason not in REASONS:
        errors["reason"] = [f"Must be one of: {', '.join(REASONS)}."]
    if category not in CATEGORIES:
        errors["category"] = [f"Must be one of: {', '.join(CATEGORIES)}."]
    if needed_from < local_today(now):
        errors["needed_from"] = ["Must be today or later."]
    if needed_until is not None and needed_until < needed_from:
        errors["needed_until"] = ["Must not be before needed_from."]
    if note is not None and len(note) > NOTE_MAX:
        errors["note"] = [f"Longer than maximum length {NOTE_MAX}."]
    if requester is not None and requester != principal.uid and not principal.has("it"):
        errors["requester"] = ["Only IT staff may request on behalf of someone else."]
    return errors


def _center_by_code(code: str) -> Center | None:
    return db.session.execute(select(Center).where(Center.code == code)).scalar_one_or_none()


def create_request(directory: Directory, principal: Principal, *, reason: str, needed_from: date,
                   category: str = "laptop", needed_until: date | None = None, center: str | None = None,
                   note: str | None = None, requester: str | None = None, now: datetime | None = None) -> LoanRequest:
    """A person asks for a device for themself; IT staff may ask on behalf of someone (`requester`).

    needed_from is today or later in FLEET_TIMEZONE, needed_until not before it; the requester
    must be an active person in the directory (asked now); one open request per person per
    category (Conflict, also when a concurrent request wins the unique index).
    """
    now = now or utcnow()
    errors = _field_errors(principal, reason=reason, category=category, needed_from=needed_from,
                           needed_until=needed_until, note=note, requester=requester, now=now)
    if errors:
        if center and _center_by_code(center) is None:
            errors["center"] = [f"There is no center {center!r}."]
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    uid = requester or principal.uid
    # The directory first, before this request touches the database: no database lock is
    # held while LDAP answers (SQLite takes its write lock at the first statement).
    person = directory.get_person(uid)
    center_row = _center_by_code(center) if center else None
    if center and center_row is None:
        errors["center"] = [f"There is no center {center!r}."]
    if person is None or not person.active:
        errors["requester"] = ["Not an active person in the directory."]
    if errors:
        if "requester" in errors:
            raise RuleViolation(f"{uid!r} is not an active person in the directory.", errors=errors)
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    req = LoanRequest(requester_uid=uid, requester_name=(person.name or uid)[:200], category=category,
                      reason=reason, priority=REASONS.index(reason), needed_from=needed_from,
                      needed_until=needed_until, center=center_row, note=note, status="pending", created_at=now)
    try:
        # Added inside the savepoint, so that a refusal rolls back only the savepoint and
        # leaves the caller's session usable.
        with db.session.begin_nested():
            db.session.add(req)
            db.session.flush()
    except IntegrityError as exc:
        # The unique partial index on open requests: also what a concurrent twin request hits.
        raise Conflict(f"{person.name} already has an open request for a {category}; cancel it first.",
                       code="open-request-exists", errors={"category": ["An open request exists already."]}) from exc
    append_event(principal.uid, "request.created", "request", req.id, at=now, after=_public(req))
    return req


# Deciding


def _move(req: LoanRequest, actor: str, *, from_statuses: tuple[str, ...], to_status: str, action: str,
          values: dict, now: datetime, extra: dict | None = None, error_field: str = "status",
          notify: str | None = None) -> LoanRequest:
    """Move the request only if its status is still one of `from_statuses` (one winner under concurrency).

    One conditional UPDATE per allowed status, so the event knows exactly which status it left.
    """
    before = None
    for status in from_statuses:
        result = db.session.execute(
            update(LoanRequest).where(LoanRequest.id == req.id, LoanRequest.status == status)
            .values(status=to_status, **values).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            before = status
            break
    db.session.refresh(req)
    if before is None:
        raise Conflict(f"Request {req.id} is {req.status}; it cannot become {to_status}.", code="request-status",
                       errors={error_field: [f"The request is {req.status}."]})
    event_extra = None
    if notify:
        # To the requester only: the mail carries the decision note, read from the request when it is sent.
        event_extra = {"notification_id": notifications.queue_for_uid(
            notify, req.requester_uid, now=now, name=req.requester_name, data={"request_id": req.id})}
    append_event(actor, action, "request", req.id, at=now, before={"status": before},
                 after={**_public(req), **(extra or {})}, extra=event_extra)
    return req


def _decide(req: LoanRequest, actor: Principal, *, from_statuses: tuple[str, ...], to_status: str, action: str,
            note: str | None, now: datetime | None, notify: str | None = None) -> LoanRequest:
    """A decision by a person: who, when and their note go on the request (never into the event)."""
    if note is not None and len(note) > NOTE_MAX:
        raise ValidationFailed("Some fields are not valid; see errors.",
                               errors={"note": [f"Longer than maximum length {NOTE_MAX}."]})
    now = now or utcnow()
    return _move(req, actor.uid, from_statuses=from_statuses, to_status=to_status, action=action, now=now,
                 values={"decided_by": actor.uid, "decided_at": now, "decision_note": note}, notify=notify)


def approve_request(req: LoanRequest, actor: Principal, note: str | None = None,
                    now: datetime | None = None) -> LoanRequest:
    """Only a pending request can be approved (Conflict naming its status otherwise)."""
    return _decide(req, actor, from_statuses=("pending",), to_status="approved", action="request.approved",
                   note=note, now=now, notify="request_approved")


def reject_request(req: LoanRequest, actor: Principal, note: str | None = None,
                   now: datetime | None = None) -> LoanRequest:
    """Only a pending request can be rejected (Conflict naming its status otherwise)."""
    return _decide(req, actor, from_statuses=("pending",), to_status="rejected", action="request.rejected",
                   note=note, now=now, notify="request_rejected")


def cancel_request(req: LoanRequest, actor: Principal, note: str | None = None,
                   now: datetime | None = None) -> LoanRequest:
    """IT staff or the requester may cancel a pending or approved request; that frees the person to ask again."""
    if not actor.has("it") and req.requester_uid != actor.uid:
        if actor.has("auditor"):
            raise Forbidden("Only IT staff or the requester may cancel a request.")
        raise _not_found(req.id)
    return _decide(req, actor, from_statuses=OPEN_REQUEST_STATUSES, to_status="cancelled",
                   action="request.cancelled", note=note, now=now)


def mark_fulfilled(req: LoanRequest, *, loan_id: int, assignee_uid: str, category: str, actor: str,
                   now: datetime | None = None) -> None:
    """The hand-over that names a request fulfils it: still open, same person, same category.

    Conflict when the request is not pending or approved (also when a concurrent hand-over
    fulfilled it first); RuleViolation on the field `request_id` when the assignee or the
    category differ. Called by the loans service inside the hand-over's transaction.
    """
    if req.status not in OPEN_REQUEST_STATUSES:
        raise Conflict(f"Request {req.id} is {req.status}; it cannot become fulfilled.", code="request-status",
                       errors={"request_id": [f"The request is {req.status}."]})
    if req.requester_uid != assignee_uid:
        raise RuleViolation(f"Request {req.id} was made by {req.requester_uid}, not {assignee_uid}.",
                            errors={"request_id": [f"The request was made by {req.requester_uid}."]})
    if req.category != category:
        raise RuleViolation(f"Request {req.id} is for a {req.category}, not a {category}.",
                            errors={"request_id": [f"The request is for a {req.category}."]})
    _move(req, actor, from_statuses=OPEN_REQUEST_STATUSES, to_status="fulfilled", action="request.fulfilled",
          values={}, now=now or utcnow(), extra={"loan_id": loan_id}, error_field="request_id",
          notify="request_fulfilled")


# Reading


def _before_in_queue(key: tuple[int, datetime, int]):
    """A request comes before `key` (priority, created_at, id) in the queue order."""
    priority, created_at, request_id = key
    return or_(LoanRequest.priority < priority,
               and_(LoanRequest.priority == priority, LoanRequest.created_at < created_at),
               and_(LoanRequest.priority == priority, LoanRequest.created_at == created_at,
                    LoanRequest.id < request_id))


def _after_in_queue(key: tuple[int, datetime, int]):
    """A request comes after `key` (priority, created_at, id) in the queue order."""
    priority, created_at, request_id = key
    return or_(LoanRequest.priority > priority,
               and_(LoanRequest.priority == priority, LoanRequest.created_at > created_at),
               and_(LoanRequest.priority == priority, LoanRequest.created_at == created_at,
                    LoanRequest.id > request_id))


def _queue_key(req: LoanRequest) -> tuple[int, datetime, int]:
    return req.priority, req.created_at, req.id


def _decode_queue_cursor(cursor: str | None) -> tuple[int, datetime, int] | None:
    key = decode_cursor(cursor, arity=3)
    if key is None:
        return None
    priority, created, request_id = key
    moment = None
    if isinstance(created, str):
        try:
            moment = datetime.fromisoformat(created)
        except ValueError:
            moment = None
    if not (isinstance(priority, int) and 0 <= priority < len(REASONS) and isinstance(request_id, int)
            and 0 <= request_id <= MAX_ID and moment is not None and moment.tzinfo is not None):
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Not a cursor given by this list."]})
    return priority, moment, request_id


def _decode_id_cursor(cursor: str | None) -> int | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    if not isinstance(key[0], int) or not 0 <= key[0] <= MAX_ID:
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Not a cursor given by this list."]})
    return key[0]


def list_requests(principal: Principal, *, status: str | None = None, requester: str | None = None,
                  category: str | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    """Requests the caller may see: an employee their own, IT staff and auditors all.

    For IT staff and employees `status=pending` is the queue: priority, then time of request,
    then id, keyset-paginated on that key. Every other list, and every list of an auditor, is
    newest first (id descending): the queue order would betray reasons. `page.positions` maps
    request id to queue position for the pending requests whose personal data the caller may see.
    """
    if status is not None and status not in REQUEST_STATUSES:
        raise ValidationFailed("Some fields are not valid; see errors.",
                               errors={"status": [f"Must be one of: {', '.join(REQUEST_STATUSES)}."]})
    query = select(LoanRequest)
    if not principal.has("it", "auditor"):
        query = query.where(LoanRequest.requester_uid == principal.uid)
    if requester:
        query = query.where(LoanRequest.requester_uid == requester)
    if status:
        query = query.where(LoanRequest.status == status)
    if category:
        query = query.where(LoanRequest.category == category)
    if status == "pending" and (principal.has("it") or not principal.has("auditor")):
        key = _decode_queue_cursor(cursor)
        if key:
            query = query.where(_after_in_queue(key))
        rows = list(db.session.execute(query.order_by(*QUEUE_ORDER).limit(limit + 1)).scalars())
        page = make_page(rows, limit, lambda r: [r.priority, r.created_at.isoformat(), r.id])
    else:
        last_id = _decode_id_cursor(cursor)
        if last_id is not None:
            query = query.where(LoanRequest.id < last_id)
        rows = list(db.session.execute(query.order_by(LoanRequest.id.desc()).limit(limit + 1)).scalars())
        page = make_page(rows, limit, lambda r: [r.id])
    page.positions = queue_positions([r for r in page.items if can_see_personal_data(r, principal)])
    return page


def count_pending() -> int:
    """How many requests wait in the whole queue (every category)."""
    return db.session.execute(select(func.count()).select_from(LoanRequest)
                              .where(LoanRequest.status == "pending")).scalar_one()


def queue_positions(reqs: list[LoanRequest]) -> dict[int, int]:
    """The 1-based place in the whole pending queue (all categories) of each pending request given.

    Two queries whatever the page: how many pending requests come before the first one, and
    the ids of the pending requests from the first to the last one in queue order. A page of
    the queue itself is a contiguous span, so the second query reads only the page's rows.
    """
    pending = sorted((r for r in reqs if r.status == "pending"), key=_queue_key)
    if not pending:
        return {}
    first, last = pending[0], pending[-1]
    ahead = db.session.execute(select(func.count()).select_from(LoanRequest).where(
        LoanRequest.status == "pending", _before_in_queue(_queue_key(first)))).scalar_one()
    span = db.session.execute(
        select(LoanRequest.id).where(LoanRequest.status == "pending",
                                     or_(LoanRequest.id == first.id, _after_in_queue(_queue_key(first))),
                                     or_(LoanRequest.id == last.id, _before_in_queue(_queue_key(last))))
        .order_by(*QUEUE_ORDER)).scalars().all()
    places = {request_id: ahead + i + 1 for i, request_id in enumerate(span)}
    return {r.id: places[r.id] for r in pending if r.id in places}


def queue_position(req: LoanRequest) -> int | None:
    """The request's place in the pending queue (1 = next), or None when it is not pending."""
    return queue_positions([req]).get(req.id)


# Statistics


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def request_statistics(from_date: date | None = None, to_date: date | None = None) -> dict:
    """Counts of the requests made in a period (local dates, both ends included), for auditors.

    By reason, by status (the outcome so far), by category and by reason and status: never
    a name, a uid or a note. Reasons purged later count as "purged".
    Answers {"by_reason": {reason: n}, "by_status": {status: n}, "by_category": {category: n},
    "by_reason_and_status": {"reason:status": n}, "total": n}.
    """
    if from_date and to_date and to_date < from_date:
        raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
    query = select(LoanRequest.reason, LoanRequest.status, LoanRequest.category, func.count()).group_by(
        LoanRequest.reason, LoanRequest.status, LoanRequest.category)
    if from_date:
        query = query.where(LoanRequest.created_at >= _day_start(from_date))
    if to_date:
        query = query.where(LoanRequest.created_at < _day_start(to_date + timedelta(days=1)))
    by_reason: dict[str, int] = {}
    by_status: dict[str, int] = {}
    by_category: dict[str, int] = {}
    pairs: dict[str, int] = {}
    for reason, status, category, count in db.session.execute(query):
        reason = reason or "purged"
        by_reason[reason] = by_reason.get(reason, 0) + count
        by_status[status] = by_status.get(status, 0) + count
        by_category[category] = by_category.get(category, 0) + count
        pairs[f"{reason}:{status}"] = pairs.get(f"{reason}:{status}", 0) + count
    return {"by_reason": by_reason, "by_status": by_status, "by_category": by_category,
            "by_reason_and_status": pairs, "total": sum(by_status.values())}


PURGE_BATCH = 500


def purge_personal_data(before: datetime, actor: str, *, now: datetime | None = None,
                        progress=None) -> tuple[int, int]:
    """Blank the reason, priority and notes of closed requests last decided before `before`.

    Open requests (pending, approved) keep theirs: the queue still needs them. The event log
    never held these fields, so its chain is untouched; one event records the purge itself
    (how many, up to when: no personal data). Answers (purged, open requests left alone).
    """
    now = now or utcnow()
    if before > now:
        raise ValidationFailed("The retention cut-off is in the future.", errors={"older_than": ["Must be past."]})
    last_touched = func.coalesce(LoanRequest.decided_at, LoanRequest.created_at)
    due = and_(last_touched < before, LoanRequest.personal_data_purged_at.is_(None))
    ids = list(db.session.execute(select(LoanRequest.id).where(
        due, LoanRequest.status.not_in(OPEN_REQUEST_STATUSES)).order_by(LoanRequest.id)).scalars())
    kept_open = db.session.execute(select(func.count()).select_from(LoanRequest).where(
        due, LoanRequest.status.in_(OPEN_REQUEST_STATUSES))).scalar_one()
    for start in range(0, len(ids), PURGE_BATCH):
        chunk = ids[start:start + PURGE_BATCH]
        db.session.execute(update(LoanRequest).where(LoanRequest.id.in_(chunk)).values(
            reason=None, note=None, decision_note=None, priority=len(REASONS), personal_data_purged_at=now)
            .execution_options(synchronize_session=False))
        if progress:
            progress(start + len(chunk), len(ids))
    if ids:
        append_event(actor, "request.personal_data_purged", "request", f"{ids[0]}-{ids[-1]}",
                     extra={"count": len(ids), "older_than": before.isoformat()}, at=now)
    db.session.flush()
    return len(ids), kept_open
