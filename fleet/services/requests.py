"""Requests for devices and the queue.

Rules: one open (pending or approved) request per person per category, enforced by a
unique partial index too; the queue is ordered by reason priority, then time of request;
reasons and notes are personal data — the requester and IT staff see them, auditors and
other employees never do, and the event log never carries them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from fleet.db import utcnow
from fleet.directory.base import Directory
from fleet.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from fleet.extensions import db
from fleet.models import CATEGORIES, OPEN_REQUEST_STATUSES, REASONS, Center, LoanRequest
from fleet.services.auth import Principal
from fleet.services.clock import local_today
from fleet.services.events import append_event
from fleet.services.pagination import Page, decode_cursor, make_page


def _public(req: LoanRequest) -> dict:
    """What the event log may say about a request: no reason, no note."""
    return {"status": req.status, "category": req.category, "requester": req.requester_uid,
            "needed_from": req.needed_from, "needed_until": req.needed_until,
            "center": req.center.code if req.center else None}


def get_request(request_id: int) -> LoanRequest:
    req = db.session.get(LoanRequest, request_id) if 0 < request_id < 2**62 else None
    if req is None:
        raise NotFound(f"There is no request {request_id}.")
    return req


def check_can_read(req: LoanRequest, principal: Principal) -> None:
    """IT staff and auditors see every request; an employee only their own (others look absent)."""
    if not principal.has("it", "auditor") and req.requester_uid != principal.uid:
        raise NotFound(f"There is no request {req.id}.")


def create_request(directory: Directory, principal: Principal, *, reason: str, needed_from: date,
                   category: str = "laptop", needed_until: date | None = None, center: str | None = None,
                   note: str | None = None, requester: str | None = None, now: datetime | None = None) -> LoanRequest:
    """An employee asks for a device for themself; IT staff may ask on behalf of someone."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    if reason not in REASONS:
        errors["reason"] = [f"Must be one of: {', '.join(REASONS)}."]
    if category not in CATEGORIES:
        errors["category"] = [f"Must be one of: {', '.join(CATEGORIES)}."]
    if needed_from < local_today(now):
        errors["needed_from"] = ["Must be today or later."]
    if needed_until is not None and needed_until < needed_from:
        errors["needed_until"] = ["Must not be before needed_from."]
    center_row = None
    if center:
        center_row = db.session.execute(select(Center).where(Center.code == center)).scalar_one_or_none()
        if center_row is None:
            errors["center"] = [f"There is no center {center!r}."]
    if requester and requester != principal.uid and not principal.has("it"):
        errors["requester"] = ["Only IT staff may request on behalf of someone else."]
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    uid = requester or principal.uid
    person = directory.get_person(uid)
    if person is None or not person.active:
        raise RuleViolation(f"{uid!r} is not an active person in the directory.",
                            errors={"requester": ["Not an active person in the directory."]})
    req = LoanRequest(requester_uid=uid, requester_name=person.name, category=category, reason=reason,
                      priority=REASONS.index(reason), needed_from=needed_from, needed_until=needed_until,
                      center=center_row, note=note, status="pending", created_at=now)
    db.session.add(req)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{person.name} already has an open request for a {category}; cancel it first.",
                       code="open-request-exists") from exc
    append_event(principal.uid, "request.created", "request", req.id, at=now, after=_public(req))
    return req


