"""Audit reports as PDF tables, and as CSV.

Rows stream: each is measured, drawn and forgotten, so a 100,000-row report takes
seconds and its memory does not grow with the rows (finished pages are kept compressed).
"Page x / y" needs the total before the last page exists: every page draws a reference to
one small PDF form that is written once, after the last page, so the rows are read in a
single pass and `rows` may be a one-shot generator.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm

from reports._flow import Flow, Table, TableColumn
from reports._pdf import ASCENT, BAR, GREY, INK, RULE, SHADE, Document, clean

Row = Sequence[object]
RowSource = Iterable[Row] | Callable[[], Iterable[Row]]
"""Rows: a list, any iterable (read once, as it streams), or a callable answering a fresh iterable."""

MARGIN = 14 * mm
FOOTER = 9 * mm
LANDSCAPE_FROM = 7  # columns; more than six do not read well on a portrait page
KEY_WIDTH = 52 * mm


@dataclass(frozen=True)
class Column:
    """A report column: `key` names it for callers, `label` heads it, `width_weight` is its share of the width."""

    key: str
    label: str
    width_weight: float = 1.0


@dataclass
class TableReport:
    """An audit report: parameters and provenance on the first page, then one row per entry.

    `rows` is a list, an iterable read once as it streams, or a zero-argument callable
    answering a fresh iterable (called once). Each row has one value per column; values
    are printed with `str()` (None is empty). `summary` (label, count) pairs are drawn as a
    horizontal bar chart. `created_at` is the PDF's creation date (ISO 8601): the same
    report gives the same bytes.
    """

    title: str
    title_en: str | None = field(default=None, kw_only=True)
    org_name: str
    parameters: list[tuple[str, str]]
    generated_at: str
    generated_by: str
    head_hash: str
    columns: list[Column]
    rows: RowSource
    summary: list[tuple[str, int]] | None = None
    notes: list[str] = field(default_factory=list)
    created_at: str = ""
    checkpoint: str | None = None  # the latest signed checkpoint of the event log the report covers
    signed_line: str | None = None  # printed on every page when the PDF is to be signed
    sign_off: Sequence[str] = ()  # roles of a Korean sign-off box (결재란) at the top right, e.g. 담당, 팀장, 과장


def iter_rows(rows: RowSource) -> Iterable[Row]:
    """The rows to read, calling `rows` first if it is a callable."""
    return rows() if callable(rows) else rows


class _ReportPages:
    """Footer and running header of a report's pages."""

    def __init__(self, doc: Document, report: TableReport):
        self.doc, self.report = doc, report
        self.title = clean(report.title) + (f" · {clean(report.title_en)}" if report.title_en else "")

    def start(self, flow: Flow) -> None:
        doc = self.doc
        baseline = flow.y - ASCENT * 9
        doc.text(
            flow.right,
            baseline,
            doc.fit(clean(self.report.generated_at), flow.width / 3, 7),
            7,
            color=GREY,
            align="right",
        )
        doc.text(flow.left, baseline, doc.fit(self.title, flow.width * 0.6, 9, True), 9, bold=True)
        flow.y -= 16

    def end(self, flow: Flow) -> None:
        doc, report = self.doc, self.report
        y = MARGIN - 2
        doc.line(flow.left, y + 9, flow.right, y + 9, RULE, 0.4)
        head = clean(report.head_hash)
        left = f"{clean(report.org_name)} · {self.title} · 이벤트 로그 헤드 Event log head {head[:16]}"
        left += "…" if len(head) > 16 else ""
        doc.text(flow.left, y, doc.fit(left, flow.width - 40 * mm, 7), 7, color=GREY)
        doc.page_number(flow.right - 28 * mm, y)


SIGN_COL, SIGN_HEAD, SIGN_CELL, SIGN_SIDE = 18 * mm, 6 * mm, 16 * mm, 7 * mm


def _sign_off(doc: Document, right: float, top: float, roles: Sequence[str]) -> tuple[float, float]:
    """The 결재란 (sign-off box): 결재 down the side, one column per role with room for a seal. Answers its
    width and height."""
    width, height = SIGN_SIDE + SIGN_COL * len(roles), SIGN_HEAD + SIGN_CELL
    x = right - width
    doc.rect(x, top - height, SIGN_SIDE, height, fill=SHADE)
    doc.text(x + SIGN_SIDE / 2, top - height / 2 + 2, "결", 8.5, bold=True, align="center")
    doc.text(x + SIGN_SIDE / 2, top - height / 2 - 8, "재", 8.5, bold=True, align="center")
    for i, role in enumerate(roles):
        cx = x + SIGN_SIDE + i * SIGN_COL
        doc.rect(cx, top - SIGN_HEAD, SIGN_COL, SIGN_HEAD, fill=SHADE)
        doc.text(cx + SIGN_COL / 2, top - SIGN_HEAD + 5, doc.fit(clean(role), SIGN_COL - 4, 8, True), 8, bold=True,
                 align="center")
        doc.line(cx, top, cx, top - height, INK, 0.6)
    doc.line(x + SIGN_SIDE, top - SIGN_HEAD, right, top - SIGN_HEAD, INK, 0.6)
    doc.rect(x, top - height, width, height, stroke=INK, line_width=0.8)
    return width, height


