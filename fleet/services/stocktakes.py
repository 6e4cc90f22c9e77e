"""Stocktakes: scan what is on a center's shelves, then see what is missing and what should not be there.

Expected are the center's assets that ought to be on the shelf: in stock or in
quarantine (devices on loan are with people). A scan is what a barcode scanner types:
whitespace is stripped and the tag upper-cased; scanning a tag twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

import reports
from fleet.clock import format_local
from fleet.db import MAX_ID, utcnow
from fleet.errors import Conflict, NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import Asset, Center, Document, Stocktake, StocktakeScan
from fleet.services.assets import normalise_tag
from fleet.services.auth import Principal
from fleet.services.centers import CODE_PATTERN
from fleet.services.documents import STATUS_LABELS, register_pdf
from fleet.services.events import append_event, describe_latest_checkpoint, head_hash
from fleet.services.signatures import signed_line

ON_THE_SHELF = ("in_stock", "quarantine")
# Ids are 32-bit integers in PostgreSQL: a larger id in a URL is simply unknown, not an error.


@dataclass(frozen=True)
class ScanResult:
    scan: StocktakeScan
    duplicate: bool
    known: bool
    expected_here: bool
    status: str | None
    home_center: str | None


def get_stocktake(stocktake_id: int) -> Stocktake:
    """A stocktake, or NotFound."""
    stocktake = db.session.get(Stocktake, stocktake_id) if 0 < stocktake_id <= MAX_ID else None
    if stocktake is None:
        raise NotFound(f"There is no stocktake {stocktake_id}.")
    return stocktake


def start_stocktake(actor: Principal, center: str, now: datetime | None = None) -> Stocktake:
    """Start counting one center's shelves; the center must exist."""
    row = db.session.execute(select(Center).where(Center.code == center)).scalar_one_or_none() \
        if CODE_PATTERN.match(center or "") else None
    if row is None:
        raise ValidationFailed(f"There is no center {center!r}.", errors={"center": ["Unknown center."]})
    now = now or utcnow()
    stocktake = Stocktake(center=row, status="open", started_by=actor.uid, started_at=now)
    db.session.add(stocktake)
    db.session.flush()
    append_event(actor.uid, "stocktake.started", "stocktake", stocktake.id, at=now, after={"center": center})
    return stocktake


def _check_open(stocktake: Stocktake) -> None:
    if stocktake.status != "open":
        raise Conflict(f"Stocktake {stocktake.id} is closed.", code="stocktake-closed")


def scan(stocktake: Stocktake, actor: Principal, asset_tag: str, now: datetime | None = None) -> ScanResult:
    """Record one scanned tag of an open stocktake and answer what it is; a repeated scan changes nothing."""
    _check_open(stocktake)
    tag = normalise_tag(asset_tag)
    if not tag or len(tag) > 64 or not tag.isprintable():
        raise ValidationFailed("Scan an asset tag.", errors={"asset_tag": ["1 to 64 characters."]})
    asset = db.session.execute(select(Asset).where(Asset.asset_tag == tag)).scalar_one_or_none()
    existing = db.session.execute(select(StocktakeScan).where(StocktakeScan.stocktake_id == stocktake.id,
                                                              StocktakeScan.asset_tag == tag)).scalar_one_or_none()
    duplicate = existing is not None
    if existing is None:
        now = now or utcnow()
        existing = StocktakeScan(stocktake_id=stocktake.id, asset_tag=tag, asset_id=asset.id if asset else None,
                                 scanned_at=now, scanned_by=actor.uid)
        try:
            # Added inside the savepoint: begin_nested() flushes what is pending first, so a row
            # added before it would be inserted outside the savepoint, and a concurrent scan of the
            # same tag winning the unique constraint would abort the whole transaction (a 500).
            with db.session.begin_nested():
                db.session.add(existing)
                db.session.flush()
        except IntegrityError:
            duplicate = True
            existing = db.session.execute(select(StocktakeScan).where(
                StocktakeScan.stocktake_id == stocktake.id, StocktakeScan.asset_tag == tag)).scalar_one()
        else:
            append_event(actor.uid, "stocktake.scanned", "stocktake", stocktake.id, at=now,
                         after={"asset_tag": tag, "known": asset is not None})
    expected = asset is not None and asset.center_id == stocktake.center_id and asset.status in ON_THE_SHELF
    return ScanResult(existing, duplicate, asset is not None, expected, asset.status if asset else None,
                      asset.center.code if asset else None)


