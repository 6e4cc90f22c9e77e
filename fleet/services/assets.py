"""Assets: register, change, find, move through the life cycle, import from CSV.

Asset tags are stored upper-case and looked up the same way, so a scanner's or a
person's spelling does not matter. Events name an asset by its tag.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from fleet.db import utcnow
from fleet.errors import Conflict, NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import CATEGORIES, MAX_COST, STATUSES, Asset, Center, Loan, Repair
from fleet.services import loans as loan_service
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.lifecycle import check_manual_move
from fleet.services.pagination import Page, decode_cursor, make_page

TAG_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,63}$")
EDITABLE = ("serial_number", "category", "manufacturer", "model", "center", "purchase_date", "purchase_cost",
            "warranty_until", "accessories", "notes")


def normalise_tag(tag: str) -> str:
    return (tag or "").strip().upper()


def snapshot(asset: Asset) -> dict:
    return {"asset_tag": asset.asset_tag, "serial_number": asset.serial_number, "category": asset.category,
            "manufacturer": asset.manufacturer, "model": asset.model,
            "center": asset.center.code if asset.center else None, "status": asset.status,
            "purchase_date": asset.purchase_date, "purchase_cost": asset.purchase_cost,
            "warranty_until": asset.warranty_until, "accessories": list(asset.accessories or []),
            "notes": asset.notes}


def get_asset(tag: str) -> Asset:
    asset = db.session.execute(select(Asset).where(Asset.asset_tag == normalise_tag(tag))).scalar_one_or_none()
    if asset is None:
        raise NotFound(f"No asset has the tag {tag!r}.")
    return asset


def _center_by_code(code: str | None, errors: dict, field: str = "center") -> Center | None:
    if not code:
        errors[field] = ["Name the asset's home center."]
        return None
    center = db.session.execute(select(Center).where(Center.code == code)).scalar_one_or_none()
    if center is None:
        errors[field] = [f"There is no center {code!r}."]
    return center


def check_values(values: dict, errors: dict, *, creating: bool) -> None:
    """Field rules shared by the API, the pages and the CSV import."""
    if creating:
        tag = normalise_tag(values.get("asset_tag") or "")
        if not TAG_PATTERN.match(tag):
            errors["asset_tag"] = ["1 to 64 letters, digits, . _ / or -, starting with a letter or digit."]
        values["asset_tag"] = tag
    if "category" in values and values["category"] not in CATEGORIES:
        errors["category"] = [f"Must be one of: {', '.join(CATEGORIES)}."]
    cost = values.get("purchase_cost")
    if cost is not None:
        cost = Decimal(cost)
        if not cost.is_finite():  # "NaN" and "Infinity" parse as decimals, and NaN cannot even be compared
            errors["purchase_cost"] = ["Not a number."]
        elif cost < 0:
            errors["purchase_cost"] = ["Must be 0 or more."]
        elif cost > MAX_COST:
            errors["purchase_cost"] = [f"Must be at most {MAX_COST}."]  # more fails on PostgreSQL only
    accessories = values.get("accessories")
    if accessories is not None:
        values["accessories"] = [a.strip() for a in accessories if a and a.strip()]
    if values.get("purchase_date") and values.get("warranty_until") and \
            values["warranty_until"] < values["purchase_date"]:
        errors["warranty_until"] = ["Must not be before the purchase date."]


def create_asset(actor: Principal, *, now: datetime | None = None, **values) -> Asset:
    """Register a device; it starts in stock at its home center."""
    errors: dict[str, list[str]] = {}
    check_values(values, errors, creating=True)
    center = _center_by_code(values.pop("center", None), errors)
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    now = now or utcnow()
    asset = Asset(center=center, status="in_stock", created_at=now, updated_at=now,
                  accessories=values.pop("accessories", None) or [], **values)
    db.session.add(asset)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"An asset with the tag {asset.asset_tag} exists already.",
                       errors={"asset_tag": ["Already taken."]}) from exc
    append_event(actor.uid, "asset.created", "asset", asset.asset_tag, at=now, after=snapshot(asset))
    return asset


def update_asset(asset: Asset, actor: Principal, **changes) -> Asset:
    """Change an asset's details. Its tag never changes; its status moves only through the life cycle."""
    errors: dict[str, list[str]] = {}
    if "status" in changes:
        errors["status"] = ["Change the status with POST /api/v1/assets/{tag}/status."]
    if "asset_tag" in changes:
        errors["asset_tag"] = ["An asset tag never changes."]
    check_values(changes, errors, creating=False)
    center = _center_by_code(changes["center"], errors) if "center" in changes else None
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    before_all = snapshot(asset)
    for key, value in changes.items():
        if key == "center":
            asset.center = center
        else:
            setattr(asset, key, value)
    asset.updated_at = utcnow()
    db.session.flush()
    after_all = snapshot(asset)
    changed = [k for k in after_all if after_all[k] != before_all[k]]
    if changed:
        append_event(actor.uid, "asset.updated", "asset", asset.asset_tag, before={k: before_all[k] for k in changed},
                     after={k: after_all[k] for k in changed})
    return asset


