"""Extensions: a loan's due date moved later, asked for by the assignee or IT staff, decided by IT staff.

Rules enforced here:
- the assignee or IT staff ask, for an active loan, for a day after its due date, with a reason; one pending
  extension per loan (a unique partial index decides, also between two clients at once);
- an extension asked by IT staff is approved at once; an assignee never approves their own;
- approving checks the assignee in the directory now, as a hand-over does (422 saying why, 503 when it cannot be
  reached), refuses a day beyond FLEET_MAX_LOAN_DAYS counted from the hand-over's local day (422), and a day that
  would keep the asset from someone who booked it (409 naming the booked period);
- approval is two conditional UPDATEs, the loan's row first (`WHERE status = 'active'`), then the extension's
  (`WHERE status = 'pending'`): of two approvals one wins, and an approval racing a return either comes first
  (the return then closes the loan with its new due date) or finds the loan closed (409) and changes nothing.
  A return takes the same rows in the same order (the loan, then its pending extension, which it cancels);
- reasons and decision notes are personal data: the assignee and IT staff read them; auditors and the event log
  never do. The event says from which due date to which;
- the assignee gets a mail through the outbox when an extension is decided.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from fleet.clock import format_local, local_today
from fleet.db import MAX_ID, run, utcnow
from fleet.directory.base import Directory
from fleet.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from fleet.extensions import db
from fleet.models import EXTENSION_STATUSES, Loan, LoanExtension
from fleet.services import loans as loan_service
from fleet.services import notifications
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.pagination import Page, decode_cursor, make_page

TEXT_MAX = 2000
_LOANS, _EXTENSIONS = Loan.__table__, LoanExtension.__table__
_LOCK_LOAN = (select(_LOANS.c.status, _LOANS.c.due_date).where(_LOANS.c.id == bindparam("loan_id"))
              .with_for_update())
_MOVE_DUE_DATE = (update(_LOANS).where(_LOANS.c.id == bindparam("loan_id"), _LOANS.c.status == "active")
                  .values(due_date=bindparam("until", type_=_LOANS.c.due_date.type)))


def _public(ext: LoanExtension, **more) -> dict:
    """What the event log says about an extension: never the reason or the note."""
    return {"status": ext.status, "loan": ext.loan.number, "assignee": ext.loan.assignee_uid, **more}


def can_see_personal_data(ext: LoanExtension, principal: Principal) -> bool:
    """The reason and the decision note: IT staff and the assignee only."""
    return principal.has("it") or ext.loan.assignee_uid == principal.uid


def latest_day(loan: Loan) -> date:
    """The latest due date FLEET_MAX_LOAN_DAYS allows, counted from the hand-over's local day."""
    return local_today(loan.checked_out_at) + timedelta(days=current_app.config["FLEET_MAX_LOAN_DAYS"])


def _check_until(loan: Loan, until: date, now: datetime, *, field: str = "until") -> None:
    if until <= loan.due_date:
        raise ValidationFailed(f"The new due date must be after the loan's due date {loan.due_date}.",
                               errors={field: [f"Must be after {loan.due_date}."]})
    if until < local_today(now):  # an overdue loan is extended to today at the earliest
        raise ValidationFailed("The due date is in the past.", errors={field: ["Must be today or later."]})
    limit = latest_day(loan)
    if until > limit:
        days = current_app.config["FLEET_MAX_LOAN_DAYS"]
        raise RuleViolation(f"A loan lasts at most {days} days from its hand-over: the latest due date for "
                            f"{loan.number} is {limit}.", code="loan-too-long",
                            errors={field: [f"At most {limit} ({days} days from the hand-over)."]})


def _check_not_booked(loan: Loan, until: date, now: datetime) -> None:
    booked = loan_service.booking_in_the_way(loan.asset_id, loan.assignee_uid, until, now)
    if booked is not None:
        period = f"{format_local(booked.starts_at)} – {format_local(booked.ends_at)}"
        raise Conflict(f"Asset {loan.asset.asset_tag} is booked for someone else {period}: the loan can be extended "
                       "to the day that booking starts at the latest.", code="asset-booked",
                       errors={"until": [f"Booked {period}."]})


def _check_asker(loan: Loan, principal: Principal) -> None:
    if principal.has("it") or loan.assignee_uid == principal.uid:
        return
    if principal.has("auditor"):
        raise Forbidden("Only the assignee or IT staff ask for an extension.")
    raise NotFound(f"There is no loan {loan.id}.")


