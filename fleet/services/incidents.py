"""Incident reports: the assignee reports a loss, a theft or damage; the desk acts on the report.

Rules enforced here:
- only the assignee of an active loan reports, from their own page or the API: kind `lost`, `stolen` or
  `damaged`, when (not in the future), where, and what happened; the report is kept as reported, with the moment
  it reached Fleet, so whether it came within the 24 hours the handover form's terms ask is known for good;
- the IT desk's mailbox gets a mail (through the outbox), and the desk's dashboard lists open reports;
- the desk acts on an open report: marks the loan lost, takes the device back damaged, swaps it (see
  fleet.services.swaps), or closes it as resolved with a note. Each closes the report, linked to what was done,
  with a conditional UPDATE (`WHERE status = 'open'`): one action wins;
- a theft or loss report prints a short registered PDF for the police report and the property ledger (asset,
  serial number, owner organisation, when and where, as reported), issued once and served the same afterwards;
- the event log records the report and the action, never the description or the place (they can name people).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

import reports
from fleet.clock import format_local, local_time
from fleet.db import MAX_ID, utcnow
from fleet.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import INCIDENT_KINDS, INCIDENT_RESOLUTIONS, INCIDENT_STATUSES, Document, Incident, Loan
from fleet.services import loans as loan_service
from fleet.services import notifications
from fleet.services.auth import Principal
from fleet.services.documents import CATEGORY_LABELS, register_pdf
from fleet.services.events import append_event
from fleet.services.pagination import Page, decode_cursor, make_page
from fleet.services.signatures import signed_line

PLACE_MAX, DESCRIPTION_MAX = 300, 4000
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock a little ahead is not "in the future"
PRINTABLE = ("stolen", "lost")


def _public(incident: Incident, **more) -> dict:
    """What the event log says about a report: never the place or the description."""
    return {"kind": incident.kind, "loan": incident.loan.number, "asset_tag": incident.loan.asset.asset_tag,
            "status": incident.status, **more}


def report_incident(principal: Principal, loan: Loan, *, kind: str, happened_at: datetime, place: str,
                    description: str, now: datetime | None = None) -> Incident:
    """The assignee reports a loss, theft or damage of the device of their active loan."""
    if loan.assignee_uid != principal.uid:
        if principal.has("it", "auditor"):
            raise Forbidden("Only the assignee reports an incident of their loan.")
        raise NotFound(f"There is no loan {loan.id}.")
    now = now or utcnow()
    place, description = (place or "").strip(), (description or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in INCIDENT_KINDS:
        errors["kind"] = [f"Must be one of: {', '.join(INCIDENT_KINDS)}."]
    if happened_at.tzinfo is None:
        errors["happened_at"] = ["Give the time with its offset."]
    elif happened_at > now + CLOCK_SKEW:
        errors["happened_at"] = ["Must not be in the future."]
    elif happened_at < loan.checked_out_at - CLOCK_SKEW:
        errors["happened_at"] = ["Must not be before the hand-over."]
    if not place or len(place) > PLACE_MAX:
        errors["place"] = ["Required." if not place else f"Longer than maximum length {PLACE_MAX}."]
    if not description or len(description) > DESCRIPTION_MAX:
        errors["description"] = ["Required." if not description else f"Longer than maximum length {DESCRIPTION_MAX}."]
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    if loan.status != "active":
        raise Conflict(f"Loan {loan.number} is {loan.status}: report to the IT desk in person.", code="loan-closed")
    incident = Incident(loan=loan, kind=kind, happened_at=min(happened_at, now), place=place,
                        description=description, reported_by=principal.uid, reported_by_name=principal.name,
                        reported_at=now, status="open")
    db.session.add(incident)
    db.session.flush()
    append_event(principal.uid, "incident.reported", "incident", incident.id, at=now, after=_public(
        incident, happened_at=incident.happened_at, reported_at=now,
        reported_within_24h=incident.reported_within_24h))
    notifications.queue_for_it_desk("incident_reported", now=now, data={"incident_id": incident.id,
                                                                        "loan_id": loan.id}, actor=principal.uid)
    return incident


# Acting on a report


def _check_open(incident: Incident) -> None:
    if incident.status != "open":
        raise Conflict(f"Incident {incident.id} is {incident.status}.", code="incident-status",
                       errors={"status": [f"The incident is {incident.status}."]})


def lock_open(incident: Incident) -> None:
    """Lock the report's row before the loan's (PostgreSQL; SQLite has one writer anyway) and make sure it is
    still open. Every action on a report takes the report first, then the loan, then the event log: two actions
    on one report wait for each other instead of deadlocking."""
    status = db.session.execute(select(Incident.status).where(Incident.id == incident.id).with_for_update()
                                ).scalar_one()
    if status != "open":
        db.session.refresh(incident)
        _check_open(incident)


def close_incident(incident: Incident, actor: Principal, *, resolution: str, note: str | None = None,
                   replacement_loan: Loan | None = None, now: datetime | None = None) -> Incident:
    """Close an open report, linked to what the desk did (one action wins: Conflict for the others)."""
    if resolution not in INCIDENT_RESOLUTIONS:
        raise ValidationFailed(f"Unknown resolution {resolution!r}.", errors={"resolution": ["Unknown."]})
    now = now or utcnow()
    result = db.session.execute(
        update(Incident).where(Incident.id == incident.id, Incident.status == "open")
        .values(status="closed", resolution=resolution, resolution_note=note, resolved_by=actor.uid,
                resolved_at=now, replacement_loan_id=replacement_loan.id if replacement_loan else None)
        .execution_options(synchronize_session=False))
    db.session.refresh(incident)
    if result.rowcount != 1:
        _check_open(incident)
    append_event(actor.uid, "incident.closed", "incident", incident.id, at=now, before={"status": "open"},
                 after=_public(incident, resolution=resolution,
                               replacement_loan=replacement_loan.number if replacement_loan else None))
    return incident


def resolve(incident: Incident, actor: Principal, note: str, now: datetime | None = None) -> Incident:
    """Close a report that needed no change of the loan (found again, repaired on the spot…), with a note."""
    note = (note or "").strip()
    if not note or len(note) > DESCRIPTION_MAX:
        raise ValidationFailed("Say how the incident was resolved.",
                               errors={"note": ["Required." if not note else "Too long."]})
    return close_incident(incident, actor, resolution="resolved", note=note, now=now)


def mark_lost(incident: Incident, actor: Principal, note: str | None = None, now: datetime | None = None) -> Incident:
    """The loan of a lost or stolen device closes as lost, and the report with it."""
    lock_open(incident)
    now = now or utcnow()
    reason = (note or "").strip() or f"Reported {incident.kind} (incident {incident.id})"
    loan_service.mark_lost(incident.loan, actor, reason, now=now)
    return close_incident(incident, actor, resolution="marked_lost", note=note, now=now)


def take_back_damaged(incident: Incident, actor: Principal, *, accessories_returned: list[str], data_wiped: bool,
                      damage_notes: str | None = None, now: datetime | None = None) -> Incident:
    """The damaged device comes back (to in_repair), with its return form; the report closes."""
    lock_open(incident)
    now = now or utcnow()
    loan_service.take_back(incident.loan, actor, condition="damaged", accessories_returned=accessories_returned,
                           data_wiped=data_wiped, damage_notes=damage_notes or incident.description, now=now)
    return close_incident(incident, actor, resolution="taken_back", now=now)


# Reading


def get_incident(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id) if 0 < incident_id <= MAX_ID else None
    if incident is None:
        raise NotFound(f"There is no incident {incident_id}.")
    return incident


def check_can_read(incident: Incident, principal: Principal) -> None:
    """IT staff and auditors read every report; an employee only their own."""
    if not principal.has("it", "auditor") and incident.reported_by != principal.uid:
        raise NotFound(f"There is no incident {incident.id}.")


def list_incidents(principal: Principal, *, status: str | None = None, loan: str | None = None, limit: int = 50,
                   cursor: str | None = None) -> Page:
    """Reports, newest first, keyset-paginated on id; an employee sees their own only."""
    if status is not None and status not in INCIDENT_STATUSES:
        raise ValidationFailed("Some fields are not valid; see errors.",
                               errors={"status": [f"Must be one of: {', '.join(INCIDENT_STATUSES)}."]})
    query = select(Incident)
    if not principal.has("it", "auditor"):
        query = query.where(Incident.reported_by == principal.uid)
    if status:
        query = query.where(Incident.status == status)
    if loan:
        query = query.where(Incident.loan_id == loan_service.get_loan_by_ref(loan).id)
    key = decode_cursor(cursor)
    if key:
        if not isinstance(key[0], int) or not 0 <= key[0] <= MAX_ID:
            raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Not a cursor given by this list."]})
        query = query.where(Incident.id < key[0])
    rows = list(db.session.execute(query.order_by(Incident.id.desc()).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda i: [i.id])


def list_open(limit: int = 50) -> list[Incident]:
    """Open reports, oldest first (the desk's dashboard)."""
    return list(db.session.execute(select(Incident).where(Incident.status == "open").order_by(Incident.id)
                                   .limit(limit)).scalars())


def list_for_loan(loan: Loan) -> list[Incident]:
    return list(db.session.execute(select(Incident).where(Incident.loan_id == loan.id).order_by(Incident.id))
                .scalars())


# The theft report


def report_number(incident: Incident) -> str:
    return f"I-{local_time(incident.reported_at).year}-{incident.id:06d}"


def gather_theft_report(incident: Incident, issued_by: Principal, now: datetime) -> reports.TheftReport:
    """The facts of a theft or loss report, as reported, for the police and the property ledger."""
    loan = incident.loan
    asset = loan.asset
    return reports.TheftReport(
        org_name=current_app.config["FLEET_ORG_NAME"], report_number=report_number(incident), kind=incident.kind,
        asset_tag=asset.asset_tag, category=CATEGORY_LABELS.get(asset.category, asset.category),
        manufacturer=asset.manufacturer or "", model=asset.model or "", serial_number=asset.serial_number or "",
        purchase_date=asset.purchase_date.isoformat() if asset.purchase_date else "",
        home_center=asset.center.name, loan_number=loan.number, assignee_name=loan.assignee_name,
        assignee_employee_number=loan.assignee_employee_number or "",
        assignee_department=loan.assignee_department or "",
        happened_at=format_local(incident.happened_at), place=incident.place, description=incident.description,
        reported_at=format_local(incident.reported_at), reported_within_24h=incident.reported_within_24h,
        issued_at=format_local(now), issued_by=f"{issued_by.name} ({issued_by.uid})",
        qr_payload=f"fleet:incident:{report_number(incident)}", created_at=now.isoformat(),
        signed_line=signed_line())


def issue_theft_report(incident: Incident, principal: Principal, now: datetime | None = None) -> Document:
    """The registered PDF of a theft or loss report: issued on first request, the same bytes afterwards."""
    check_can_read(incident, principal)
    if incident.kind not in PRINTABLE:
        raise Conflict(f"Incident {incident.id} reports damage: only a theft or a loss has a report to print.",
                       code="incident-not-printable")
    if incident.document_id is not None:
        return db.session.get(Document, incident.document_id)
    now = now or utcnow()
    content = reports.render_theft_report(gather_theft_report(incident, principal, now))
    document = register_pdf("theft_report", f"incident:{incident.id}", f"Theft/loss report {report_number(incident)}",
                            f"incident-{report_number(incident)}.pdf", content, principal.uid, now=now)
    result = db.session.execute(update(Incident).where(Incident.id == incident.id, Incident.document_id.is_(None))
                                .values(document_id=document.id).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # issued by someone else a moment ago: theirs is the one
        db.session.refresh(incident)
        return db.session.get(Document, incident.document_id)
    db.session.refresh(incident)
    append_event(principal.uid, "document.issued", "incident", incident.id, at=now, after={
        "kind": "theft_report", "document_id": document.id, "sha256": document.sha256,
        "number": report_number(incident)})
    return document