def move_status(asset: Asset, actor: Principal, status: str, reason: str, *, wipe_method: str | None = None,
                now: datetime | None = None) -> Asset:
    """A life-cycle move made by hand (PRODUCT.md, "Device life cycle").

    Releasing a quarantined laptop records the wipe (method, who, when). Declaring an
    asset on loan lost closes its loan as lost. The move is a conditional UPDATE, so a
    concurrent change makes it a 409, never a lost update.
    """
    if status not in STATUSES:
        raise ValidationFailed(f"Unknown status {status!r}.", errors={"status": [f"One of: {', '.join(STATUSES)}."]})
    if not (reason or "").strip():
        raise ValidationFailed("Give a reason for the move.", errors={"reason": ["Required."]})
    check_manual_move(asset.status, status)
    if asset.status == "in_repair" and db.session.execute(
            select(Repair.id).where(Repair.asset_id == asset.id, Repair.status == "open")).first():
        raise Conflict(f"Asset {asset.asset_tag} is at a vendor (an open repair): close the repair instead.",
                       code="repair-open")
    now = now or utcnow()
    if asset.status == "on_loan" and status == "lost":
        loan = db.session.execute(select(Loan).where(Loan.asset_id == asset.id, Loan.status == "active")
                                  ).scalar_one_or_none()
        if loan is None:
            # The loan was closed (returned, or reported lost) since the asset was read.
            db.session.refresh(asset)
            raise Conflict(f"Asset {asset.asset_tag} changed meanwhile; it is now {asset.status}.",
                           code="illegal-status-move")
        loan_service.mark_lost(loan, actor, reason, now=now)
        return asset
    extra: dict = {"reason": reason}
    if asset.status == "quarantine":
        if not (wipe_method or "").strip():
            raise ValidationFailed("Say how the data was wiped before releasing the laptop.",
                                   errors={"wipe_method": ["Required to release from quarantine."]})
        extra["wipe"] = {"method": wipe_method.strip(), "by": actor.name or actor.uid, "at": now.isoformat()}
    before = asset.status
    result = db.session.execute(update(Asset).where(Asset.id == asset.id, Asset.status == before)
                                .values(status=status, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(asset)
        raise Conflict(f"Asset {asset.asset_tag} changed meanwhile; it is now {asset.status}.",
                       code="illegal-status-move")
    db.session.refresh(asset)
    append_event(actor.uid, "asset.status_changed", "asset", asset.asset_tag, at=now, before={"status": before},
                 after={"status": status}, extra=extra)
    return asset


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def list_assets(*, status: str | None = None, center: str | None = None, category: str | None = None,
                q: str | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    """Assets in order of registration, filtered; keyset pagination, no counting."""
    query = select(Asset)
    if status:
        query = query.where(Asset.status == status)
    if center:
        center_row = db.session.execute(select(Center).where(Center.code == center)).scalar_one_or_none()
        if center_row is None:
            raise ValidationFailed(f"There is no center {center!r}.", errors={"center": ["Unknown center."]})
        query = query.where(Asset.center_id == center_row.id)
    if category:
        query = query.where(Asset.category == category)
    if q and q.strip():
        pattern = _like(q.strip())
        query = query.where(or_(*(func.lower(column).like(pattern, escape="\\") for column in
                                  (Asset.asset_tag, Asset.serial_number, Asset.model, Asset.manufacturer))))
    key = decode_cursor(cursor)
    if key:
        query = query.where(Asset.id > int(key[0]))
    rows = list(db.session.execute(query.order_by(Asset.id).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda a: [a.id])


def active_loan(asset: Asset) -> Loan | None:
    return db.session.execute(select(Loan).where(Loan.asset_id == asset.id, Loan.status == "active")
                              ).scalar_one_or_none()
