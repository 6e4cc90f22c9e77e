"""The building blocks of the one-page forms: header with QR code and sign-off box,
label/value grids, check lists, terms, signature boxes.

Each block measures its height first (`height`) and draws itself from a top edge
(`draw(doc, top)`), so a form can add its blocks up before drawing and give the space
left to one elastic field (the note), which keeps every form on one page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from reports._pdf import ALERT, ASCENT, GREY, INK, LINE, SHADE, Color, Document, clean

PAGE_W, PAGE_H = A4
LEFT = 16 * mm
RIGHT = PAGE_W - 16 * mm
WIDTH = RIGHT - LEFT
TOP = PAGE_H - 13 * mm
BOTTOM = 15 * mm
GAP = 6

LABEL_W = 25 * mm
VALUE_SIZE, VALUE_LEADING = 9, 11.5
LABEL_SIZE, LABEL_EN_SIZE = 8, 6.5
CELL_PAD_X, CELL_PAD_Y = 5, 4.5
LABEL_H = LABEL_SIZE + 1.5 + LABEL_EN_SIZE + 1.5


def _label(doc: Document, x: float, top: float, width: float, korean: str, english: str) -> None:
    """A bilingual label: Korean in bold, English beneath in smaller grey type."""
    doc.text(x, top - ASCENT * LABEL_SIZE, doc.fit(korean, width, LABEL_SIZE, True), LABEL_SIZE, bold=True)
    doc.text(
        x,
        top - LABEL_SIZE - 1.5 - ASCENT * LABEL_EN_SIZE,
        doc.fit(english, width, LABEL_EN_SIZE),
        LABEL_EN_SIZE,
        color=GREY,
    )


class Block:
    """Something drawn across the page width: `height` in points, `draw(doc, top)`."""

    height: float = 0

    def draw(self, doc: Document, top: float) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class Space(Block):
    def __init__(self, height: float):
        self.height = height

    def draw(self, doc: Document, top: float) -> None:
        return None


@dataclass
class Field:
    """One label/value pair of a grid. `lines` caps the value's lines (cut with …)."""

    korean: str
    english: str
    value: str
    lines: int = 2
    bold: bool = False
    color: Color = INK


@dataclass
class _Row:
    fields: list[Field]
    wrapped: list[list[str]] = field(default_factory=list)
    height: float = 0


class Grid(Block):
    """Rows of one (full width) or two (half width each) label/value pairs, with borders."""

    def __init__(self, doc: Document, rows: Sequence[Sequence[Field]]):
        self.rows: list[_Row] = []
        for fields in rows:
            row = _Row(list(fields))
            width = WIDTH / len(fields) - LABEL_W - 2 * CELL_PAD_X
            for f in row.fields:
                text = clean(f.value, newlines=True) or "-"
                row.wrapped.append(doc.wrap(text, width, VALUE_SIZE, f.bold, max_lines=max(f.lines, 1)))
            lines = max(len(w) for w in row.wrapped)
            row.height = max(LABEL_H, lines * VALUE_LEADING) + 2 * CELL_PAD_Y
            self.rows.append(row)
        self.height = sum(r.height for r in self.rows)

    def draw(self, doc: Document, top: float) -> None:
        y = top
        for row in self.rows:
            cell_w = WIDTH / len(row.fields)
            for i, (f, lines) in enumerate(zip(row.fields, row.wrapped, strict=True)):
                x = LEFT + i * cell_w
                doc.rect(x, y - row.height, LABEL_W, row.height, fill=SHADE)
                doc.rect(x, y - row.height, cell_w, row.height, stroke=LINE)
                doc.line(x + LABEL_W, y, x + LABEL_W, y - row.height, LINE)
                _label(
                    doc, x + CELL_PAD_X, y - (row.height - LABEL_H) / 2, LABEL_W - 2 * CELL_PAD_X, f.korean, f.english
                )
                text_top = y - (row.height - len(lines) * VALUE_LEADING) / 2
                doc.lines(x + LABEL_W + CELL_PAD_X, text_top, lines, VALUE_SIZE, VALUE_LEADING, f.bold, f.color)
            y -= row.height


