"""Asset label sheets: 3 × 8 labels per A4 page, each a QR code and the tag in large type."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from reports._pdf import GREY, RULE, Document, clean

COLUMNS, ROWS = 3, 8
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 7 * mm, 10 * mm, 12 * mm
PAD = 2.5 * mm
TAG_SIZES = (15, 14, 13, 12, 11, 10)  # on one line
WRAPPED_TAG_SIZES = (12, 11, 10, 9, 8, 7, 6.5)  # on up to three lines, broken after - _ . /


@dataclass(frozen=True)
class Label:
    """One label: the asset tag (large), a short title such as "LG gram 16 · 진잠도서관", the QR payload."""

    asset_tag: str
    title: str
    qr_payload: str


def _tag_lines(doc: Document, tag: str, width: float) -> tuple[list[str], float]:
    """The tag in the largest type that fits: one line if it can, else up to three lines
    broken after its separators (a tag is never cut: it is what people read and type)."""
    for size in TAG_SIZES:
        if doc.width(tag, size, True) <= width:
            return [tag], size
    pieces = re.findall(r"[^-_./]*[-_./]|[^-_./]+$", tag)
    for size in WRAPPED_TAG_SIZES:
        lines: list[str] = []
        for piece in pieces:
            if lines and doc.width(lines[-1] + piece, size, True) <= width:
                lines[-1] += piece
            else:
                lines.extend(doc.wrap(piece, width, size, True))
        if len(lines) <= 3 or size == WRAPPED_TAG_SIZES[-1]:
            return lines, size
    raise AssertionError("unreachable")  # pragma: no cover


def render_labels(labels: Sequence[Label], org_name: str, created_at: str, signed_line: str | None = None) -> bytes:
    """A sheet of labels in reading order, as many pages as needed, with light cut lines
    and "Page x / y" under each sheet. `created_at` is the PDF's creation date; `signed_line`
    is printed on every page of a PDF that is to be signed."""
    doc = Document(
        A4,
        title=f"자산 라벨 Asset labels · {clean(org_name)}",
        author=org_name,
        subject=f"Asset labels · {clean(created_at)}",
        created_at=created_at,
        signed_line=signed_line,
    )
    width, height = A4
    cell_w = (width - 2 * MARGIN_X) / COLUMNS
    cell_h = (height - MARGIN_TOP - MARGIN_BOTTOM) / ROWS
    qr = cell_h - 2 * PAD
    text_x = PAD + qr + 2 * mm
    room = cell_w - text_x - PAD
    per_page = COLUMNS * ROWS
    footer = doc.fit(f"{clean(org_name)} · 자산 라벨 Asset labels · {clean(created_at)}", width * 0.6, 6.5)

    def finish_page() -> None:
        doc.text(MARGIN_X, 5 * mm, footer, 6.5, color=GREY)
        doc.page_number(width - MARGIN_X - 22 * mm, 5 * mm, 6.5)

    for index, label in enumerate(labels):
        slot = index % per_page
        if index and slot == 0:
            finish_page()
            doc.show_page()
        row, col = divmod(slot, COLUMNS)
        x = MARGIN_X + col * cell_w
        top = height - MARGIN_TOP - row * cell_h
        doc.rect(x, top - cell_h, cell_w, cell_h, stroke=RULE, line_width=0.4)
        doc.qr(x + PAD, top - PAD - qr, qr, label.qr_payload, level="M", border=2)
        tag, size = _tag_lines(doc, clean(label.asset_tag), room)
        y = top - PAD - 1.5 * mm
        doc.lines(x + text_x, y, tag, size, size * 1.15, bold=True)
        y -= len(tag) * size * 1.15 + 3
        title_lines = max(1, min(4, int((y - (top - cell_h + PAD + 9)) // 8.6)))
        doc.lines(x + text_x, y, doc.wrap(clean(label.title), room, 7, max_lines=title_lines), 7, 8.6)
        doc.text(x + text_x, top - cell_h + PAD + 1, doc.fit(clean(org_name), room, 6), 6, color=GREY)
    finish_page()
    return doc.finish()
