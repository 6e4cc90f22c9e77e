"""The drawing core every document shares: a deterministic reportlab canvas and fast Nanum text.

Why not `canvas.drawString` and platypus: without reportlab's C accelerator every
drawString formats its numbers and escapes its text in pure Python (about 70 µs a
string), and platypus lays out every flowable before it draws. Here text is measured
from the font's own width table, wrapped by hand, encoded once per distinct string into
the font subset's byte codes (written as hex strings, so nothing needs escaping), and
written as raw PDF operators, each group inside `q … Q` so that reportlab's own idea of
the graphics state stays true.

Determinism: the canvas runs in reportlab's invariant mode, the creation date is the
caller's `created_at`, and nothing depends on the clock, the process or hash order.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from datetime import datetime
from itertools import repeat

from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from reports.fonts import REGULAR, get_font

Color = tuple[float, float, float]


def _hex(value: str) -> Color:
    return (int(value[1:3], 16) / 255, int(value[3:5], 16) / 255, int(value[5:7], 16) / 255)


INK = _hex("#1f2937")
GREY = _hex("#6b7280")
LINE = _hex("#9ca3af")
RULE = _hex("#d1d5db")
SHADE = _hex("#f3f4f6")
ALERT = _hex("#b91c1c")
BAR = _hex("#2563eb")
BLACK = (0.0, 0.0, 0.0)

ELLIPSIS = "…"
ASCENT = 0.8  # Nanum's ascent, as a fraction of the font size: top of a line to its baseline
PAGES_FORM = "fleet-page-count"

# Control characters would show as empty boxes or break the layout: tabs and the like become spaces.
_CONTROLS = {code: " " for code in (*range(32), 127)}
_CONTROLS_BUT_NEWLINE = {**_CONTROLS, ord("\n"): "\n"}


def clean(value: object, newlines: bool = False) -> str:
    """Text fit to draw: None is empty, control characters become spaces (newlines kept if asked)."""
    if value is None:
        return ""
    text = str(value)
    if newlines:
        return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS_BUT_NEWLINE)
    return text.translate(_CONTROLS)


_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")
_ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "KST": 9 * 60}


def pdf_date(created_at: str) -> str:
    """The PDF date (D:YYYYMMDDHHmmSS+HH'mm') for the caller's creation time.

    Accepts ISO 8601 (with or without an offset; none means UTC) or "YYYY-MM-DD HH:MM KST"
    as the service prints it. Anything else gives reportlab's fixed invariant date, so the
    output stays deterministic whatever arrives.
    """
    text = (created_at or "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is not None:
        offset = moment.utcoffset()
        minutes = 0 if offset is None else int(offset.total_seconds() // 60)
        fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    else:
        match = _TIME.match(text)
        if not match:
            return "D:20000101000000+00'00'"
        fields = tuple(int(part or 0) for part in match.groups())
        zone = text[match.end() :].strip().upper()
        minutes = _ZONES.get(zone, 0)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    year, month, day, hour, minute, second = fields
    zone = f"{sign}{minutes // 60:02d}'{minutes % 60:02d}'"
    return f"D:{year:04d}{month:02d}{day:02d}{hour:02d}{minute:02d}{second:02d}{zone}"


def fill_op(color: Color) -> str:
    """The PDF operator setting the fill (and text) colour."""
    return f"{color[0]:.3f} {color[1]:.3f} {color[2]:.3f} rg"


def stroke_op(color: Color) -> str:
    """The PDF operator setting the stroke colour."""
    return f"{color[0]:.3f} {color[1]:.3f} {color[2]:.3f} RG"


class _SealingCanvas(Canvas):
    """A canvas that compresses each page as soon as it is finished.

    reportlab keeps every page's operators as text until `save()`; a 2,000-page report
    would hold them all. Here each finished page keeps only its compressed stream (about
    a fifth of the size), which keeps memory nearly flat however long the report.
    """

    def showPage(self) -> None:
        super().showPage()
        page = self._doc.Pages.pages[-1]
        if page.stream and not page.Contents:
            stream = pdfdoc.PDFStream(content=zlib.compress(page.stream.encode("utf-8")))
            stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
            stream.__Comment__ = "page stream"
            page.Contents = stream
            page.stream = None


class Document:
    """One PDF being drawn: page geometry, measured and wrapped Nanum text, shapes, QR codes, images.

    Coordinates are PDF points from the bottom-left corner. Call `finish()` once for the bytes.
    """

    def __init__(self, pagesize: tuple[float, float], *, title: str, author: str, subject: str, created_at: str,
                 signed_line: str | None = None):
        self._fonts = (get_font(False), get_font(True))  # registers them on first use, before the canvas
        self.page_width, self.page_height = pagesize
        self._buffer = io.BytesIO()
        canvas = _SealingCanvas(
            self._buffer,
            pagesize=pagesize,
            invariant=1,
            pageCompression=0,  # each page is compressed by _SealingCanvas instead
            initialFontName=REGULAR,  # never let Helvetica (not embedded) into the file
        )
        canvas.setTitle(clean(title))
        canvas.setAuthor(clean(author))
        canvas.setSubject(clean(subject))
        canvas.setCreator("Fleet")
        stamp = pdf_date(created_at)
        canvas.setDateFormatter(lambda *_: stamp)
        # reportlab seeds the file identifier (/ID) with its clock, which is fixed in invariant
        # mode but read from $SOURCE_DATE_EPOCH when that is set: seed it from created_at instead.
        canvas._doc.signature = hashlib.md5(f"Fleet {stamp}".encode(), usedforsecurity=False)
        self.canvas = canvas
        self.page = 1
        self._doc = canvas._doc
        self._metrics = tuple((font.face.charWidths, font.face.defaultWidth) for font in self._fonts)
        self._shown: dict[tuple[str, float, bool], str] = {}
        self._counts_pages = False
        self._page_label: tuple[float, Color] = (7, GREY)
        # "전자서명됨 · Digitally signed by …": printed at the top of every page of a PDF that is signed after
        # rendering (a certified PDF takes no later stamp, so the renderer prints it).
        self._signed_line = clean(signed_line) if signed_line else None

    # ---- text -------------------------------------------------------------------------

    def width(self, text: str, size: float, bold: bool = False) -> float:
        """Width of one line of text in points."""
        widths, default = self._metrics[bold]
        return sum(map(widths.get, map(ord, text), repeat(default))) * size / 1000

    def fit(self, text: str, width: float, size: float, bold: bool = False) -> str:
        """One line no wider than `width`, cut with … when it is too long."""
        return self.wrap(text, width, size, bold, max_lines=1)[0]

    def wrap(self, text: str, width: float, size: float, bold: bool = False, max_lines: int | None = None) -> list[str]:
        """Lines no wider than `width`; see `wrap_cut`."""
        return self.wrap_cut(text, width, size, bold, max_lines)[0]

    def wrap_cut(
        self, text: str, width: float, size: float, bold: bool = False, max_lines: int | None = None
    ) -> tuple[list[str], bool]:
        """Wrap at spaces (Korean separates words with spaces too), break a word longer than
        the line between characters, keep explicit newlines; beyond `max_lines` the last
        line ends with …. Answers the lines and whether text was cut. Never empty."""
        widths, default = self._metrics[bold]
        limit = width * 1000 / size
        get = widths.get

        def measure(s: str) -> float:
            return sum(map(get, map(ord, s), repeat(default)))

        space = get(32, default)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            if max_lines is not None and len(lines) > max_lines:
                break
            if measure(paragraph) <= limit:
                lines.append(paragraph)
                continue
            line, used = "", 0.0
            for word in paragraph.split():
                size_of_word = measure(word)
                if line and used + space + size_of_word <= limit:
                    line, used = f"{line} {word}", used + space + size_of_word
                    continue
                if line:
                    lines.append(line)
                while size_of_word > limit:
                    taken, cut = 0.0, 0
                    for ch in word:
                        w = get(ord(ch), default)
                        if cut and taken + w > limit:
                            break
                        taken, cut = taken + w, cut + 1
                    lines.append(word[:cut])
                    word = word[cut:]
                    size_of_word = measure(word)
                line, used = word, size_of_word
                if max_lines is not None and len(lines) > max_lines:
                    break
            lines.append(line)
        if max_lines is None or len(lines) <= max_lines:
            return lines, False
        lines = lines[:max_lines]
        last, room = lines[-1].rstrip(), limit - get(ord(ELLIPSIS), default)
        while last and measure(last) > room:
            last = last[:-1]
        lines[-1] = last.rstrip() + ELLIPSIS
        return lines, True

    def show(self, text: str, size: float, bold: bool = False) -> str:
        """PDF operators that show `text` at the current text position (font subset, size, hex codes)."""
        key = (text, size, bold)
        shown = self._shown.get(key)
        if shown is None:
            font = self._fonts[bold]
            parts = [
                f"{font.getSubsetInternalName(subset, self._doc)} {size:g} Tf <{codes.hex()}> Tj"
                for subset, codes in font.splitString(text, self._doc)
            ]
            shown = " ".join(parts)
            if len(self._shown) >= 20000:  # a long report has many one-off strings: keep memory flat
                self._shown.clear()
            self._shown[key] = shown
        return shown

    def text_ops(self, x: float, y: float, text: str, size: float, bold: bool = False) -> str:
        """Operators for one line with its baseline starting at (x, y); to be put inside BT … ET."""
        return f"1 0 0 1 {x:.2f} {y:.2f} Tm {self.show(text, size, bold)}" if text else ""

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 9,
        bold: bool = False,
        color: Color = INK,
        align: str = "left",
    ) -> None:
        """Draw one line; `align` is left, right (x is the right end) or center."""
        if not text:
            return
        if align != "left":
            width = self.width(text, size, bold)
            x -= width if align == "right" else width / 2
        self.emit(f"{fill_op(color)} BT {self.text_ops(x, y, text, size, bold)} ET")

    def lines(
        self,
        x: float,
        top: float,
        lines: list[str],
        size: float,
        leading: float,
        bold: bool = False,
        color: Color = INK,
    ) -> None:
        """Draw lines downwards from `top` (the top of the first line's box)."""
        ops = [self.text_ops(x, top - ASCENT * size - i * leading, line, size, bold) for i, line in enumerate(lines)]
        ops = [op for op in ops if op]
        if ops:
            self.emit(f"{fill_op(color)} BT {' '.join(ops)} ET")

    # ---- shapes -----------------------------------------------------------------------

    def emit(self, ops: str) -> None:
        """Raw PDF operators, isolated in their own graphics state."""
        self.canvas.addLiteral(f"q {ops} Q")

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: Color | None = None,
        stroke: Color | None = None,
        line_width: float = 0.5,
    ) -> None:
        """A rectangle from its bottom-left corner, filled and/or stroked."""
        if fill is None and stroke is None:
            return
        ops = [f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re"]
        if fill is not None:
            ops.insert(0, fill_op(fill))
        if stroke is not None:
            ops.insert(0, f"{stroke_op(stroke)} {line_width:.2f} w")
        ops.append("B" if fill is not None and stroke is not None else "f" if fill is not None else "S")
        self.emit(" ".join(ops))

    def line(
        self, x1: float, y1: float, x2: float, y2: float, color: Color = LINE, width: float = 0.5, dash: str = ""
    ) -> None:
        """A straight line; `dash` is a PDF dash array such as "2 2"."""
        pattern = f"[{dash}] 0 d " if dash else ""
        self.emit(f"{stroke_op(color)} {width:.2f} w {pattern}{x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S")

    def checkbox(self, x: float, y: float, size: float, checked: bool, color: Color = INK) -> None:
        """A drawn box, ticked or empty (Nanum has no ☐ ☑ glyphs)."""
        ops = [f"{stroke_op(color)} 0.8 w {x:.2f} {y:.2f} {size:.2f} {size:.2f} re S"]
        if checked:
            tick = ((0.2, 0.52), (0.42, 0.24), (0.84, 0.82))
            (ax, ay), (bx, by), (cx, cy) = ((x + size * u, y + size * v) for u, v in tick)
            ops.append(f"1.4 w 1 J 1 j {ax:.2f} {ay:.2f} m {bx:.2f} {by:.2f} l {cx:.2f} {cy:.2f} l S")
        self.emit(" ".join(ops))

    def qr(self, x: float, y: float, size: float, payload: str, level: str = "M", border: int = 2) -> None:
        """A QR code (reportlab's QrCodeWidget encoder) in a `size` square whose bottom-left is (x, y).

        The modules are written as one filled path: drawing the widget through renderPDF
        would bring a non-embedded Helvetica into the file.
        """
        # Imported here: the barcode package pulls in platypus and the graphics library
        # (about 0.1 s), which `import reports` should not cost.
        from reportlab.graphics.barcode.qr import QrCodeWidget

        widget = QrCodeWidget(payload, barLevel=level)
        widget.qr.make()
        count = widget.qr.getModuleCount()
        module = size / (count + 2 * border)
        ops = [fill_op(BLACK)]
        for r, row in enumerate(widget.qr.modules):
            top = y + size - (r + border) * module
            c = 0
            while c < count:
                if row[c]:
                    start = c
                    while c < count and row[c]:
                        c += 1
                    ops.append(
                        f"{x + (start + border) * module:.3f} {top - module * 1.02:.3f} "
                        f"{(c - start) * module:.3f} {module * 1.02:.3f} re"
                    )
                else:
                    c += 1
        ops.append("f")
        self.emit(" ".join(ops))

    def image(self, data: bytes, x: float, y: float, w: float, h: float) -> None:
        """An image (PNG, JPEG) scaled to fit the box, centred, keeping its proportions.

        Raises ValueError if the bytes are not an image.
        """
        try:
            reader = ImageReader(io.BytesIO(data))
            iw, ih = reader.getSize()
        except (OSError, ValueError, SyntaxError) as error:
            raise ValueError(f"not a readable image: {error}") from error
        if iw <= 0 or ih <= 0:
            raise ValueError("not a readable image: empty")
        scale = min(w / iw, h / ih)
        dw, dh = iw * scale, ih * scale
        self.canvas.drawImage(reader, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh, mask="auto")

    # ---- pages ------------------------------------------------------------------------

    def page_number(self, x: float, y: float, size: float = 7, color: Color = GREY, prefix: str = "Page ") -> None:
        """Draw "Page n / total" from (x, y); the total is filled in by `finish()`."""
        label = f"{prefix}{self.page} / "
        self.text(x, y, label, size, color=color)
        self._counts_pages = True
        c = self.canvas
        c.saveState()
        c.translate(x + self.width(label, size), y)
        c.doForm(PAGES_FORM)
        c.restoreState()
        self._page_label = (size, color)

    def _mark_signed(self) -> None:
        if self._signed_line:
            size = 6
            line = self.fit(self._signed_line, self.page_width - 14 * 2.8346, size)
            self.text(self.page_width / 2, self.page_height - 5.5 * 2.8346, line, size, color=GREY, align="center")

    def show_page(self) -> None:
        """Finish the current page and start the next."""
        self._mark_signed()
        self.canvas.showPage()
        self.page += 1

    def finish(self) -> bytes:
        """Close the document and answer its bytes."""
        c = self.canvas
        self._mark_signed()
        if self._counts_pages:
            size, color = self._page_label
            c.beginForm(PAGES_FORM, lowerx=0, lowery=-size, upperx=size * 6, uppery=size * 2)
            c.addLiteral(f"q {fill_op(color)} BT {self.text_ops(0, 0, str(self.page), size)} ET Q")
            c.endForm()
        c.save()
        return self._buffer.getvalue()
