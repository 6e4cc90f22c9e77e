"""Audit reports as PDF tables, and CSV.

Rows are drawn straight on the canvas as they stream in: nothing holds every row,
and "page x of y" uses a form that is written once, after the last page, so one pass
over the rows suffices (a platypus Table would be quadratic and keep every row).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from reports.fonts import BOLD, REGULAR, ensure_fonts

INK = colors.HexColor("#1f2937")
GREY = colors.HexColor("#6b7280")
LINE = colors.HexColor("#d1d5db")
SHADE = colors.HexColor("#f3f4f6")
BAR = colors.HexColor("#2563eb")
MARGIN = 14 * mm
SIZE = 7.5
LEADING = 9.5
PAD = 2.5
MAX_LINES = 2


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    weight: float = 1.0


@dataclass
class TableReport:
    """A report: `rows` is a sequence, or a callable giving a fresh iterator of rows (streamed once)."""

    title: str
    org_name: str
    parameters: list[tuple[str, str]]
    generated_at: str
    generated_by: str
    head_hash: str
    columns: list[Column]
    rows: Sequence[Sequence[str]] | Callable[[], Iterable[Sequence[str]]]
    summary: list[tuple[str, int]] | None = None
    notes: list[str] = field(default_factory=list)
    created_at: str = ""


class _Fitter:
    """Wraps cell text into at most two lines of a column, with … when cut; widths are cached per character."""

    def __init__(self, size: float):
        self.size = size
        self.cache: dict[str, float] = {}

    def width(self, text: str) -> float:
        cache = self.cache
        total = 0.0
        for ch in text:
            w = cache.get(ch)
            if w is None:
                w = cache[ch] = stringWidth(ch, REGULAR, self.size)
            total += w
        return total

    def lines(self, text: str, width: float) -> list[str]:
        if self.width(text) <= width:
            return [text]
        lines: list[str] = []
        current = ""
        used = 0.0
        for ch in text:
            w = self.cache.get(ch) or self.width(ch)
            if used + w > width and current:
                if len(lines) == MAX_LINES - 1:
                    while current and self.width(current + "…") > width:
                        current = current[:-1]
                    lines.append(current + "…")
                    return lines
                cut = current.rfind(" ")
                if cut > len(current) // 2:
                    lines.append(current[:cut])
                    current = current[cut + 1 :]
                else:
                    lines.append(current)
                    current = ""
                used = self.width(current)
            current += ch
            used += w
        lines.append(current)
        return lines


def _iterate(rows) -> Iterable[Sequence[str]]:
    return rows() if callable(rows) else rows


class _Pager:
    def __init__(self, report: TableReport, buffer: io.BytesIO):
        self.report = report
        self.pagesize = landscape(A4) if len(report.columns) > 6 else A4
        self.canvas = Canvas(buffer, pagesize=self.pagesize, invariant=1, initialFontName=REGULAR, pageCompression=1)
        self.canvas.setTitle(report.title)
        self.canvas.setAuthor(report.org_name)
        self.canvas.setSubject(f"{report.title} · {report.generated_at}")
        self.canvas.setCreator("Fleet")
        width = self.pagesize[0] - 2 * MARGIN
        total = sum(c.weight for c in report.columns)
        self.widths = [width * c.weight / total for c in report.columns]
        self.page = 0
        self.y = 0.0

    def _footer(self) -> None:
        c = self.canvas
        c.setFont(REGULAR, 7)
        c.setFillColor(GREY)
        c.drawString(
            MARGIN,
            8 * mm,
            f"{self.report.org_name} · {self.report.title} · Event log head {self.report.head_hash[:16]}…",
        )
        label = f"{self.page} / "
        right = self.pagesize[0] - MARGIN - 14
        c.drawRightString(right, 8 * mm, label)
        c.saveState()
        c.translate(right, 8 * mm)
        c.doForm("total_pages")
        c.restoreState()

    def new_page(self, first: bool = False) -> None:
        if self.page:
            self._footer()
            self.canvas.showPage()
        self.page += 1
        self.y = self.pagesize[1] - MARGIN
        if first:
            self._title_block()
        else:
            c = self.canvas
            c.setFont(BOLD, 9)
            c.setFillColor(INK)
            c.drawString(MARGIN, self.y - 9, self.report.title)
            self.y -= 16
        self._header_row()

    def _title_block(self) -> None:
        c, r = self.canvas, self.report
        c.setFillColor(GREY)
        c.setFont(REGULAR, 9)
        c.drawString(MARGIN, self.y - 9, r.org_name)
        c.setFillColor(INK)
        c.setFont(BOLD, 16)
        c.drawString(MARGIN, self.y - 30, r.title)
        self.y -= 42
        c.setFont(REGULAR, 8.5)
        facts = [
            *r.parameters,
            ("생성 일시 Generated at", r.generated_at),
            ("생성자 Generated by", r.generated_by),
            ("이벤트 로그 헤드 Event log head", r.head_hash),
        ]
        for key, value in facts:
            c.setFillColor(GREY)
            c.drawString(MARGIN, self.y - 9, key)
            c.setFillColor(INK)
            c.drawString(MARGIN + 52 * mm, self.y - 9, value)
            self.y -= 12
        for note in r.notes:
            c.setFillColor(INK)
            c.drawString(MARGIN, self.y - 9, note)
            self.y -= 12
        if r.summary:
            self._bars(r.summary)
        self.y -= 6

    def _bars(self, summary: list[tuple[str, int]]) -> None:
        c = self.canvas
        self.y -= 6
        top = max([n for _, n in summary] + [1])
        room = self.pagesize[0] - 2 * MARGIN - 70 * mm
        for label, count in summary:
            c.setFillColor(INK)
            c.setFont(REGULAR, 8)
            c.drawString(MARGIN, self.y - 8, label)
            c.setFillColor(BAR)
            c.rect(MARGIN + 45 * mm, self.y - 9, max(room * count / top, 0.5), 8, stroke=0, fill=1)
            c.setFillColor(INK)
            c.drawString(MARGIN + 47 * mm + room * count / top, self.y - 8, f"{count:,}")
            self.y -= 12

    def _header_row(self) -> None:
        c = self.canvas
        height = LEADING + 2 * PAD
        c.setFillColor(SHADE)
        c.rect(MARGIN, self.y - height, sum(self.widths), height, stroke=0, fill=1)
        c.setFillColor(INK)
        c.setFont(BOLD, SIZE)
        x = MARGIN
        for column, width in zip(self.report.columns, self.widths, strict=True):
            label = column.label
            while label and stringWidth(label, BOLD, SIZE) > width - 2 * PAD:
                label = label[:-1]
            c.drawString(x + PAD, self.y - PAD - SIZE, label)
            x += width
        self.y -= height
        c.setStrokeColor(LINE)
        c.line(MARGIN, self.y, MARGIN + sum(self.widths), self.y)

    def row(self, cells: list[list[str]], shaded: bool) -> None:
        lines = max(len(cell) for cell in cells)
        height = lines * LEADING + 2 * PAD
        if self.y - height < 14 * mm:
            self.new_page()
        c = self.canvas
        if shaded:
            c.setFillColor(SHADE)
            c.rect(MARGIN, self.y - height, sum(self.widths), height, stroke=0, fill=1)
        c.setFillColor(INK)
        c.setFont(REGULAR, SIZE)
        x = MARGIN
        for cell, width in zip(cells, self.widths, strict=True):
            for i, text in enumerate(cell):
                c.drawString(x + PAD, self.y - PAD - SIZE - i * LEADING, text)
            x += width
        self.y -= height

    def finish(self) -> None:
        self._footer()
        c = self.canvas
        c.beginForm("total_pages")
        c.setFont(REGULAR, 7)
        c.setFillColor(GREY)
        c.drawString(0, 0, str(self.page))
        c.endForm()
        c.save()


def render_table_report(report: TableReport) -> bytes:
    """Title, parameters, generated at / by, the event log head hash, an optional bar chart of
    counts, then every row, with "page x / y" on every page."""
    ensure_fonts()
    buffer = io.BytesIO()
    pager = _Pager(report, buffer)
    fitter = _Fitter(SIZE)
    inner = [w - 2 * PAD for w in pager.widths]
    pager.new_page(first=True)
    count = 0
    for count, row in enumerate(_iterate(report.rows), start=1):
        cells = [fitter.lines("" if v is None else str(v), w) for v, w in zip(row, inner, strict=True)]
        pager.row(cells, shaded=count % 2 == 0)
    if count == 0:
        pager.row([["(없음 None)"]] + [[""] for _ in inner[1:]], shaded=False)
    pager.finish()
    return buffer.getvalue()


def csv_safe(value: object) -> str:
    """Cells starting with = + - @ would run as formulas in a spreadsheet: prefix them with '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a BOM (spreadsheet programs then open Korean correctly), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
