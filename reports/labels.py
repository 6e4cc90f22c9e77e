"""Asset label sheets: a QR code and the tag in large text, 3 × 8 labels per A4 page."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from reports.fonts import BOLD, REGULAR, ensure_fonts

COLUMNS, ROWS = 3, 8
MARGIN_X, MARGIN_Y = 8 * mm, 12 * mm


@dataclass(frozen=True)
class Label:
    asset_tag: str
    title: str
    qr_payload: str


def _fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def render_labels(labels: list[Label], org_name: str, created_at: str) -> bytes:
    """A sheet of labels; as many pages as needed."""
    ensure_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, initialFontName=REGULAR)
    canvas.setTitle(f"Asset labels · {org_name}")
    canvas.setAuthor(org_name)
    canvas.setSubject(created_at)
    canvas.setCreator("Fleet")
    cell_w = (A4[0] - 2 * MARGIN_X) / COLUMNS
    cell_h = (A4[1] - 2 * MARGIN_Y) / ROWS
    qr_size = cell_h - 6 * mm
    for index, label in enumerate(labels):
        slot = index % (COLUMNS * ROWS)
        if index and slot == 0:
            canvas.showPage()
        col, row = slot % COLUMNS, slot // COLUMNS
        x = MARGIN_X + col * cell_w
        y = A4[1] - MARGIN_Y - (row + 1) * cell_h
        canvas.setStrokeColor(colors.HexColor("#d1d5db"))
        canvas.setDash(2, 2)
        canvas.rect(x + 1, y + 1, cell_w - 2, cell_h - 2)
        canvas.setDash()
        QrCode(label.qr_payload, width=qr_size, height=qr_size, qrBorder=1).drawOn(canvas, x + 2 * mm, y + 3 * mm)
        text_x = x + qr_size + 4 * mm
        room = cell_w - qr_size - 6 * mm
        canvas.setFillColor(colors.black)
        canvas.setFont(BOLD, 11)
        canvas.drawString(text_x, y + cell_h - 11 * mm, _fit(label.asset_tag, BOLD, 11, room))
        canvas.setFont(REGULAR, 7)
        canvas.drawString(text_x, y + cell_h - 16 * mm, _fit(label.title, REGULAR, 7, room))
        canvas.drawString(text_x, y + 4 * mm, _fit(org_name, REGULAR, 6, room))
    canvas.save()
    return buffer.getvalue()
