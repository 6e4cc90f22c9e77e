"""Reports of an asset's life after the desk: replacement (useful life and warranty) and repairs.

Money is summed in Python over Decimal values, never in SQL: SQLite keeps NUMERIC as floating point, and a sum
there could be off by a fraction of a won.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select

import reports
from fleet.clock import local_today
from fleet.errors import ValidationFailed
from fleet.extensions import db
from fleet.models import Asset, Center, Repair
from fleet.services.documents import CATEGORY_LABELS, STATUS_LABELS
from fleet.services.repairs import overdue_cutoff, repair_limit_days
from fleet.services.report_data import STREAM, ReportData, center_by_code, day_start, money
from fleet.services.useful_life import (
    age_text,
    end_of_useful_life,
    is_past_useful_life,
    past_useful_life_condition,
    useful_life_years,
)

HELD = ("in_stock", "on_loan", "quarantine", "in_repair")  # not retired, not lost: still the organisation's to replace
MAX_WARRANTY_DAYS = 3650


def _category(code: str) -> str:
    return CATEGORY_LABELS.get(code, code)


def replacement(as_of: date | None = None, days: int | None = None, center: str | None = None) -> ReportData:
    """Assets held (in stock, on loan, in quarantine or in repair) that are past their category's useful life on
    `as_of` (default today), or whose warranty ends within `days` (default 90) from it, per center and category,
    with their purchase date, cost and age, and what replacing them costs (their purchase cost) in total."""
    as_of = as_of or local_today()
    days = 90 if days is None else days
    if not 0 <= days <= MAX_WARRANTY_DAYS:
        raise ValidationFailed(f"days must be between 0 and {MAX_WARRANTY_DAYS}.",
                               errors={"days": [f"Must be between 0 and {MAX_WARRANTY_DAYS}."]})
    center_row = center_by_code(center)
    warranty_ends = and_(Asset.warranty_until >= as_of, Asset.warranty_until <= as_of + timedelta(days=days))
    where = [Asset.status.in_(HELD), or_(past_useful_life_condition(as_of), warranty_ends)]
    if center_row:
        where.append(Asset.center_id == center_row.id)
    query = (select(Asset).join(Center, Center.id == Asset.center_id).where(*where)
             .order_by(Center.code, Asset.category, Asset.purchase_date, Asset.id))

    groups: dict[tuple[str, str], list] = {}
    total = Decimal("0")
    for code, category, cost in db.session.execute(
            select(Center.code, Asset.category, Asset.purchase_cost).join(Center, Center.id == Asset.center_id)
            .where(*where).execution_options(yield_per=STREAM)):
        group = groups.setdefault((code, category), [0, Decimal("0")])
        group[0] += 1
        group[1] += cost or 0
        total += cost or 0
    count = sum(g[0] for g in groups.values())

    def rows() -> Iterator[Sequence[str]]:
        for asset in db.session.execute(query.execution_options(yield_per=STREAM)).scalars():
            end = end_of_useful_life(asset)
            reasons = []
            if is_past_useful_life(asset, as_of):
                reasons.append("내용연수 경과 Past useful life")
            if asset.warranty_until and as_of <= asset.warranty_until <= as_of + timedelta(days=days):
                reasons.append("보증 만료 임박 Warranty ends")
            yield (asset.center.code, _category(asset.category), asset.asset_tag,
                   f"{asset.manufacturer or ''} {asset.model or ''}".strip(), STATUS_LABELS.get(asset.status, ""),
                   asset.purchase_date.isoformat() if asset.purchase_date else "", money(asset.purchase_cost),
                   age_text(asset.purchase_date, as_of), end.isoformat() if end else "",
                   asset.warranty_until.isoformat() if asset.warranty_until else "", " · ".join(reasons))

    lives = ", ".join(f"{_category(c)} {y}년" for c, y in sorted(useful_life_years().items()))
    return ReportData(
        "replacement", "교체 대상 장비", "Replacement plan",
        [("기준일 As of", as_of.isoformat()), ("센터 Center", center_row.name if center_row else "전체 All"),
         ("보증 만료 기간 Warranty ends within", f"{days}일 days"),
         ("대상 Assets", f"{count:,}"), ("교체 예상 비용 합계 Total to replace (KRW)", money(total))],
        [reports.Column("center", "센터 Center", 0.7), reports.Column("category", "분류 Category", 1.1),
         reports.Column("asset_tag", "자산번호 Asset tag", 1.1), reports.Column("model", "모델 Model", 1.5),
         reports.Column("status", "상태 Status", 0.9), reports.Column("purchase_date", "구입일 Purchased", 0.9),
         reports.Column("purchase_cost", "취득가 Cost", 0.9), reports.Column("age", "사용 기간 Age", 1.2),
         reports.Column("end_of_life", "내용연수 만료 End of life", 0.9),
         reports.Column("warranty_until", "보증 만료 Warranty", 0.9), reports.Column("reason", "사유 Reason", 1.5)],
        rows, summary=[(f"{code} · {_category(category)}", g[0]) for (code, category), g in sorted(groups.items())],
        notes=[f"내용연수 Useful life (FLEET_USEFUL_LIFE): {lives or '없음 none'}. 구입일로부터 내용연수가 되는 날부터 "
               "경과로 봅니다. An asset is past its useful life from the anniversary of its purchase on.",
               "교체 예상 비용은 취득가의 합계입니다. The cost to replace is the sum of the purchase costs."]
        + [f"{code} · {_category(category)}: {g[0]:,}대 assets, {money(g[1])}원 KRW"
           for (code, category), g in sorted(groups.items())])


def repairs_report(from_date: date | None = None, to_date: date | None = None,
                   center: str | None = None) -> ReportData:
    """Repairs sent in a period (default: the last 30 days), per center, category and warranty: how many, how
    many are back fixed or beyond repair, how many are still open and how many of those longer than
    FLEET_REPAIR_DAYS, and what they cost (exactly, in Decimal)."""
    to_date = to_date or local_today()
    from_date = from_date or to_date - timedelta(days=30)
    if to_date < from_date:
        raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
    center_row = center_by_code(center)
    query = (select(Center.code, Center.name, Asset.category, Repair.under_warranty, Repair.status, Repair.result,
                    Repair.sent_at, Repair.cost)
             .join(Asset, Asset.id == Repair.asset_id).join(Center, Center.id == Asset.center_id)
             .where(Repair.sent_at >= day_start(from_date), Repair.sent_at < day_start(to_date + timedelta(days=1))))
    if center_row:
        query = query.where(Asset.center_id == center_row.id)
    cutoff = overdue_cutoff()
    groups: dict[tuple[str, str, bool], dict] = {}
    for code, name, category, warranty, status, result, sent_at, cost in db.session.execute(
            query.execution_options(yield_per=STREAM)):
        group = groups.setdefault((code, category, warranty), {"name": name, "count": 0, "open": 0, "late": 0,
                                                               "fixed": 0, "beyond_repair": 0, "cost": Decimal("0")})
        group["count"] += 1
        if status == "open":
            group["open"] += 1
            group["late"] += sent_at < cutoff
        elif result in ("fixed", "beyond_repair"):
            group[result] += 1
        group["cost"] += cost or 0
    table = [(code, g["name"], _category(category), "보증 Warranty" if warranty else "유상 Paid", str(g["count"]),
              str(g["fixed"]), str(g["beyond_repair"]), str(g["open"]), str(g["late"]), money(g["cost"]))
             for (code, category, warranty), g in sorted(groups.items())]
    total = sum((g["cost"] for g in groups.values()), Decimal("0"))
    warranty_cost = sum((g["cost"] for (_, _, w), g in groups.items() if w), Decimal("0"))
    limit = repair_limit_days()
    return ReportData(
        "repairs", "수리 현황", "Repairs",
        [("기간 Period", f"{from_date.isoformat()} ~ {to_date.isoformat()}"),
         ("센터 Center", center_row.name if center_row else "전체 All"),
         ("수리 기한 Repair limit (FLEET_REPAIR_DAYS)", f"{limit}일 days"),
         ("수리비 합계 Total cost (KRW)", money(total)),
         ("보증 수리비 Under warranty (KRW)", money(warranty_cost)),
         ("유상 수리비 Paid (KRW)", money(total - warranty_cost))],
        [reports.Column("center", "센터 Center", 0.7), reports.Column("center_name", "센터명 Name", 1.5),
         reports.Column("category", "분류 Category", 1.1), reports.Column("warranty", "보증 Warranty", 0.8),
         reports.Column("count", "건수 Repairs", 0.6), reports.Column("fixed", "수리 완료 Fixed", 0.7),
         reports.Column("beyond_repair", "수리 불가 Beyond repair", 0.8), reports.Column("open", "진행 중 Open", 0.6),
         reports.Column("late", f"{limit}일 초과 Over {limit} days", 0.8),
         reports.Column("cost", "비용 Cost (KRW)", 1)],
        lambda: iter(table),
        summary=[(f"{code} · {_category(category)} · {'보증' if w else '유상'}", g["count"])
                 for (code, category, w), g in sorted(groups.items())],
        notes=["기간 중 수리업체에 보낸 수리를 셉니다. Repairs sent to a vendor in the period. "
               f"'{limit}일 초과'는 오늘 기준 아직 진행 중이며 {limit}일을 넘은 수리입니다. "
               f"'Over {limit} days': still open today, sent more than {limit} days ago."])
