"""Swap: "your laptop is broken, take this one" in one step.

Rules enforced here:
- the assignee is checked in the directory now, as for any hand-over (422 saying why, 503 when it is down);
- the broken device comes back as a return decides (in_repair when damaged, quarantine for a laptop not wiped),
  with its return form; the replacement goes to the same person, due the same day (today when that has
  passed), with its handover form and the hand-over's checks (in stock, not booked for someone else);
- all or nothing: any refusal (the replacement taken a moment ago by someone else: 409) raises before the
  unit of work commits, so nothing of either half stays;
- rows are locked as the return and the hand-over lock them: the incident report (if any), the loan, then both
  assets in id order, then the event log: no deadlock with a concurrent return, hand-over, extension or action on
  the report;
- one mail to the person (the receipt of both), both events, and a `loan.swapped` event linking the two loans;
  a swap made from an open incident report closes it, linked to the replacement's loan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from fleet.clock import local_today
from fleet.db import run, utcnow
from fleet.directory.base import Directory
from fleet.errors import Conflict, ValidationFailed
from fleet.models import Incident, Loan
from fleet.services import incidents as incident_service
from fleet.services import loans as loan_service
from fleet.services import notifications
from fleet.services.auth import Principal
from fleet.services.events import append_event

_LOANS = Loan.__table__
_LOCK_LOAN = select(_LOANS.c.status).where(_LOANS.c.id == bindparam("loan_id")).with_for_update()


@dataclass
class Swap:
    returned: Loan
    handed_over: Loan


def swap(directory: Directory, loan: Loan, actor: Principal, *, asset_tag: str, condition: str,
         accessories_returned: list[str], data_wiped: bool, damage_notes: str | None = None,
         accessories: list[str] | None = None, note: str | None = None, incident: Incident | None = None,
         now: datetime | None = None) -> Swap:
    """Take the loan's device back and hand `asset_tag` over to the same person, due the same day."""
    tag = (asset_tag or "").strip().upper()
    if not tag:
        raise ValidationFailed("Scan the replacement's asset tag.", errors={"asset_tag": ["Required."]})
    if tag == loan.asset.asset_tag:
        raise ValidationFailed("The replacement must be another asset.", errors={"asset_tag": ["The same asset."]})
    if incident is not None and incident.loan_id != loan.id:
        raise ValidationFailed(f"Incident {incident.id} is about another loan.",
                               errors={"incident_id": ["Another loan's incident."]})
    # The directory first: no database lock is held while LDAP answers.
    person = loan_service.check_assignee(directory, loan.assignee_uid)
    now = now or utcnow()
    if incident is not None:
        incident_service.lock_open(incident)  # the report, then the loan: as every action on a report
    status = run(_LOCK_LOAN, {"loan_id": loan.id}).scalar_one()
    if status != "active":
        raise Conflict(f"Loan {loan.number} is already {status}.", code="loan-closed")
    loan_service.lock_assets([loan.asset.asset_tag, tag])
    old_number = loan.number
    loan_service.take_back(loan, actor, condition=condition, accessories_returned=accessories_returned,
                           data_wiped=data_wiped, damage_notes=damage_notes, now=now, notify=False)
    due = max(loan.due_date, local_today(now))
    order = loan_service.HandoverOrder(asset_tag=tag, assignee=person.uid, due_date=due, accessories=accessories,
                                       note=note or f"Swap for {old_number}")
    try:
        new = loan_service.hand_over_checked(person, order, actor, now=now, notify=False)
    except Conflict as exc:
        raise Conflict(f"{exc.detail} Nothing was swapped.", code=exc.code,
                       errors=exc.errors or {"asset_tag": [exc.detail]}) from exc
    notification_id = notifications.queue_for_person("swap_receipt", person, now=now,
                                                     data={"loan_id": new.id, "returned_loan_id": loan.id},
                                                     document_id=new.handover_document_id)
    append_event(actor.uid, "loan.swapped", "loan", loan.id, at=now, after={
        "returned": old_number, "returned_asset_tag": loan.asset.asset_tag, "handed_over": new.number,
        "asset_tag": new.asset.asset_tag, "assignee": person.uid, "due_date": due,
        "incident_id": incident.id if incident is not None else None,
    }, extra={"notification_id": notification_id})
    if incident is not None:
        incident_service.close_incident(incident, actor, resolution="swapped", replacement_loan=new, now=now)
    return Swap(returned=loan, handed_over=new)
