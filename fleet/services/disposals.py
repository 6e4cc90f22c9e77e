"""Disposal in one step (불용 처분): a list of in-stock assets retired with one reason and one disposal list PDF.

Rules enforced here:
- every asset on the list must be in stock now: one that is not (on loan, in repair, lost, retired …) refuses the
  whole list with a 409 naming each such asset, and nothing is retired (all or nothing);
- the assets are locked in id order before anything is written, and each move is a conditional UPDATE, so a
  hand-over racing the disposal makes it a 409, never a half-retired list;
- one event per asset (`asset.status_changed` to retired, with the reason and the list's number) and one for the
  list (`disposal.decided`, naming the registered PDF and its SHA-256);
- the list (불용 결정 목록) names each asset, its age and purchase cost, with a sign-off box (결재란).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import select, update

import reports
from fleet.clock import format_local, local_today
from fleet.db import MAX_ID, utcnow
from fleet.errors import Conflict, NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import Asset, Disposal, Document
from fleet.services.assets import normalise_tag
from fleet.services.auth import Principal
from fleet.services.documents import CATEGORY_LABELS, register_pdf
from fleet.services.events import append_event, describe_latest_checkpoint, head_hash
from fleet.services.report_data import money
from fleet.services.signatures import signed_line
from fleet.services.useful_life import age_in_months, end_of_useful_life, months_text

MAX_ASSETS = 1000
SIGN_OFF = ("담당", "팀장", "과장")


def _item(asset: Asset, today) -> dict:
    end = end_of_useful_life(asset)
    return {"asset_tag": asset.asset_tag, "category": asset.category, "manufacturer": asset.manufacturer,
            "model": asset.model, "serial_number": asset.serial_number, "center": asset.center.code,
            "purchase_date": asset.purchase_date.isoformat() if asset.purchase_date else None,
            "purchase_cost": str(asset.purchase_cost) if asset.purchase_cost is not None else None,
            "age_months": age_in_months(asset.purchase_date, today),
            "end_of_useful_life": end.isoformat() if end else None}


def dispose(actor: Principal, asset_tags: list[str], reason: str, now: datetime | None = None) -> Disposal:
    """Retire every listed in-stock asset with one reason and register the disposal list: all or nothing."""
    reason = (reason or "").strip()
    tags = list(dict.fromkeys(normalise_tag(t) for t in asset_tags or [] if normalise_tag(t)))
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Give the reason for the disposal."]
    if not tags:
        errors["asset_tags"] = ["List at least one asset."]
    elif len(tags) > MAX_ASSETS:
        errors["asset_tags"] = [f"At most {MAX_ASSETS} assets in one list."]
    if errors:
        raise ValidationFailed("Some fields are not valid; see errors.", errors=errors)
    now = now or utcnow()
    # Lock the rows first, in id order (PostgreSQL; SQLite has one writer), then read them.
    db.session.execute(select(Asset.id).where(Asset.asset_tag.in_(tags)).order_by(Asset.id).with_for_update())
    assets = {a.asset_tag: a for a in db.session.execute(select(Asset).where(Asset.asset_tag.in_(tags))).scalars()}
    for asset in assets.values():
        db.session.refresh(asset)  # the status as locked, not as an earlier read of this session saw it
    unknown = [t for t in tags if t not in assets]
    if unknown:
        raise NotFound(f"Nothing was retired: no asset has the tag {', '.join(unknown)}.",
                       errors={"asset_tags": [f"Unknown: {t}" for t in unknown]})
    not_in_stock = [assets[t] for t in tags if assets[t].status != "in_stock"]
    if not_in_stock:
        named = ", ".join(f"{a.asset_tag} ({a.status})" for a in not_in_stock)
        raise Conflict(f"Only assets in stock can be disposed of; not in stock: {named}. Nothing was retired.",
                       code="disposal-not-in-stock",
                       errors={"asset_tags": [f"{a.asset_tag} is {a.status}" for a in not_in_stock]})
    today = local_today(now)
    ordered = [assets[t] for t in tags]
    disposal = Disposal(reason=reason, decided_by=actor.uid, decided_by_name=actor.name, created_at=now,
                        items=[_item(a, today) for a in ordered])
    db.session.add(disposal)
    db.session.flush()
    for asset in ordered:
        moved = db.session.execute(update(Asset).where(Asset.id == asset.id, Asset.status == "in_stock")
                                   .values(status="retired", updated_at=now)
                                   .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            raise Conflict(f"Asset {asset.asset_tag} changed meanwhile. Nothing was retired.",
                           code="asset-status-changed")
        append_event(actor.uid, "asset.status_changed", "asset", asset.asset_tag, at=now,
                     before={"status": "in_stock"}, after={"status": "retired"},
                     extra={"reason": reason, "disposal": disposal.number})
    for asset in ordered:
        db.session.refresh(asset)
    document = register_pdf("disposal_list", f"disposal:{disposal.id}", f"불용 결정 목록 {disposal.number}",
                            f"disposal-{disposal.number}.pdf", reports.render_table_report(_list(disposal, now)),
                            actor.uid, now=now)
    disposal.document_id = document.id
    db.session.flush()
    append_event(actor.uid, "disposal.decided", "disposal", disposal.number, at=now, after={
        "assets": len(ordered), "asset_tags": tags, "purchase_cost_total": total_cost(disposal),
        "document_id": document.id, "sha256": document.sha256}, extra={"reason": reason})
    return disposal


def total_cost(disposal: Disposal) -> Decimal:
    return sum((Decimal(i["purchase_cost"]) for i in disposal.items if i["purchase_cost"]), Decimal("0"))


def _list(disposal: Disposal, now: datetime) -> reports.TableReport:
    """The disposal list as a table report, from the list's own snapshot of the assets."""
    def rows():
        for number, item in enumerate(disposal.items, start=1):
            yield (str(number), item["asset_tag"], CATEGORY_LABELS.get(item["category"], item["category"]),
                   f"{item['manufacturer'] or ''} {item['model'] or ''}".strip(), item["serial_number"] or "",
                   item["center"], item["purchase_date"] or "",
                   money(Decimal(item["purchase_cost"])) if item["purchase_cost"] else "",
                   months_text(item["age_months"]),
                   item["end_of_useful_life"] or "")

    return reports.TableReport(
        title="불용 결정 목록", title_en="Disposal list", org_name=current_app.config["FLEET_ORG_NAME"],
        parameters=[("목록 번호 List", disposal.number), ("불용 사유 Reason", disposal.reason),
                    ("결정일 Decided", format_local(disposal.created_at)),
                    ("대상 Assets", f"{len(disposal.items):,}대"),
                    ("취득가 합계 Purchase cost total (KRW)", money(total_cost(disposal)))],
        generated_at=format_local(now), generated_by=f"{disposal.decided_by_name or ''} ({disposal.decided_by})",
        head_hash=head_hash(), columns=[
            reports.Column("no", "번호 No.", 0.45), reports.Column("asset_tag", "자산번호 Asset tag", 1.2),
            reports.Column("category", "분류 Category", 1.1), reports.Column("model", "모델 Model", 1.5),
            reports.Column("serial_number", "일련번호 Serial", 1.2), reports.Column("center", "센터 Center", 0.7),
            reports.Column("purchase_date", "구입일 Purchased", 0.9),
            reports.Column("purchase_cost", "취득가 Cost", 0.9), reports.Column("age", "사용 기간 Age", 1.2),
            reports.Column("end_of_life", "내용연수 만료 End of life", 0.9)],
        rows=rows, notes=["위 자산을 불용 처분(폐기)하기로 결정합니다. The assets above are retired (disposed of). "
                          "각 자산의 상태 변경은 이벤트 로그에 기록됩니다. Each retirement is in the event log."],
        created_at=now.isoformat(), checkpoint=describe_latest_checkpoint(), signed_line=signed_line(),
        sign_off=SIGN_OFF)


def get_disposal(disposal_id: int) -> Disposal:
    disposal = db.session.get(Disposal, disposal_id) if 0 < disposal_id <= MAX_ID else None
    if disposal is None:
        raise NotFound(f"There is no disposal list {disposal_id}.")
    return disposal


def list_disposals(limit: int = 50) -> list[Disposal]:
    return list(db.session.execute(select(Disposal).order_by(Disposal.id.desc()).limit(limit)).scalars())


def document_of(disposal: Disposal) -> Document | None:
    return db.session.get(Document, disposal.document_id) if disposal.document_id else None
