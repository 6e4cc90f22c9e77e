"""Repairs: an asset sent to a vendor (vendor, ticket, fault, warranty) and brought back fixed or beyond repair.

Rules enforced here:
- an asset in stock, in quarantine or already in repair can go to a vendor; one on loan cannot (take it back or
  swap it first: 409), nor one lost or retired; an asset has at most one open repair (a unique partial index);
- back `fixed`, the asset goes where a return would send it in good condition: a laptop whose data was not
  wiped to quarantine, anything else to stock; `beyond_repair` retires it with the repair as the reason;
- costs are Decimal (KRW, NUMERIC(14, 2)), never floats, and add up exactly;
- each step is a conditional UPDATE of the asset plus an event on the asset (`repair.opened`, `repair.closed`)
  in the same transaction, so a concurrent move is a 409, never a lost update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from fleet.clock import check_days, local_today, local_zone
from fleet.db import MAX_ID, utcnow
from fleet.errors import Conflict, NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import MAX_COST, REPAIR_RESULTS, Asset, Center, Repair
from fleet.services.assets import get_asset
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.loans import status_after_return
from fleet.services.pagination import Page, decode_cursor, make_page

# Where an asset may come from when it is sent to a vendor.
SENDABLE = ("in_stock", "quarantine", "in_repair")


def _move(asset: Asset, expected: str, new: str, now: datetime) -> None:
    if expected == new:
        return
    result = db.session.execute(update(Asset).where(Asset.id == asset.id, Asset.status == expected)
                                .values(status=new, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(asset)
        raise Conflict(f"Asset {asset.asset_tag} changed meanwhile; it is now {asset.status}.",
                       code="asset-status-changed")
    db.session.refresh(asset)


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def check_cost(cost, field: str = "cost") -> Decimal | None:
    """A cost in KRW as Decimal (never a float): 0 or more, at most what NUMERIC(14, 2) holds, 2 places."""
    if cost is None or cost == "":
        return None
    if isinstance(cost, float):
        cost = repr(cost)  # the shortest decimal that reads back as this float: 0.1, not 0.1000000000000000055…
    try:
        value = Decimal(str(cost).replace(",", "").strip())
    except InvalidOperation:
        raise ValidationFailed("The cost is not a number.", errors={field: ["Not a number."]}) from None
    if not value.is_finite():
        raise ValidationFailed("The cost is not a number.", errors={field: ["Not a number."]})
    if value < 0 or value > MAX_COST:
        raise ValidationFailed(f"The cost must be between 0 and {MAX_COST}.",
                               errors={field: [f"Must be between 0 and {MAX_COST}."]})
    return value.quantize(Decimal("0.01"))


def open_repair(actor: Principal, *, asset_tag: str, vendor: str, fault: str, ticket: str | None = None,
                sent_at: datetime | None = None, under_warranty: bool | None = None,
                now: datetime | None = None) -> Repair:
    """Send an asset to a vendor. Without `under_warranty`, the asset's warranty end decides (still running on
    the local day it is sent)."""
    now = now or utcnow()
    sent_at = sent_at or now
    errors: dict[str, list[str]] = {}
    vendor, fault, ticket = _text(vendor), _text(fault), _text(ticket)
    if not vendor:
        errors["vendor"] = ["Name the vendor."]
    if not fault:
        errors["fault"] = ["Describe the fault."]
    check_days(sent_at=sent_at)
    if sent_at > now + timedelta(minutes=5):
        errors["sent_at"] = ["Must not be in the future."]
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    asset = get_asset(asset_tag)
    if asset.status == "on_loan":
        raise Conflict(f"Asset {asset.asset_tag} is on loan: take it back or swap it first, then send it to repair.",
                       code="asset-on-loan")
    if asset.status not in SENDABLE:
        raise Conflict(f"Asset {asset.asset_tag} is {asset.status}: only an asset in stock, in quarantine or in "
                       "repair can go to a vendor.", code="illegal-status-move")
    if under_warranty is None:
        under_warranty = bool(asset.warranty_until and asset.warranty_until >= sent_at.astimezone(local_zone()).date())
    before = asset.status
    repair = Repair(asset_id=asset.id, vendor=vendor, ticket=ticket, fault=fault, sent_at=sent_at,
                    under_warranty=under_warranty, status="open", asset_status_before=before, opened_by=actor.uid,
                    created_at=now)
    already = Conflict(f"Asset {asset.asset_tag} is already at a vendor (an open repair); close that one first.",
                       code="repair-open")
    if open_repair_of(asset) is not None:
        raise already
    try:
        with db.session.begin_nested():
            db.session.add(repair)
            db.session.flush()
    except IntegrityError as exc:  # opened by someone else since the check: the unique partial index says so
        raise already from exc
    _move(asset, before, "in_repair", now)
    append_event(actor.uid, "repair.opened", "asset", asset.asset_tag, at=now, before={"status": before},
                 after={"status": "in_repair", "repair_id": repair.id, "vendor": vendor, "ticket": ticket,
                        "fault": fault, "sent_at": sent_at, "under_warranty": under_warranty})
    return repair


def close_repair(repair: Repair, actor: Principal, *, result: str, returned_at: datetime | None = None,
                 cost=None, note: str | None = None, data_wiped: bool = False,
                 now: datetime | None = None) -> Repair:
    """Record the asset's return from the vendor: `fixed` → stock (quarantine for a laptop whose data must still be
    wiped), `beyond_repair` → retired, the repair being the reason."""
    now = now or utcnow()
    returned_at = returned_at or now
    errors: dict[str, list[str]] = {}
    if result not in REPAIR_RESULTS:
        errors["result"] = [f"One of: {', '.join(REPAIR_RESULTS)}."]
    check_days(returned_at=returned_at)
    if returned_at > now + timedelta(minutes=5):
        errors["returned_at"] = ["Must not be in the future."]
    elif returned_at < repair.sent_at:
        errors["returned_at"] = ["Must not be before the asset was sent (sent_at)."]
    try:
        amount = check_cost(cost)
    except ValidationFailed as exc:
        errors.update(exc.errors or {})
        amount = None
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    if repair.status != "open":
        raise Conflict(f"Repair {repair.id} is closed already ({repair.result}).", code="repair-closed")
    asset = repair.asset
    new_status = status_after_return(asset, "good", data_wiped) if result == "fixed" else "retired"
    closed = db.session.execute(update(Repair).where(Repair.id == repair.id, Repair.status == "open").values(
        status="closed", returned_at=returned_at, result=result, cost=amount, note=_text(note), data_wiped=data_wiped,
        asset_status_after=new_status, closed_by=actor.uid).execution_options(synchronize_session=False))
    if closed.rowcount != 1:
        raise Conflict(f"Repair {repair.id} was closed meanwhile.", code="repair-closed")
    db.session.refresh(repair)
    _move(asset, "in_repair", new_status, now)
    after = {"status": new_status, "repair_id": repair.id, "result": result, "returned_at": returned_at,
             "cost": amount, "vendor": repair.vendor, "data_wiped": data_wiped}
    extra = {"reason": f"Beyond repair (repair {repair.id}, {repair.vendor})"} if result == "beyond_repair" else None
    append_event(actor.uid, "repair.closed", "asset", asset.asset_tag, at=now, before={"status": "in_repair"},
                 after=after, extra=extra)
    return repair


def get_repair(repair_id: int) -> Repair:
    repair = db.session.get(Repair, repair_id) if 0 < repair_id <= MAX_ID else None
    if repair is None:
        raise NotFound(f"There is no repair {repair_id}.")
    return repair


def repair_limit_days() -> int:
    return current_app.config["FLEET_REPAIR_DAYS"]


def overdue_cutoff(now: datetime | None = None) -> datetime:
    """Repairs sent before this moment are open longer than FLEET_REPAIR_DAYS (counted in local days)."""
    day = local_today(now) - timedelta(days=repair_limit_days())
    return datetime.combine(day, datetime.min.time(), tzinfo=local_zone())


def is_overdue(repair: Repair, now: datetime | None = None) -> bool:
    return repair.status == "open" and repair.sent_at < overdue_cutoff(now)


def days_open(repair: Repair, now: datetime | None = None) -> int:
    """Local days between sending and coming back (or today)."""
    end = repair.returned_at or now or utcnow()
    return (end.astimezone(local_zone()).date() - repair.sent_at.astimezone(local_zone()).date()).days


def list_repairs(*, status: str | None = None, asset_tag: str | None = None, center: str | None = None,
                 vendor: str | None = None, overdue: bool | None = None, under_warranty: bool | None = None,
                 limit: int = 50, cursor: str | None = None, now: datetime | None = None) -> Page:
    """Repairs, newest first, filtered; keyset pagination."""
    query = select(Repair)
    if status:
        query = query.where(Repair.status == status)
    if asset_tag:
        query = query.where(Repair.asset_id == get_asset(asset_tag).id)
    if center:
        center_row = db.session.execute(select(Center).where(Center.code == center)).scalar_one_or_none()
        if center_row is None:
            raise ValidationFailed(f"There is no center {center!r}.", errors={"center": ["Unknown center."]})
        query = query.where(Repair.asset_id.in_(select(Asset.id).where(Asset.center_id == center_row.id)))
    if vendor:
        query = query.where(func.lower(Repair.vendor) == vendor.strip().lower())
    if under_warranty is not None:
        query = query.where(Repair.under_warranty.is_(under_warranty))
    if overdue is not None:
        condition = (Repair.status == "open") & (Repair.sent_at < overdue_cutoff(now))
        query = query.where(condition if overdue else ~condition)
    key = decode_cursor(cursor)
    if key:
        query = query.where(Repair.id < int(key[0]))
    rows = list(db.session.execute(query.order_by(Repair.id.desc()).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda r: [r.id])


@dataclass
class AssetRepairs:
    repairs: list[Repair]
    total_cost: Decimal


def repairs_of_asset(asset: Asset) -> AssetRepairs:
    """Every repair of an asset, newest first, and what they cost together (exactly, in Decimal)."""
    repairs = list(db.session.execute(select(Repair).where(Repair.asset_id == asset.id)
                                      .order_by(Repair.id.desc())).scalars())
    return AssetRepairs(repairs, sum((r.cost for r in repairs if r.cost is not None), Decimal("0.00")))


def count_overdue(now: datetime | None = None) -> int:
    return db.session.execute(select(func.count()).select_from(Repair).where(
        Repair.status == "open", Repair.sent_at < overdue_cutoff(now))).scalar_one()


def open_repair_of(asset: Asset) -> Repair | None:
    return db.session.execute(select(Repair).where(Repair.asset_id == asset.id, Repair.status == "open")
                              ).scalar_one_or_none()