def _decide(req: LoanRequest, actor: Principal, *, from_statuses: tuple[str, ...], to_status: str, action: str,
            note: str | None, now: datetime | None) -> LoanRequest:
    now = now or utcnow()
    before = req.status
    result = db.session.execute(
        update(LoanRequest).where(LoanRequest.id == req.id, LoanRequest.status.in_(from_statuses))
        .values(status=to_status, decided_by=actor.uid, decided_at=now, decision_note=note)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(req)
        raise Conflict(f"Request {req.id} is {req.status}; it cannot become {to_status}.", code="request-status")
    db.session.refresh(req)
    append_event(actor.uid, action, "request", req.id, at=now, before={"status": before}, after=_public(req))
    return req


def approve_request(req: LoanRequest, actor: Principal, note: str | None = None,
                    now: datetime | None = None) -> LoanRequest:
    """Only a pending request can be approved."""
    return _decide(req, actor, from_statuses=("pending",), to_status="approved", action="request.approved",
                   note=note, now=now)


def reject_request(req: LoanRequest, actor: Principal, note: str | None = None,
                   now: datetime | None = None) -> LoanRequest:
    """Only a pending request can be rejected."""
    return _decide(req, actor, from_statuses=("pending",), to_status="rejected", action="request.rejected",
                   note=note, now=now)


def cancel_request(req: LoanRequest, actor: Principal, note: str | None = None,
                   now: datetime | None = None) -> LoanRequest:
    """IT staff or the requester may cancel a pending or approved request."""
    if not actor.has("it") and req.requester_uid != actor.uid:
        raise NotFound(f"There is no request {req.id}.")
    return _decide(req, actor, from_statuses=OPEN_REQUEST_STATUSES, to_status="cancelled",
                   action="request.cancelled", note=note, now=now)


def mark_fulfilled(req: LoanRequest, *, loan_id: int, assignee_uid: str, category: str, actor: str) -> None:
    """The hand-over that names a request fulfils it: same person, same category, still open."""
    if req.requester_uid != assignee_uid:
        raise RuleViolation(f"Request {req.id} was made by {req.requester_uid}, not {assignee_uid}.",
                            errors={"request_id": ["Made by someone else."]})
    if req.category != category:
        raise RuleViolation(f"Request {req.id} is for a {req.category}, not a {category}.",
                            errors={"request_id": ["For another category."]})
    result = db.session.execute(
        update(LoanRequest).where(LoanRequest.id == req.id, LoanRequest.status.in_(OPEN_REQUEST_STATUSES))
        .values(status="fulfilled").execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(req)
        raise Conflict(f"Request {req.id} is {req.status}; only a pending or approved request can be fulfilled.",
                       code="request-status", errors={"request_id": [f"The request is {req.status}."]})
    before = req.status
    db.session.refresh(req)
    append_event(actor, "request.fulfilled", "request", req.id, before={"status": before},
                 after={**_public(req), "loan_id": loan_id})


def list_requests(principal: Principal, *, status: str | None = None, requester: str | None = None,
                  category: str | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    """Requests visible to the caller. `status=pending` is the queue: priority, then time; else newest first.

    Queue items carry `position`, their 1-based place in the whole pending queue.
    """
    query = select(LoanRequest)
    if not principal.has("it", "auditor"):
        query = query.where(LoanRequest.requester_uid == principal.uid)
    elif requester:
        query = query.where(LoanRequest.requester_uid == requester)
    if status:
        query = query.where(LoanRequest.status == status)
    if category:
        query = query.where(LoanRequest.category == category)
    if status == "pending":
        key = decode_cursor(cursor, arity=3)
        if key:
            priority, created, rid = int(key[0]), datetime.fromisoformat(str(key[1])), int(key[2])
            query = query.where(or_(LoanRequest.priority > priority,
                                    and_(LoanRequest.priority == priority, LoanRequest.created_at > created),
                                    and_(LoanRequest.priority == priority, LoanRequest.created_at == created,
                                         LoanRequest.id > rid)))
        query = query.order_by(LoanRequest.priority, LoanRequest.created_at, LoanRequest.id)
        rows = list(db.session.execute(query.limit(limit + 1)).scalars())
        page = make_page(rows, limit, lambda r: [r.priority, r.created_at.isoformat(), r.id])
        if page.items:
            page.positions = _positions(page.items)
        return page
    key = decode_cursor(cursor)
    if key:
        query = query.where(LoanRequest.id < int(key[0]))
    rows = list(db.session.execute(query.order_by(LoanRequest.id.desc()).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda r: [r.id])


def _positions(items: list[LoanRequest]) -> dict[int, int]:
    first = items[0]
    ahead = db.session.execute(select(func.count()).select_from(LoanRequest).where(
        LoanRequest.status == "pending",
        or_(LoanRequest.priority < first.priority,
            and_(LoanRequest.priority == first.priority, LoanRequest.created_at < first.created_at),
            and_(LoanRequest.priority == first.priority, LoanRequest.created_at == first.created_at,
                 LoanRequest.id < first.id)))).scalar()
    return {req.id: ahead + i + 1 for i, req in enumerate(items)}


def queue_position(req: LoanRequest) -> int | None:
    if req.status != "pending":
        return None
    return _positions([req])[req.id]


def request_statistics(from_date: date | None = None, to_date: date | None = None) -> dict:
    """Counts by reason and by outcome, for auditors: no names, no notes."""
    query = select(LoanRequest.reason, LoanRequest.status, func.count()).group_by(LoanRequest.reason,
                                                                                   LoanRequest.status)
    if from_date:
        query = query.where(LoanRequest.needed_from >= from_date)
    if to_date:
        query = query.where(LoanRequest.needed_from <= to_date)
    by_reason: dict[str, int] = {}
    by_status: dict[str, int] = {}
    pairs: dict[str, int] = {}
    for reason, status, count in db.session.execute(query):
        reason = reason or "purged"
        by_reason[reason] = by_reason.get(reason, 0) + count
        by_status[status] = by_status.get(status, 0) + count
        pairs[f"{reason}:{status}"] = count
    return {"by_reason": by_reason, "by_status": by_status, "by_reason_and_status": pairs,
            "total": sum(by_status.values())}
