"""What must hold in Fleet's database whatever the clients did, read back after a storm or a crash.

Each check answers a `Check` (a name, whether it holds, a short detail) rather than
asserting, so that a script can print them all and a test can assert them all. They read
the tables with plain SQL, not through the services under test, and work on PostgreSQL
and SQLite alike. Call `check_database()` inside an app context.

What the schema makes checkable:
- loans against assets: at most one active loan per asset; `on_loan` ⇔ exactly one;
- the event log: the chain verifies; every loan has its hand-over event and every closed
  loan its closing event; replaying the log gives every asset's and every request's
  current status (so no change was written without its event, or the reverse);
- documents: every loan names its forms; every form row names a loan or batch that exists
  and points back at it (a form reserved by a transaction that never committed would not);
- requests: fulfilled ⇔ a loan names the request;
- stocktakes: one scan event per scan row, a closing event per closed stocktake;
- notifications: every hand-over, return and request decision names the message it queued, and every
  message is named by the event of the change that queued it (a rolled-back change left none behind).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import text

from fleet.extensions import db
from fleet.services.events import verify_chain

FORM_KINDS = ("handover_form", "return_form", "batch_handover_form")
SHOWN = 5  # offenders named in a failed check's detail


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def _rows(sql: str) -> list:
    return db.session.execute(text(sql)).all()


def _check(name: str, offenders: list, fine: str) -> Check:
    if offenders:
        shown = ", ".join(str(o) for o in offenders[:SHOWN])
        return Check(name, False, f"{len(offenders)} wrong, e.g. {shown}")
    return Check(name, True, fine)


def one_open_loan_per_asset() -> Check:
    doubles = _rows("SELECT asset_id, COUNT(*) FROM loans WHERE status = 'active' GROUP BY asset_id "
                    "HAVING COUNT(*) > 1")
    active = _rows("SELECT COUNT(*) FROM loans WHERE status = 'active'")[0][0]
    return _check("at most one active loan per asset", [f"asset {a}: {n} active loans" for a, n in doubles],
                  f"{active} active loans, none doubled")


def asset_status_agrees_with_loans() -> Check:
    rows = _rows("SELECT a.asset_tag, a.status, (SELECT COUNT(*) FROM loans l WHERE l.asset_id = a.id "
                 "AND l.status = 'active') FROM assets a ORDER BY a.id")
    wrong = [f"{tag} is {status} with {n} active loans" for tag, status, n in rows
             if (status == "on_loan") != (n == 1) or n > 1]
    on_loan = sum(1 for _, status, _ in rows if status == "on_loan")
    return _check("asset on_loan ⇔ exactly one active loan", wrong, f"{len(rows)} assets, {on_loan} on loan")


def event_chain_verifies() -> Check:
    result = verify_chain()
    return Check("event chain verifies", result.valid,
                 f"{result.count} events" if result.valid else f"first bad seq {result.first_bad_seq}")


def loans_have_their_events() -> Check:
    loans = {loan_id: status for loan_id, status in _rows("SELECT id, status FROM loans")}
    subjects: dict[str, Counter] = {}
    for action, subject_id in _rows("SELECT action, subject_id FROM events WHERE subject_type = 'loan'"):
        subjects.setdefault(action, Counter())[int(subject_id)] += 1
    handed, returned, lost = (subjects.get(a, Counter()) for a in ("loan.handed_over", "loan.returned", "loan.lost"))
    wrong = [f"loan {i} has no hand-over event" for i in loans if handed[i] != 1]
    wrong += [f"event names loan {i}, which does not exist" for c in subjects.values() for i in c if i not in loans]
    wrong += [f"loan {i} is {s} with {returned[i]} return and {lost[i]} lost events" for i, s in loans.items()
              if (returned[i], lost[i]) != {"active": (0, 0), "returned": (1, 0), "lost": (0, 1)}[s]]
    return _check("every loan has its events (hand-over; return or lost when closed)", wrong,
                  f"{len(loans)} loans, {sum(returned.values())} returned, {sum(lost.values())} lost")


def forms_match_loans() -> Check:
    loans = {row[0]: row for row in _rows("SELECT id, status, batch_id, handover_document_id, return_document_id "
                                          "FROM loans")}
    batches = dict(_rows("SELECT id, document_id FROM loan_batches"))
    kinds = ", ".join(f"'{k}'" for k in FORM_KINDS)
    forms = _rows(f"SELECT id, kind, subject FROM documents WHERE kind IN ({kinds})")
    wrong = []
    for loan_id, status, batch_id, handover_id, return_id in loans.values():
        if batch_id is None and handover_id is None:
            wrong.append(f"loan {loan_id} has no handover form")
        if batch_id is not None and batches.get(batch_id) is None:
            wrong.append(f"loan {loan_id}'s batch {batch_id} has no batch form")
        if (status == "returned") != (return_id is not None):
            wrong.append(f"loan {loan_id} is {status} with return form {return_id}")
    for doc_id, kind, subject in forms:
        what, _, number = (subject or "").partition(":")
        if kind == "batch_handover_form":
            points_back = what == "batch" and number.isdigit() and batches.get(int(number)) == doc_id
        else:
            loan = loans.get(int(number)) if what == "loan" and number.isdigit() else None
            points_back = loan is not None and doc_id == (loan[3] if kind == "handover_form" else loan[4])
        if not points_back:
            wrong.append(f"{kind} {doc_id} names {subject!r}, which does not name it back")
    return _check("forms and loans name each other (no form without its loan or batch)", wrong,
                  f"{len(forms)} forms for {len(loans)} loans and {len(batches)} batches")


def _events(*subject_types: str):
    """(subject_type, subject_id, action, data) of these subject types, in chain order."""
    types = ", ".join(f"'{t}'" for t in subject_types)
    for subject_type, subject_id, action, data in _rows(
            f"SELECT subject_type, subject_id, action, data FROM events WHERE subject_type IN ({types}) ORDER BY seq"):
        yield subject_type, subject_id, action, json.loads(data)


def asset_statuses_replay_from_the_log() -> Check:
    """Every status change was logged: the last status the log states for an asset is its status."""
    replayed: dict[str, str] = {}
    for subject_type, subject_id, _, data in _events("asset", "loan"):
        after = data.get("after") or {}
        if subject_type == "asset" and "status" in after:
            replayed[subject_id] = after["status"]
        elif subject_type == "loan" and "asset_status" in after:
            replayed[after["asset_tag"]] = after["asset_status"]["after"]
    stored = dict(_rows("SELECT asset_tag, status FROM assets"))
    wrong = [f"{tag} is {status} but the log says {replayed.get(tag)}" for tag, status in stored.items()
             if replayed.get(tag) != status]
    wrong += [f"the log names asset {tag}, which does not exist" for tag in replayed if tag not in stored]
    return _check("every asset's status is the one its last event states", wrong,
                  f"{len(stored)} assets: {dict(sorted(Counter(stored.values()).items()))}")


def request_statuses_replay_from_the_log() -> Check:
    replayed: dict[int, str] = {}
    fulfilled_by: dict[int, int] = {}
    for _, subject_id, action, data in _events("request"):
        after = data.get("after") or {}
        replayed[int(subject_id)] = after.get("status")
        if action == "request.fulfilled":
            fulfilled_by[int(subject_id)] = after.get("loan_id")
    stored = dict(_rows("SELECT id, status FROM requests"))
    named = dict(_rows("SELECT request_id, id FROM loans WHERE request_id IS NOT NULL"))
    wrong = [f"request {i} is {s} but the log says {replayed.get(i)}" for i, s in stored.items()
             if replayed.get(i) != s]
    wrong += [f"request {i} is {s}, loan {named.get(i)} names it, the log says loan {fulfilled_by.get(i)}"
              for i, s in stored.items()
              if (s == "fulfilled") != (i in named) or named.get(i) != fulfilled_by.get(i)]
    return _check("every request's status is the one its last event states; fulfilled ⇔ a loan names it", wrong,
                  f"{len(stored)} requests: {dict(sorted(Counter(stored.values()).items()))}")


def stocktakes_have_their_events() -> Check:
    scans = Counter({str(s): n for s, n in _rows("SELECT stocktake_id, COUNT(*) FROM stocktake_scans "
                                                 "GROUP BY stocktake_id")})
    events = Counter()
    closed_events = set()
    for _, subject_id, action, _ in _events("stocktake"):
        if action == "stocktake.scanned":
            events[subject_id] += 1
        elif action == "stocktake.closed":
            closed_events.add(subject_id)
    closed = {str(i) for (i,) in _rows("SELECT id FROM stocktakes WHERE status = 'closed'")}
    wrong = [f"stocktake {s}: {scans[s]} scans, {events[s]} scan events" for s in set(scans) | set(events)
             if scans[s] != events[s]]
    wrong += [f"stocktake {s} closed without its event, or the reverse" for s in closed ^ closed_events]
    return _check("every scan and every closing of a stocktake has its event", wrong,
                  f"{sum(scans.values())} scans in {len(scans)} stocktakes, {len(closed)} closed")


NOTIFYING_ACTIONS = {"loan.handed_over": "handover_receipt", "loan.returned": "return_receipt",
                     "request.approved": "request_approved", "request.rejected": "request_rejected",
                     "request.fulfilled": "request_fulfilled"}


def notifications_match_their_events() -> Check:
    kinds = {nid: kind for nid, kind in _rows("SELECT id, kind FROM notifications")}
    named: Counter = Counter()
    wrong = []
    for action, data in _rows("SELECT action, data FROM events WHERE action IN ("
                              + ", ".join(f"'{a}'" for a in NOTIFYING_ACTIONS) + ") ORDER BY seq"):
        nid = json.loads(data).get("notification_id")
        if kinds.get(nid) != NOTIFYING_ACTIONS[action]:
            wrong.append(f"{action} names notification {nid} ({kinds.get(nid)})")
        named[nid] += 1
    for nid, kind in _rows("SELECT id, kind FROM notifications WHERE kind IN ("
                           + ", ".join(f"'{k}'" for k in NOTIFYING_ACTIONS.values()) + ")"):
        if named[nid] != 1:
            wrong.append(f"notification {nid} ({kind}) is named by {named[nid]} events")
    return _check("every change's notification was queued with it, and only then", wrong,
                  f"{len(kinds)} notifications queued")


CHECKS = (one_open_loan_per_asset, asset_status_agrees_with_loans, event_chain_verifies, loans_have_their_events,
          forms_match_loans, asset_statuses_replay_from_the_log, request_statuses_replay_from_the_log,
          stocktakes_have_their_events, notifications_match_their_events)


def check_database() -> list[Check]:
    """Every check, in the current app context's database."""
    try:
        return [check() for check in CHECKS]
    finally:
        db.session.rollback()