def _title_block(flow: Flow, report: TableReport) -> None:
    doc = flow.doc
    top, width = flow.y, flow.width
    box_height = 0.0
    if report.sign_off:
        box_width, box_height = _sign_off(doc, flow.right, top, report.sign_off)
        width -= box_width + 6 * mm
    doc.text(flow.left, flow.y - ASCENT * 9, doc.fit(clean(report.org_name), width, 9), 9, color=GREY)
    flow.y -= 14
    for line in doc.wrap(clean(report.title), width, 16, True, 2):
        doc.text(flow.left, flow.y - ASCENT * 16, line, 16, bold=True)
        flow.y -= 20
    if report.title_en:
        doc.text(flow.left, flow.y - ASCENT * 11, doc.fit(clean(report.title_en), width, 11), 11, color=GREY)
        flow.y -= 15
    flow.y = min(flow.y, top - box_height - 4)
    flow.y -= 6
    facts = [
        *report.parameters,
        ("생성 일시 Generated at", report.generated_at),
        ("생성자 Generated by", report.generated_by),
        ("이벤트 로그 헤드 Event log head", report.head_hash),
        *([("서명된 체크포인트 Signed checkpoint", report.checkpoint)] if report.checkpoint else []),
    ]
    value_width = flow.width - KEY_WIDTH
    for key, value in facts:
        keys = doc.wrap(clean(key), KEY_WIDTH - 6, 8, max_lines=2)
        values = doc.wrap(clean(value, newlines=True), value_width, 8.5, max_lines=4)
        height = max(len(keys) * 10, len(values) * 11) + 2
        flow.ensure(height)
        doc.lines(flow.left, flow.y, keys, 8, 10, color=GREY)
        doc.lines(flow.left + KEY_WIDTH, flow.y, values, 8.5, 11)
        flow.y -= height
    if report.notes:
        flow.y -= 4
        for note in report.notes:
            flow.paragraph(note, 8.5, 11, max_lines=6)
    if report.summary:
        _bars(flow, report.summary)
    flow.y -= 8


def _bars(flow: Flow, summary: list[tuple[str, int]]) -> None:
    """The summary counts as a horizontal bar chart."""
    doc = flow.doc
    flow.y -= 6
    flow.ensure(14 + 13)
    doc.text(flow.left, flow.y - ASCENT * 9, "요약 Summary", 9, bold=True)
    flow.y -= 14
    label_width, count_width = 52 * mm, 24 * mm
    room = min(flow.width - label_width - count_width, 150 * mm)
    top = max([int(count) for _, count in summary] + [1])
    for label, count in summary:
        count = int(count)
        flow.ensure(13)
        y = flow.y - 10
        doc.text(flow.left, y + 2, doc.fit(clean(label), label_width - 4, 8), 8)
        length = room * max(count, 0) / top
        doc.rect(flow.left + label_width, y, max(length, 0.8), 8.5, fill=BAR)
        doc.text(flow.left + label_width + length + 4, y + 2, f"{count:,}", 8, color=INK)
        flow.y -= 13


def render_table_report(report: TableReport) -> bytes:
    """Title, parameters, generated at / by, the event log head hash, notes, an optional bar
    chart of the summary counts, then every row (header row repeated on each page), with
    "Page x / y" on every page; landscape A4 from seven columns up. The last line gives the
    row count and how many long cells were cut with … (the CSV has them in full).

    Raises ValueError for a report without columns or a row of the wrong length.
    """
    if not report.columns:
        raise ValueError("a table report needs at least one column")
    pagesize = landscape(A4) if len(report.columns) >= LANDSCAPE_FROM else A4
    title = clean(report.title) + (f" {clean(report.title_en)}" if report.title_en else "")
    doc = Document(
        pagesize,
        title=title,
        author=report.org_name,
        subject=f"{title} · {clean(report.generated_at)}",
        created_at=report.created_at,
        signed_line=report.signed_line,
    )
    pages = _ReportPages(doc, report)
    flow = Flow(
        doc,
        left=MARGIN,
        right=pagesize[0] - MARGIN,
        top=pagesize[1] - MARGIN,
        bottom=MARGIN + FOOTER,
        on_page_start=pages.start,
        on_page_end=pages.end,
    )
    _title_block(flow, report)
    weights = [max(float(c.width_weight), 0.05) for c in report.columns]
    columns = [
        TableColumn(c.label, flow.width * w / sum(weights)) for c, w in zip(report.columns, weights, strict=True)
    ]
    table = Table(flow, columns)
    table.start()
    for row in iter_rows(report.rows):
        table.add(row)
    if table.count == 0:
        table.message("(없음 None)")
    table.finish()
    flow.y -= 4
    closing = f"총 {table.count:,}행 · Total {table.count:,} rows"
    if table.cut:
        closing += (
            f" · 긴 값 {table.cut:,}칸은 …로 줄였습니다(CSV에 전체 값)"
            f" · {table.cut:,} long cells cut with … (full in the CSV)"
        )
    flow.paragraph(closing, 7.5, 10, color=GREY)
    flow.close()
    return doc.finish()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell starting with = + - @ (or a tab or carriage return) would run as a formula in a
    spreadsheet: it gets a leading '. None is empty."""
    text = "" if value is None else str(value).replace("\x00", "")
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def iter_csv(columns: Sequence[Column], rows: RowSource, chunk_rows: int = 1000) -> Iterator[bytes]:
    """The CSV in chunks of bytes, for a streamed response: see `render_csv`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write("\ufeff")
    writer.writerow([csv_safe(c.label) for c in columns])
    for count, row in enumerate(iter_rows(rows), start=1):
        if len(row) != len(columns):
            raise ValueError(f"row {count} has {len(row)} values for {len(columns)} columns")
        writer.writerow([csv_safe(v) for v in row])
        if count % chunk_rows == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def render_csv(columns: Sequence[Column], rows: RowSource) -> bytes:
    """UTF-8 with a BOM (spreadsheet programs then read Korean), CRLF line ends, quotes where
    needed, the column labels as the first row, and formula-like cells guarded with '."""
    return b"".join(iter_csv(columns, rows))