def _result(stocktake: Stocktake) -> dict:
    expected = {a.asset_tag: a for a in db.session.execute(
        select(Asset).where(Asset.center_id == stocktake.center_id, Asset.status.in_(ON_THE_SHELF))).scalars()}
    scans = list(db.session.execute(select(StocktakeScan).where(StocktakeScan.stocktake_id == stocktake.id)
                                    .order_by(StocktakeScan.id)).scalars())
    found, unexpected = [], []
    for item in scans:
        if item.asset_tag in expected:
            found.append({"asset_tag": item.asset_tag, "status": expected[item.asset_tag].status})
            continue
        asset = db.session.get(Asset, item.asset_id) if item.asset_id else None
        if asset is None:
            reason = "unknown tag"
        elif asset.center_id != stocktake.center_id:
            reason = f"belongs to {asset.center.code}"
        else:
            reason = f"status is {asset.status}"
        unexpected.append({"asset_tag": item.asset_tag, "reason": reason,
                           "status": asset.status if asset else None,
                           "home_center": asset.center.code if asset else None})
    scanned = {s.asset_tag for s in scans}
    missing = [{"asset_tag": tag, "status": a.status, "model": a.model}
               for tag, a in sorted(expected.items()) if tag not in scanned]
    return {"expected": len(expected), "found": found, "missing": missing, "unexpected": unexpected}


def close_stocktake(stocktake: Stocktake, actor: Principal, now: datetime | None = None) -> Stocktake:
    """Close once: the result (expected, found, missing, unexpected) is fixed at that moment."""
    _check_open(stocktake)
    now = now or utcnow()
    result = _result(stocktake)
    changed = db.session.execute(update(Stocktake).where(Stocktake.id == stocktake.id, Stocktake.status == "open")
                                 .values(status="closed", closed_by=actor.uid, closed_at=now, result=result)
                                 .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        raise Conflict(f"Stocktake {stocktake.id} is closed.", code="stocktake-closed")
    db.session.refresh(stocktake)
    append_event(actor.uid, "stocktake.closed", "stocktake", stocktake.id, at=now, after={
        "expected": result["expected"], "found": len(result["found"]), "missing": [m["asset_tag"] for m in
                                                                                  result["missing"]],
        "unexpected": [u["asset_tag"] for u in result["unexpected"]]})
    return stocktake


def current_result(stocktake: Stocktake) -> dict:
    """The result as fixed at closing, or as it stands now while the stocktake is open."""
    return stocktake.result if stocktake.status == "closed" else _result(stocktake)


def scan_count(stocktake: Stocktake) -> int:
    """How many distinct tags were scanned."""
    return db.session.execute(select(func.count()).select_from(StocktakeScan)
                              .where(StocktakeScan.stocktake_id == stocktake.id)).scalar_one()


def issue_report(stocktake: Stocktake, principal: Principal, now: datetime | None = None) -> Document:
    """The stocktake report PDF, registered.

    A closed stocktake's report is rendered once and the same registered document is
    served from then on; an open one's is an interim report, registered each time.
    """
    if stocktake.status == "closed":
        # Lock the stocktake so that two first downloads do not register two reports.
        document_id = db.session.execute(select(Stocktake.document_id).where(Stocktake.id == stocktake.id)
                                         .with_for_update()).scalar_one()
        if document_id is not None:
            return db.session.get(Document, document_id)
    now = now or utcnow()
    document = register_pdf("stocktake_report", f"stocktake:{stocktake.id}", "재고 실사 Stocktake",
                            f"stocktake-{stocktake.id}.pdf", _render_report(stocktake, principal, now),
                            principal.uid, now=now)
    if stocktake.status == "closed":
        stocktake.document_id = document.id
        db.session.flush()
    return document


def _render_report(stocktake: Stocktake, principal: Principal, now: datetime) -> bytes:
    result = current_result(stocktake)

    def status(value: str | None) -> str:
        return STATUS_LABELS.get(value, value or "")

    rows = ([("찾음 Found", r["asset_tag"], status(r["status"])) for r in result["found"]]
            + [("없음 Missing", r["asset_tag"], f"{status(r['status'])} · {r.get('model') or ''}".rstrip(" ·"))
               for r in result["missing"]]
            + [("예상 밖 Unexpected", r["asset_tag"], r["reason"]) for r in result["unexpected"]])
    report = reports.TableReport(
        title="재고 실사 Stocktake", org_name=current_app.config["FLEET_ORG_NAME"],
        parameters=[("센터 Center", f"{stocktake.center.name} ({stocktake.center.code})"),
                    ("시작 Started", f"{format_local(stocktake.started_at)} · {stocktake.started_by}"),
                    ("종료 Closed", f"{format_local(stocktake.closed_at)} · {stocktake.closed_by}"
                     if stocktake.closed_at else "진행 중 (중간 보고) Open: interim report")],
        generated_at=format_local(now), generated_by=f"{principal.name} ({principal.uid})", head_hash=head_hash(),
        columns=[reports.Column("result", "결과 Result", 1), reports.Column("asset_tag", "자산번호 Asset tag", 1.2),
                 reports.Column("detail", "상세 Detail", 2)],
        rows=rows, summary=[("예상 Expected", result["expected"]), ("찾음 Found", len(result["found"])),
                            ("없음 Missing", len(result["missing"])),
                            ("예상 밖 Unexpected", len(result["unexpected"]))],
        created_at=now.isoformat(), checkpoint=describe_latest_checkpoint(), signed_line=signed_line())
    return reports.render_table_report(report)
