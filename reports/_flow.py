"""Text flowing down pages, and a table drawn one row at a time.

A platypus Table lays out all its rows before drawing any (quadratic in the row count)
and the document holds every flowable until the end. Here each row is measured, drawn
and forgotten: the cost is linear and memory does not grow with the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reports._pdf import ASCENT, GREY, INK, LINE, SHADE, Color, Document, clean, fill_op, stroke_op


class Flow:
    """A cursor running down the pages of a document, between margins.

    `on_page_start(flow)` draws a running header on every page after the first and moves
    `y` below it; `on_page_end(flow)` draws the footer before each page is finished.
    """

    def __init__(
        self,
        doc: Document,
        *,
        left: float,
        right: float,
        top: float,
        bottom: float,
        on_page_start: Callable[[Flow], None] | None = None,
        on_page_end: Callable[[Flow], None] | None = None,
    ):
        self.doc = doc
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.y = top
        self.on_page_start = on_page_start
        self.on_page_end = on_page_end
        self.table: Table | None = None

    @property
    def width(self) -> float:
        return self.right - self.left

    def ensure(self, height: float) -> bool:
        """Start a new page unless `height` fits below the cursor; answers whether it did."""
        if self.y - height >= self.bottom or self.y >= self.top:
            return False
        self.new_page()
        return True

    def new_page(self) -> None:
        if self.on_page_end:
            self.on_page_end(self)
        self.doc.show_page()
        self.y = self.top
        if self.on_page_start:
            self.on_page_start(self)
        if self.table is not None:
            self.table.draw_header()

    def close(self) -> None:
        """Draw the last page's footer."""
        if self.on_page_end:
            self.on_page_end(self)

    def paragraph(
        self,
        text: str,
        size: float = 8.5,
        leading: float | None = None,
        bold: bool = False,
        color: Color = INK,
        max_lines: int | None = None,
        indent: float = 0,
    ) -> None:
        """Wrapped text across the full width, breaking pages between lines."""
        leading = leading or size * 1.3
        for line in self.doc.wrap(clean(text, newlines=True), self.width - indent, size, bold, max_lines):
            self.ensure(leading)
            self.doc.lines(self.left + indent, self.y, [line], size, leading, bold, color)
            self.y -= leading


@dataclass(frozen=True)
class TableColumn:
    """One column as drawn: its label, width in points and the most lines a cell may take."""

    label: str
    width: float
    max_lines: int = 2


class Table:
    """Rows drawn as they come: each cell wrapped at spaces, cut with … beyond its column's
    `max_lines`; the header row is repeated at the top of every page."""

    def __init__(
        self,
        flow: Flow,
        columns: Sequence[TableColumn],
        *,
        size: float = 7.5,
        leading: float = 9.4,
        pad: float = 2.6,
        min_height: float = 0,
        grid: bool = False,
    ):
        self.flow, self.doc = flow, flow.doc
        self.columns = list(columns)
        self.size, self.leading, self.pad = size, leading, pad
        self.min_height, self.grid = min_height, grid
        self.count = 0
        self.cut = 0
        self.xs: list[float] = []
        x = flow.left
        for column in self.columns:
            self.xs.append(x)
            x += column.width
        self.total_width = x - flow.left
        self.inner = [column.width - 2 * pad for column in self.columns]
        self._header = [
            self.doc.wrap(clean(c.label), inner, size, True, 2)
            for c, inner in zip(self.columns, self.inner, strict=True)
        ]
        self.header_height = max(len(lines) for lines in self._header) * leading + 2 * pad

    def start(self) -> None:
        """Draw the header row (on a new page if it and one row do not fit here)."""
        self.flow.ensure(self.header_height + max(self.min_height, self.leading + 2 * self.pad))
        self.flow.table = self
        self.draw_header()

    def finish(self) -> None:
        self.flow.table = None

    def draw_header(self) -> None:
        flow, doc, pad, size = self.flow, self.doc, self.pad, self.size
        top, height = flow.y, self.header_height
        ops = [f"{fill_op(SHADE)} {flow.left:.2f} {top - height:.2f} {self.total_width:.2f} {height:.2f} re f"]
        bottom, right = top - height, flow.left + self.total_width
        ops.append(f"{stroke_op(LINE)} 0.6 w {flow.left:.2f} {bottom:.2f} m {right:.2f} {bottom:.2f} l S")
        if self.grid:
            ops.append(self._grid_ops(top, height))
        ops.append(f"{fill_op(INK)} BT")
        for x, lines in zip(self.xs, self._header, strict=True):
            for i, line in enumerate(lines):
                ops.append(doc.text_ops(x + pad, top - pad - ASCENT * size - i * self.leading, line, size, True))
        ops.append("ET")
        doc.emit(" ".join(ops))
        flow.y -= height

    def _grid_ops(self, top: float, height: float) -> str:
        parts = [
            f"{stroke_op(LINE)} 0.5 w {self.flow.left:.2f} {top - height:.2f} {self.total_width:.2f} {height:.2f} re"
        ]
        for x in self.xs[1:]:
            parts.append(f"{x:.2f} {top:.2f} m {x:.2f} {top - height:.2f} l")
        parts.append("S")
        return " ".join(parts)

    def add(self, values: Sequence[object]) -> None:
        """Draw one row; a row must have one value per column (None is empty)."""
        if len(values) != len(self.columns):
            raise ValueError(f"row {self.count + 1} has {len(values)} values for {len(self.columns)} columns")
        doc, size, pad, leading = self.doc, self.size, self.pad, self.leading
        cells = []
        for value, inner, column in zip(values, self.inner, self.columns, strict=True):
            text = clean(value, newlines=True)
            if "\n" not in text and doc.width(text, size) <= inner:
                cells.append((text,))
                continue
            lines, cut = doc.wrap_cut(text, inner, size, max_lines=column.max_lines)
            self.cut += cut
            cells.append(lines)
        height = max(max(len(lines) for lines in cells) * leading + 2 * pad, self.min_height)
        flow = self.flow
        flow.ensure(height)
        top = flow.y
        self.count += 1
        ops = []
        if self.grid:
            ops.append(self._grid_ops(top, height))
        elif self.count % 2 == 0:
            ops.append(f"{fill_op(SHADE)} {flow.left:.2f} {top - height:.2f} {self.total_width:.2f} {height:.2f} re f")
        ops.append(f"{fill_op(INK)} BT")
        baseline = top - pad - ASCENT * size
        for x, lines in zip(self.xs, cells, strict=True):
            for i, line in enumerate(lines):
                if line:
                    ops.append(doc.text_ops(x + pad, baseline - i * leading, line, size))
        ops.append("ET")
        doc.emit(" ".join(ops))
        flow.y -= height

    def message(self, text: str) -> None:
        """A line across the whole table, e.g. that there are no rows."""
        height = self.leading + 2 * self.pad
        self.flow.ensure(height)
        self.doc.text(
            self.flow.left + self.pad, self.flow.y - self.pad - ASCENT * self.size, text, self.size, color=GREY
        )
        self.flow.y -= height