def request_extension(directory: Directory, principal: Principal, loan: Loan, *, until: date, reason: str,
                      now: datetime | None = None) -> LoanExtension:
    """The assignee (or IT staff) asks to move an active loan's due date to `until`, with a reason.

    Pending when the assignee asks; approved at once (with the approval's checks) when IT staff ask.
    Conflict when the loan is closed or already has a pending extension.
    """
    _check_asker(loan, principal)
    reason = (reason or "").strip()
    if not reason or len(reason) > TEXT_MAX:
        raise ValidationFailed("Say why the loan should be extended.",
                               errors={"reason": ["Required." if not reason else f"At most {TEXT_MAX} characters."]})
    now = now or utcnow()
    if loan.status != "active":
        raise Conflict(f"Loan {loan.number} is {loan.status}: it cannot be extended.", code="loan-closed")
    _check_until(loan, until, now)
    at_once = principal.has("it") and principal.uid != loan.assignee_uid
    if at_once:
        # The directory before any row is locked: no database lock is held while LDAP answers.
        loan_service.check_assignee(directory, loan.assignee_uid)
    _lock_loan(loan)
    ext = LoanExtension(loan=loan, status="pending", due_from=loan.due_date, until=until, reason=reason,
                        requested_by=principal.uid, requested_by_name=principal.name, requested_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(ext)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Loan {loan.number} already has a pending extension: approve or reject it first.",
                       code="extension-pending", errors={"until": ["An extension is pending."]}) from exc
    append_event(principal.uid, "extension.requested", "extension", ext.id, at=now,
                 after=_public(ext, due_date={"from": ext.due_from, "to": until}))
    if at_once:
        _approve(ext, principal, note=None, now=now)
    return ext


def _decide_note(note: str | None) -> str | None:
    note = (note or "").strip() or None
    if note is not None and len(note) > TEXT_MAX:
        raise ValidationFailed("Some fields are not valid; see errors.",
                               errors={"note": [f"Longer than maximum length {TEXT_MAX}."]})
    return note


def _check_decider(ext: LoanExtension, principal: Principal) -> None:
    if not principal.has("it"):
        raise Forbidden("Only IT staff decide on an extension.")
    if ext.loan.assignee_uid == principal.uid:
        raise Forbidden("The assignee cannot decide on their own extension; another member of IT staff does.")


def _settle(ext: LoanExtension, principal: Principal, status: str, note: str | None, now: datetime) -> None:
    """pending → `status`, only if still pending (one winner)."""
    result = db.session.execute(
        update(LoanExtension).where(LoanExtension.id == ext.id, LoanExtension.status == "pending")
        .values(status=status, decided_by=principal.uid, decided_by_name=principal.name, decided_at=now,
                decision_note=note).execution_options(synchronize_session=False))
    db.session.refresh(ext)
    if result.rowcount != 1:
        raise Conflict(f"Extension {ext.id} is {ext.status}; it cannot become {status}.", code="extension-status",
                       errors={"status": [f"The extension is {ext.status}."]})


def _lock_loan(loan: Loan) -> None:
    """Lock the loan's row (PostgreSQL; SQLite has one writer anyway) and read its status and due date as they are
    now: a return or another approval committed a moment ago counts."""
    row = run(_LOCK_LOAN, {"loan_id": loan.id}).one()
    set_committed_value(loan, "status", row.status)
    set_committed_value(loan, "due_date", row.due_date)
    if row.status != "active":
        raise Conflict(f"Loan {loan.number} is {loan.status}: it cannot be extended.", code="loan-closed")


def _approve(ext: LoanExtension, principal: Principal, note: str | None, now: datetime) -> LoanExtension:
    loan = ext.loan
    # The loan's row first (a return takes it first too), then the extension's: of two approvals the second
    # finds the extension decided (409) before it looks at the new due date.
    _lock_loan(loan)
    _settle(ext, principal, "approved", note, now)
    before = loan.due_date
    _check_until(loan, ext.until, now)
    _check_not_booked(loan, ext.until, now)
    run(_MOVE_DUE_DATE, {"loan_id": loan.id, "until": ext.until})
    set_committed_value(loan, "due_date", ext.until)
    notification_id = notifications.queue_for_uid("extension_approved", loan.assignee_uid, now=now,
                                                  name=loan.assignee_name, address=loan.assignee_email,
                                                  data={"extension_id": ext.id, "loan_id": loan.id})
    append_event(principal.uid, "loan.extended", "loan", loan.id, at=now, before={"due_date": before},
                 after={"due_date": ext.until, "number": loan.number, "asset_tag": loan.asset.asset_tag},
                 extra={"extension_id": ext.id, "notification_id": notification_id})
    return ext


def approve_extension(directory: Directory, ext: LoanExtension, principal: Principal, note: str | None = None,
                      now: datetime | None = None) -> LoanExtension:
    """IT staff approve a pending extension: the directory is asked now, then the limits and bookings are checked
    and the loan's due date moves (Conflict when the extension or the loan is no longer open)."""
    _check_decider(ext, principal)
    note = _decide_note(note)
    now = now or utcnow()
    if ext.status == "pending":
        loan_service.check_assignee(directory, ext.loan.assignee_uid)
    return _approve(ext, principal, note, now)