class SectionTitle(Block):
    """A section heading: Korean in bold, English beside it in grey."""

    height = 15

    def __init__(self, korean: str, english: str):
        self.korean, self.english = korean, english

    def draw(self, doc: Document, top: float) -> None:
        baseline = top - 2 - ASCENT * 10
        doc.text(LEFT, baseline, self.korean, 10, bold=True)
        doc.text(LEFT + doc.width(self.korean, 10, True) + 5, baseline, self.english, 7.5, color=GREY)


@dataclass(frozen=True)
class CheckItem:
    name: str
    checked: bool
    remark: str | None = None  # drawn in bold red after the name, e.g. 누락 Missing
    remark_color: Color = ALERT


class CheckList(Block):
    """Items with drawn check boxes, three to a row, at most `max_rows` rows; the last
    slot then says how many more there are and names them."""

    ROW = 14
    PAD = 4

    def __init__(
        self, doc: Document, items: Sequence[CheckItem], columns: int = 3, max_rows: int = 3, empty: str = "없음 None"
    ):
        self.columns, self.empty = columns, empty
        room = columns * max_rows
        self.items = list(items)
        self.more: list[CheckItem] = []
        if len(self.items) > room:
            self.items, self.more = self.items[: room - 1], self.items[room - 1 :]
        slots = len(self.items) + (1 if self.more else 0)
        rows = max(1, -(-slots // columns))
        self.height = rows * self.ROW + 2 * self.PAD

    def draw(self, doc: Document, top: float) -> None:
        doc.rect(LEFT, top - self.height, WIDTH, self.height, stroke=LINE)
        if not self.items and not self.more:
            doc.text(LEFT + CELL_PAD_X, top - self.PAD - 10, self.empty, VALUE_SIZE, color=GREY)
            return
        col_w = (WIDTH - 2 * CELL_PAD_X) / self.columns
        box = 8
        for index, item in enumerate(self.items):
            row, col = divmod(index, self.columns)
            x = LEFT + CELL_PAD_X + col * col_w
            baseline = top - self.PAD - (row + 1) * self.ROW + 4
            doc.checkbox(x, baseline - 1, box, item.checked)
            remark = clean(item.remark) if item.remark else ""
            remark_w = doc.width(remark, 8, True) + 4 if remark else 0
            name = doc.fit(clean(item.name) or "-", col_w - box - 8 - remark_w, VALUE_SIZE)
            doc.text(x + box + 4, baseline, name, VALUE_SIZE)
            if remark:
                doc.text(
                    x + box + 4 + doc.width(name, VALUE_SIZE) + 4,
                    baseline,
                    remark,
                    8,
                    bold=True,
                    color=item.remark_color,
                )
        if self.more:
            index = len(self.items)
            row, col = divmod(index, self.columns)
            x = LEFT + CELL_PAD_X + col * col_w
            baseline = top - self.PAD - (row + 1) * self.ROW + 4
            names = ", ".join(clean(i.name) for i in self.more)
            text = f"외 {len(self.more)}개 · {len(self.more)} more: {names}"
            doc.text(x, baseline, doc.fit(text, col_w - 4, 8), 8, color=GREY)


class Lines(Block):
    """Wrapped text across the page: Korean, optionally English beneath in smaller grey type."""

    def __init__(
        self,
        doc: Document,
        korean: str,
        english: str = "",
        size: float = 8.5,
        bold: bool = False,
        color: Color = INK,
        max_lines: int = 3,
        indent: float = 0,
    ):
        self.indent, self.size, self.bold, self.color = indent, size, bold, color
        self.ko = doc.wrap(clean(korean, newlines=True), WIDTH - indent, size, bold, max_lines) if korean else []
        self.en = doc.wrap(clean(english), WIDTH - indent, size - 1, max_lines=max_lines) if english else []
        self.height = len(self.ko) * size * 1.3 + len(self.en) * (size - 1) * 1.3

    def draw(self, doc: Document, top: float) -> None:
        leading = self.size * 1.3
        doc.lines(LEFT + self.indent, top, self.ko, self.size, leading, self.bold, self.color)
        top -= len(self.ko) * leading
        doc.lines(LEFT + self.indent, top, self.en, self.size - 1, (self.size - 1) * 1.3, color=GREY)


class Terms(Block):
    """Numbered terms of use: each Korean sentence with its English beside it when the line
    has room, else beneath."""

    SIZE, EN_SIZE = 8.5, 7.5

    def __init__(self, doc: Document, terms: Sequence[tuple[str, str]]):
        self.items = []
        width = WIDTH - 12
        for number, (korean, english) in enumerate(terms, start=1):
            ko = f"{number}. {korean}"
            same_line = doc.width(ko, self.SIZE) + 6 + doc.width(english, self.EN_SIZE) <= width
            self.items.append((ko, english, same_line))
        self.height = sum(11 if same else 20.5 for _, _, same in self.items)

    def draw(self, doc: Document, top: float) -> None:
        for ko, en, same_line in self.items:
            baseline = top - ASCENT * self.SIZE - 1
            doc.text(LEFT + 4, baseline, ko, self.SIZE)
            if same_line:
                doc.text(LEFT + 4 + doc.width(ko, self.SIZE) + 6, baseline, en, self.EN_SIZE, color=GREY)
                top -= 11
            else:
                doc.text(
                    LEFT + 4 + doc.width("0. ", self.SIZE),
                    baseline - 9.5,
                    doc.fit(en, WIDTH - 20, self.EN_SIZE),
                    self.EN_SIZE,
                    color=GREY,
                )
                top -= 20.5


@dataclass(frozen=True)
class Signer:
    korean: str
    english: str
    name: str
    png: bytes | None = None
    typed: str | None = None  # the signer confirmed by typing their name instead of drawing (keyboard, screen reader)


class Signatures(Block):
    """Signature boxes side by side; a given signature image is drawn inside its box, a name typed in its stead
    is printed there and marked as typed."""

    def __init__(self, signers: Sequence[Signer], height: float = 24 * mm):
        self.signers = list(signers)
        self.height = height

    def draw(self, doc: Document, top: float) -> None:
        gap = 8
        width = (WIDTH - gap * (len(self.signers) - 1)) / len(self.signers)
        for i, signer in enumerate(self.signers):
            x = LEFT + i * (width + gap)
            bottom = top - self.height
            doc.rect(x, bottom, width, self.height, stroke=INK, line_width=0.7)
            _label(doc, x + 6, top - 5, width - 12, signer.korean, signer.english)
            name = f"성명 Name: {clean(signer.name)}" if signer.name else "성명 Name:"
            doc.text(x + 6, bottom + 6, doc.fit(name, width * 0.6, 8), 8)
            doc.text(x + width - 6, bottom + 6, "(서명 Signature)", 7, color=GREY, align="right")
            if signer.png:
                doc.image(signer.png, x + 8, bottom + 16, width - 16, self.height - 16 - 22)
            elif signer.typed:
                typed = doc.fit(clean(signer.typed), width - 20, 14, bold=True)
                doc.text(x + 10, bottom + self.height / 2, typed, 14, bold=True)
                doc.text(x + 10, bottom + self.height / 2 - 10, "이름 입력으로 확인 Confirmed by typing the name", 7,
                         color=GREY)


class Header(Block):
    """Organisation, bilingual title, number and date on the left; the QR code and the
    Korean sign-off box (결재란: 담당 / 팀장 / 과장) on the right."""

    SIGN_COL, SIGN_HEAD, SIGN_CELL, SIGN_SIDE = 16 * mm, 6 * mm, 15 * mm, 7 * mm
    QR = 24 * mm

    def __init__(
        self,
        doc: Document,
        *,
        org: str,
        korean: str,
        english: str,
        number: tuple[str, str],
        date: tuple[str, str],
        qr_payload: str,
    ):
        self.korean, self.english, self.qr_payload = korean, english, qr_payload
        self.sign_w = 3 * self.SIGN_COL + self.SIGN_SIDE
        self.text_w = WIDTH - self.sign_w - self.QR - 12 * mm
        self.org = doc.wrap(clean(org), self.text_w, 9, max_lines=2)
        self.facts = []
        for label, value in (number, date):
            self.facts.append((label, doc.fit(clean(value), self.text_w - doc.width(label, 8.5, True) - 5, 9)))
        self.text_h = len(self.org) * 11.5 + 4 + 24 + 14 + 6 + 2 * 12.5
        self.height = max(self.text_h, self.QR + 8, self.SIGN_HEAD + self.SIGN_CELL) + 4

    def draw(self, doc: Document, top: float) -> None:
        y = top
        doc.lines(LEFT, y, self.org, 9, 11.5, color=GREY)
        y -= len(self.org) * 11.5 + 4
        doc.text(LEFT, y - ASCENT * 20, self.korean, 20, bold=True)
        y -= 24
        doc.text(LEFT, y - ASCENT * 10.5, self.english, 10.5, color=GREY)
        y -= 14 + 6
        for label, value in self.facts:
            doc.text(LEFT, y - ASCENT * 9, label, 8.5, bold=True)
            doc.text(LEFT + doc.width(label, 8.5, True) + 5, y - ASCENT * 9, value, 9)
            y -= 12.5
        self._sign_off(doc, RIGHT - self.sign_w, top)
        qr_x = RIGHT - self.sign_w - 4 * mm - self.QR
        doc.qr(qr_x, top - self.QR, self.QR, self.qr_payload)
        doc.text(qr_x + self.QR / 2, top - self.QR - 6, "QR · 진위 확인 Verify", 5.5, color=GREY, align="center")
        doc.line(LEFT, top - self.height, RIGHT, top - self.height, INK, 1)

    def _sign_off(self, doc: Document, x: float, top: float) -> None:
        height = self.SIGN_HEAD + self.SIGN_CELL
        doc.rect(x, top - height, self.SIGN_SIDE, height, fill=SHADE)
        doc.text(x + self.SIGN_SIDE / 2, top - height / 2 + 2, "결", 8.5, bold=True, align="center")
        doc.text(x + self.SIGN_SIDE / 2, top - height / 2 - 8, "재", 8.5, bold=True, align="center")
        for i, role in enumerate(("담당", "팀장", "과장")):
            cx = x + self.SIGN_SIDE + i * self.SIGN_COL
            doc.rect(cx, top - self.SIGN_HEAD, self.SIGN_COL, self.SIGN_HEAD, fill=SHADE)
            doc.text(cx + self.SIGN_COL / 2, top - self.SIGN_HEAD + 5, role, 8, bold=True, align="center")
            doc.line(cx, top, cx, top - height, INK, 0.6)
        doc.line(x + self.SIGN_SIDE, top - self.SIGN_HEAD, x + self.sign_w, top - self.SIGN_HEAD, INK, 0.6)
        doc.rect(x, top - height, self.sign_w, height, stroke=INK, line_width=0.8)


def footer(doc: Document, left: str, right: str = "Fleet") -> None:
    """A small grey line at the bottom of a form."""
    y = 9 * mm
    doc.line(LEFT, y + 8, RIGHT, y + 8, LINE, 0.4)
    doc.text(LEFT, y, doc.fit(clean(left), WIDTH * 0.75, 6.5), 6.5, color=GREY)
    doc.text(RIGHT, y, right, 6.5, color=GREY, align="right")


def stack(doc: Document, blocks: Sequence[Block], top: float = TOP) -> float:
    """Draw blocks one under the other; answers the y below the last."""
    y = top
    for block in blocks:
        block.draw(doc, y)
        y -= block.height
    return y
