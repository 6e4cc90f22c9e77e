"""The stocktake report: what a center should hold, what was found, what is missing, what
turned up where it should not be. A table report underneath (see `reports.tables`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from reports._pdf import clean
from reports.tables import Column, TableReport, render_table_report


@dataclass(frozen=True)
class StocktakeItem:
    """One device in a stocktake result.

    `description` says what it is (e.g. "LG gram 16 · 노트북"); `detail` says why it is in
    its list (its status, who holds it, "belongs to NE", "unknown tag").
    """

    asset_tag: str
    description: str = ""
    detail: str = ""


Item = StocktakeItem | str


@dataclass(frozen=True)
class StocktakeReport:
    """A closed (or, with `closed_at` None, an interim) stocktake of one center.

    `found`, `missing` and `unexpected` hold StocktakeItems or bare asset tags.
    `generated_at` / `generated_by` default to the closing time and person.
    """

    org_name: str
    center_name: str
    started_at: str
    closed_at: str | None
    closed_by: str | None
    expected: int
    found: Sequence[Item]
    missing: Sequence[Item]
    unexpected: Sequence[Item]
    head_hash: str
    created_at: str
    started_by: str | None = None
    generated_at: str | None = None
    generated_by: str | None = None
    notes: list[str] = field(default_factory=list)
    checkpoint: str | None = None
    signed_line: str | None = None


COLUMNS = [
    Column("result", "결과 Result", 1.0),
    Column("asset_tag", "자산번호 Asset tag", 1.1),
    Column("description", "장비 Device", 1.8),
    Column("detail", "상세 Detail", 1.8),
]
RESULTS = (("missing", "없음 Missing"), ("unexpected", "예상 밖 Unexpected"), ("found", "찾음 Found"))


def _item(item: Item) -> StocktakeItem:
    return item if isinstance(item, StocktakeItem) else StocktakeItem(str(item))


def stocktake_rows(report: StocktakeReport) -> Iterator[tuple[str, str, str, str]]:
    """Missing devices first (what an auditor asks about), then the unexpected, then the found."""
    for key, label in RESULTS:
        for item in map(_item, getattr(report, key)):
            yield label, clean(item.asset_tag), clean(item.description), clean(item.detail)


def stocktake_table(report: StocktakeReport) -> TableReport:
    """The stocktake as a TableReport (the same rows also make its CSV: `render_csv(COLUMNS, …)`)."""
    if report.closed_at:
        closed = f"{clean(report.closed_at)} · {clean(report.closed_by or '')}".rstrip(" ·")
    else:
        closed = "진행 중 (중간 보고) · Open: interim report"
    started = f"{clean(report.started_at)} · {clean(report.started_by or '')}".rstrip(" ·")
    return TableReport(
        title="재고 실사 결과",
        title_en="Stocktake report",
        org_name=report.org_name,
        parameters=[("센터 Center", report.center_name), ("시작 Started", started), ("종료 Closed", closed)],
        generated_at=report.generated_at or report.closed_at or report.started_at,
        generated_by=report.generated_by or report.closed_by or "",
        head_hash=report.head_hash,
        columns=COLUMNS,
        rows=lambda: stocktake_rows(report),
        summary=[
            ("예상 Expected", int(report.expected)),
            ("찾음 Found", len(report.found)),
            ("없음 Missing", len(report.missing)),
            ("예상 밖 Unexpected", len(report.unexpected)),
        ],
        notes=list(report.notes),
        created_at=report.created_at,
        checkpoint=report.checkpoint,
        signed_line=report.signed_line,
    )


def render_stocktake(report: StocktakeReport) -> bytes:
    """재고 실사 결과 / Stocktake report as a PDF: counts as a bar chart, then every device."""
    return render_table_report(stocktake_table(report))
