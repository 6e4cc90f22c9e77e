"""What a request notes about the personal data it shows or changes, and the hook that writes the entry.

API views and pages call `note_access(…)` with what they are about to show; the hook runs after the view, before
the answer leaves and before the request commits:

- a change (a write request): the entry is appended in the change's own transaction, so both or neither stay;
- a read: the entry is appended and committed first (on SQLite in a transaction of its own that takes the write
  lock up front, so a read that began without it never fails half-way; on PostgreSQL in the read's transaction);
  only then does the answer leave.

If the entry cannot be written, the answer is replaced by a 503 and nothing is shown (fail closed).

A change that commits before its answer is serialized (`fleet.api.common.committed`: the hand-over and the return)
appends its entries itself, with `record_change_now`, so that they still go in its own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import Flask, abort, current_app, g, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from fleet import problems
from fleet.access_log.chain import Access, append_access
from fleet.access_log.rules import SENSITIVE_REASONS, handler_role
from fleet.db import dialect_name, write_intended, writing
from fleet.extensions import db
from fleet.security import current_principal
from fleet.services.requests import can_see_personal_data

_PENDING = "fleet_access_pending"


def note_access(action: str, target: str, subjects: Iterable[str | None] = (), *, listing: bool = False,
                subject_count: int | None = None, reason: str | None = None, params: dict | None = None) -> None:
    """Note one access for the hook to record. Nothing is noted for a caller who is no handler, nor for a single
    record that shows only the caller's own data; a list, report or export (`listing`) of a handler is always
    noted, with its parameters, even when it found nobody: the search itself was made."""
    principal = current_principal()
    if principal is None or handler_role(principal.roles) is None:
        return
    people = {uid for uid in subjects if uid}
    own_only = bool(people) and people <= {principal.uid}
    people.discard(principal.uid)
    if own_only or (not listing and not people):
        return  # only the caller's own data: no handler's access to anyone else's
    clean = {k: v for k, v in (params or {}).items() if v not in (None, "", [], {})}
    g.setdefault(_PENDING, []).append(Access(action, target, tuple(sorted(people)), subject_count, reason,
                                             clean or None))


def filters_of(args: dict) -> dict:
    """A list's query parameters as an entry keeps them (no paging)."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in args.items()
            if k not in ("limit", "cursor") and v not in (None, "")}


PEOPLE_KEYS = ("assignee", "requester", "person", "uid")


def people_in_events(events) -> set[str]:
    """Whom a page of events names: the actors, and the people in their before/after (an assignee, a requester)."""
    people: set[str] = set()
    for event in events:
        people.add(event.actor)
        data = json.loads(event.data)
        for part in (data, data.get("before") or {}, data.get("after") or {}):
            if isinstance(part, dict):
                people.update(str(part[k]) for k in PEOPLE_KEYS if isinstance(part.get(k), str))
    return people


def note_requests(action: str, target: str, requests, principal, **kwargs) -> None:
    """Note the requests shown; the sensitive reasons (health: pregnancy) that were shown are named for the
    privacy officer's review."""
    shown = [r for r in requests if can_see_personal_data(r, principal)]
    sensitive = sorted({r.reason for r in shown if r.reason in SENSITIVE_REASONS and r.requester_uid != principal.uid})
    params = {**(kwargs.pop("params", None) or {}), "sensitive_reasons": sensitive}
    note_access(action, target, [r.requester_uid for r in requests], params=params, **kwargs)


def pending() -> list[Access]:
    return list(g.get(_PENDING, []))


def _refuse():
    db.session.rollback()
    title, detail = "Access log unavailable", ("The access record could not be written, so nothing is shown. "
                                               "Try again in a moment; if it goes on, call the IT desk.")
    if request.path.startswith("/api/"):
        return problems.problem_response(503, title, detail, headers={"Retry-After": "2"})
    return render_template("error.html", status=503, title=title, detail=detail), 503


def record_change_now() -> None:
    """Append what the view noted now, in the change's own transaction (a write request that commits before its
    answer is serialized); the hook then finds nothing left to write."""
    accesses = g.pop(_PENDING, None)
    if not accesses:
        return
    principal = current_principal()
    role, ip = handler_role(principal.roles), request.remote_addr
    try:
        for access in accesses:
            append_access(principal.uid, role, ip, access)
    except SQLAlchemyError:
        current_app.logger.exception("the access log could not be written: the change is refused")
        abort(_refuse())


def record_pending(response):
    """after_request: write what the view noted (see the module's docstring)."""
    accesses = g.pop(_PENDING, None)
    if not accesses or response.status_code >= 400:
        return response
    principal = current_principal()
    role, ip = handler_role(principal.roles), request.remote_addr
    try:
        if write_intended():
            for access in accesses:
                append_access(principal.uid, role, ip, access)
        elif dialect_name() == "postgresql":
            # The read's own transaction takes the entry (it changed nothing, and a read of PostgreSQL
            # can go on to write): no ROLLBACK and BEGIN between them.
            for access in accesses:
                append_access(principal.uid, role, ip, access)
            db.session.commit()
        else:
            db.session.rollback()  # the read's own transaction: it changed nothing
            with writing():
                for access in accesses:
                    append_access(principal.uid, role, ip, access)
                db.session.commit()
    except SQLAlchemyError:
        current_app.logger.exception("the access log could not be written: the answer is refused")
        response.close()
        return current_app.make_response(_refuse())
    return response


def init_app(app: Flask) -> None:
    """Register the hook; after the request cycle's commit hook, so that it runs before it (Flask runs
    after_request functions last registered first)."""
    app.after_request(record_pending)
