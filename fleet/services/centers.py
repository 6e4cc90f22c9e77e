"""Centers: smart work centers, library information rooms and offices."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fleet.errors import Conflict, NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import CENTER_KINDS, Center
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.pagination import Page, decode_cursor, make_page

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FIELDS = ("code", "name", "kind", "address", "seats")


def _snapshot(center: Center) -> dict:
    return {field: getattr(center, field) for field in FIELDS}


def _validate(values: dict) -> None:
    errors: dict[str, list[str]] = {}
    if "code" in values and not CODE_PATTERN.match(values["code"] or ""):
        errors["code"] = ["1 to 32 letters, digits, - or _."]
    if "kind" in values and values["kind"] not in CENTER_KINDS:
        errors["kind"] = [f"Must be one of: {', '.join(CENTER_KINDS)}."]
    if "name" in values and not (values["name"] or "").strip():
        errors["name"] = ["Must not be empty."]
    if values.get("seats") is not None and values["seats"] < 0:
        errors["seats"] = ["Must be 0 or more."]
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)


def get_center(code: str) -> Center:
    center = db.session.execute(select(Center).where(Center.code == code)).scalar_one_or_none()
    if center is None:
        raise NotFound(f"There is no center {code!r}.")
    return center


def create_center(actor: Principal, **values) -> Center:
    """Register a center; its code is unique."""
    _validate(values)
    center = Center(**{k: values.get(k) for k in FIELDS})
    db.session.add(center)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A center with the code {values['code']!r} exists already.",
                       errors={"code": ["Already taken."]}) from exc
    append_event(actor.uid, "center.created", "center", center.code, after=_snapshot(center))
    return center


def update_center(center: Center, actor: Principal, **changes) -> Center:
    """Change a center's name, kind, address or seats (the code stays)."""
    if "code" in changes and changes["code"] != center.code:
        raise ValidationFailed("A center's code cannot change.", errors={"code": ["Cannot change."]})
    changes.pop("code", None)
    _validate(changes)
    before = {k: getattr(center, k) for k in changes}
    for key, value in changes.items():
        setattr(center, key, value)
    db.session.flush()
    if changes:
        append_event(actor.uid, "center.updated", "center", center.code, before=before,
                     after={k: getattr(center, k) for k in changes})
    return center


def list_centers(limit: int = 50, cursor: str | None = None, kind: str | None = None) -> Page:
    query = select(Center)
    if kind:
        query = query.where(Center.kind == kind)
    key = decode_cursor(cursor)
    if key:
        query = query.where(Center.id > int(key[0]))
    rows = list(db.session.execute(query.order_by(Center.id).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda c: [c.id])
