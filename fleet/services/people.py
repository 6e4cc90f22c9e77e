"""People as the directory gives them, with what Fleet knows of them."""

from __future__ import annotations

from sqlalchemy import select

from fleet.directory.base import ROLE_AUDITOR, ROLE_IT, Directory
from fleet.errors import Forbidden, NotFound
from fleet.extensions import db
from fleet.models import Loan
from fleet.services.auth import Principal


def describe_me(directory: Directory, principal: Principal) -> dict:
    """The caller's own entry; roles as granted at login."""
    person = directory.get_person(principal.uid)
    return {
        "uid": principal.uid,
        "name": person.name if person else principal.name,
        "employee_number": person.employee_number if person else None,
        "department": person.department if person else None,
        "email": person.email if person else None,
        "roles": sorted(principal.roles),
    }


def get_person_view(directory: Directory, principal: Principal, uid: str) -> dict:
    """IT staff and auditors may look anyone up; an employee only themself."""
    if not principal.has(ROLE_IT, ROLE_AUDITOR) and uid != principal.uid:
        raise Forbidden("Employees may look up only themselves.")
    person = directory.get_person(uid, with_roles=True)
    if person is None:
        raise NotFound(f"Nobody with the user name {uid!r} is in the directory.")
    loans = db.session.execute(
        select(Loan).where(Loan.assignee_uid == person.uid, Loan.status == "active").order_by(Loan.id)
    ).scalars()
    return {
        "uid": person.uid,
        "name": person.name,
        "employee_number": person.employee_number,
        "department": person.department,
        "email": person.email,
        "active": person.active,
        "eligible": person.eligible,
        "roles": sorted(person.roles),
        "open_loans": [
            {"id": loan.id, "number": loan.number, "asset_tag": loan.asset.asset_tag,
             "due_date": loan.due_date.isoformat()}
            for loan in loans
        ],
    }
