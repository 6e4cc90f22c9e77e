"""Leavers: people who left or were disabled in the directory while holding a device."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from fleet.db import utcnow
from fleet.directory.base import Directory
from fleet.extensions import db
from fleet.models import ApiToken, LeaverFinding, Loan
from fleet.services import notifications
from fleet.services.auth import end_all_sessions
from fleet.services.events import append_event

BATCH = 500


def sync_directory(directory: Directory, actor: str, *, progress: Callable[[int, int], None] | None = None,
                   now: datetime | None = None) -> list[LeaverFinding]:
    """Check every open loan's assignee and everyone logged in against the directory now.

    Each new leaver holding a device is recorded (a loan already flagged and not yet resolved
    by its return is not flagged twice); every leaver's page sessions and API tokens end.
    Answers the findings that are open after the sync, new and old.
    """
    now = now or utcnow()
    holders = set(db.session.execute(select(Loan.assignee_uid).where(Loan.status == "active")).scalars())
    logged_in = set(db.session.execute(select(ApiToken.uid)).scalars())
    uids = sorted(holders | logged_in)
    verdicts: dict[str, str] = {}
    for start in range(0, len(uids), BATCH):
        chunk = uids[start:start + BATCH]
        people = directory.get_people(chunk)
        for uid in chunk:
            person = people.get(uid)
            if person is None:
                verdicts[uid] = "not_found"
            elif not person.active:
                verdicts[uid] = "disabled"
        if progress:
            progress(min(start + BATCH, len(uids)), len(uids))
    if progress and not uids:
        progress(0, 0)
    for uid in sorted(logged_in.intersection(verdicts)):
        end_all_sessions(uid, actor, "leaver", now)
    flagged = set(db.session.execute(
        select(LeaverFinding.loan_id).where(LeaverFinding.resolved_at.is_(None))).scalars())
    new_findings: list[int] = []
    if verdicts:
        loans = db.session.execute(
            select(Loan).where(Loan.status == "active", Loan.assignee_uid.in_(list(verdicts))).order_by(Loan.id)
        ).scalars()
        for loan in loans:
            if loan.id in flagged:
                continue
            finding = LeaverFinding(uid=loan.assignee_uid, loan_id=loan.id, reason=verdicts[loan.assignee_uid],
                                    found_at=now)
            db.session.add(finding)
            db.session.flush()
            append_event(actor, "directory.leaver_found", "loan", loan.id, at=now, after={
                "uid": loan.assignee_uid, "reason": finding.reason, "asset_tag": loan.asset.asset_tag,
                "finding_id": finding.id})
            new_findings.append(finding.id)
    if new_findings:
        # The IT desk hears of new leavers once, when the sync finds them.
        notifications.queue_for_it_desk("leavers", now=now, data={"finding_ids": new_findings}, actor=actor)
    db.session.flush()
    return list_open_leavers()


def list_open_leavers() -> list[LeaverFinding]:
    return list(db.session.execute(
        select(LeaverFinding).where(LeaverFinding.resolved_at.is_(None)).order_by(LeaverFinding.id)).scalars())