def reject_extension(ext: LoanExtension, principal: Principal, note: str | None = None,
                     now: datetime | None = None) -> LoanExtension:
    """IT staff reject a pending extension, with a note for the assignee; the due date stays."""
    _check_decider(ext, principal)
    note = _decide_note(note)
    now = now or utcnow()
    _settle(ext, principal, "rejected", note, now)
    loan = ext.loan
    notification_id = notifications.queue_for_uid("extension_rejected", loan.assignee_uid, now=now,
                                                  name=loan.assignee_name, address=loan.assignee_email,
                                                  data={"extension_id": ext.id, "loan_id": loan.id})
    append_event(principal.uid, "extension.rejected", "extension", ext.id, at=now, before={"status": "pending"},
                 after=_public(ext), extra={"notification_id": notification_id})
    return ext


# Reading


def get_extension(extension_id: int) -> LoanExtension:
    ext = db.session.get(LoanExtension, extension_id) if 0 < extension_id <= MAX_ID else None
    if ext is None:
        raise NotFound(f"There is no extension {extension_id}.")
    return ext


def check_can_read(ext: LoanExtension, principal: Principal) -> None:
    """IT staff and auditors see every extension; an employee only those of their own loans."""
    if not principal.has("it", "auditor") and ext.loan.assignee_uid != principal.uid:
        raise NotFound(f"There is no extension {ext.id}.")


def list_for_loan(loan: Loan) -> list[LoanExtension]:
    """A loan's extensions, oldest first: its history of due dates."""
    return list(db.session.execute(select(LoanExtension).where(LoanExtension.loan_id == loan.id)
                                   .order_by(LoanExtension.id)).scalars())


def list_extensions(principal: Principal, *, status: str | None = None, limit: int = 50,
                    cursor: str | None = None) -> Page:
    """Extensions, newest first, keyset-paginated on id: IT staff and auditors all, an employee those of their
    own loans. `status=pending` is what the desk still has to decide."""
    if status is not None and status not in EXTENSION_STATUSES:
        raise ValidationFailed("Some fields are not valid; see errors.",
                               errors={"status": [f"Must be one of: {', '.join(EXTENSION_STATUSES)}."]})
    query = select(LoanExtension)
    if not principal.has("it", "auditor"):
        query = query.join(Loan, Loan.id == LoanExtension.loan_id).where(Loan.assignee_uid == principal.uid)
    if status:
        query = query.where(LoanExtension.status == status)
    key = decode_cursor(cursor)
    if key:
        if not isinstance(key[0], int) or not 0 <= key[0] <= MAX_ID:
            raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Not a cursor given by this list."]})
        query = query.where(LoanExtension.id < key[0])
    rows = list(db.session.execute(query.order_by(LoanExtension.id.desc()).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda e: [e.id])


def list_pending(limit: int = 100) -> list[LoanExtension]:
    """Extensions waiting for a decision, oldest first (the desk's dashboard)."""
    return list(db.session.execute(select(LoanExtension).where(LoanExtension.status == "pending")
                                   .order_by(LoanExtension.id).limit(limit)).scalars())


def approved_by_loan(loan_ids: list[int]) -> dict[int, list[LoanExtension]]:
    """The approved extensions of these loans, oldest first (the loan register's history column)."""
    found: dict[int, list[LoanExtension]] = {}
    if not loan_ids:
        return found
    for ext in db.session.execute(select(LoanExtension).where(LoanExtension.loan_id.in_(loan_ids),
                                                              LoanExtension.status == "approved")
                                  .order_by(LoanExtension.id)).scalars():
        found.setdefault(ext.loan_id, []).append(ext)
    return found


def purge_personal_data(before: datetime, actor: str, *, now: datetime | None = None) -> int:
    """Blank the reasons and decision notes of extensions decided before `before` (as a request's are purged).

    Pending extensions keep theirs: the desk still has to decide. The event log never held them, so its chain is
    untouched; one event records the purge itself (how many, up to when). Answers how many were purged.
    """
    now = now or utcnow()
    ids = list(db.session.execute(select(LoanExtension.id).where(
        LoanExtension.status != "pending", LoanExtension.decided_at < before,
        (LoanExtension.reason.is_not(None)) | (LoanExtension.decision_note.is_not(None)))
        .order_by(LoanExtension.id)).scalars())
    for start in range(0, len(ids), 500):
        db.session.execute(update(LoanExtension).where(LoanExtension.id.in_(ids[start:start + 500]))
                           .values(reason=None, decision_note=None).execution_options(synchronize_session=False))
    if ids:
        append_event(actor, "extension.personal_data_purged", "extension", f"{ids[0]}-{ids[-1]}", at=now,
                     extra={"count": len(ids), "older_than": before.isoformat()})
    db.session.flush()
    return len(ids)
