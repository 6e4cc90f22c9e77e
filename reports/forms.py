"""Handover, batch handover and return forms: one A4 page each, Korean first, English beneath.

Dataclasses in, PDF bytes out; the same dataclass always gives the same bytes
(reportlab's invariant mode, and the creation date comes from the caller).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reports.fonts import BOLD, REGULAR, ensure_fonts


@dataclass(frozen=True)
class Party:
    name: str
    employee_number: str
    department: str
    email: str
    uid: str


@dataclass(frozen=True)
class AssetLine:
    asset_tag: str
    category: str
    manufacturer: str
    model: str
    serial_number: str
    accessories: list[str] = field(default_factory=list)
    condition: str | None = None


@dataclass(frozen=True)
class HandoverForm:
    org_name: str
    form_number: str
    issued_at: str
    due_date: str
    center_name: str
    request_ref: str | None
    issued_by: str
    assignee: Party
    asset: AssetLine
    note: str | None
    qr_payload: str
    created_at: str
    signature_assignee_png: bytes | None = None
    signature_staff_png: bytes | None = None


@dataclass(frozen=True)
class BatchLine:
    form_number: str
    assignee: Party
    asset: AssetLine
    due_date: str


@dataclass(frozen=True)
class BatchHandoverForm:
    org_name: str
    batch_number: str
    issued_at: str
    issued_by: str
    note: str | None
    lines: list[BatchLine]
    qr_payload: str
    created_at: str


@dataclass(frozen=True)
class ReturnForm:
    org_name: str
    form_number: str
    returned_at: str
    received_by: str
    issued_at: str
    due_date: str
    center_name: str
    assignee: Party
    asset: AssetLine
    accessories_handed_over: list[str]
    accessories_returned: list[str]
    condition: str
    damage_notes: str | None
    data_wiped: bool
    wipe_release: str | None
    days_overdue: int
    qr_payload: str
    created_at: str
    signature_assignee_png: bytes | None = None
    signature_staff_png: bytes | None = None


TERMS = [
    ("장비는 업무 목적으로만 사용하며 안전하게 보관합니다.", "Use the device for work only and keep it secure."),
    ("장비와 계정을 다른 사람과 공유하지 않습니다.", "Do not share the device or your account with anyone."),
    ("분실·도난 시 24시간 이내에 정보통신과에 신고합니다.", "Report a loss or theft to IT within 24 hours."),
    ("반납 요청을 받거나 퇴직·휴직 시 즉시 반납합니다.", "Return it when asked, and when you leave or go on leave."),
]
INK = colors.HexColor("#1f2937")
GREY = colors.HexColor("#6b7280")
LINE = colors.HexColor("#9ca3af")
SHADE = colors.HexColor("#f3f4f6")
ALERT = colors.HexColor("#b91c1c")
MAX_NOTE = 240


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=9, leading=12, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=GREY),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=20, leading=24),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=14, textColor=GREY),
        "section": ParagraphStyle(
            "section", parent=base, fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3
        ),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, fontSize=8.5, leading=10.5),
        "alert": ParagraphStyle("alert", parent=base, fontName=BOLD, textColor=ALERT),
    }


def _p(text: str | None, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "-").replace("\n", "<br/>"), style)


def _label(korean: str, english: str, styles) -> Paragraph:
    return Paragraph(f"{escape(korean)}<br/><font size=7 color='#6b7280'>{escape(english)}</font>", styles["label"])


def _grid(rows: list[tuple[str, str, object]], styles, widths=(32 * mm, None)) -> Table:
    """Label/value rows; a value may be text or a flowable. Long values wrap."""
    width = A4[0] - 36 * mm
    cells = [
        [_label(ko, en, styles), value if isinstance(value, Flowable) else _p(str(value), styles["base"])]
        for ko, en, value in rows
    ]
    table = Table(cells, colWidths=[widths[0], widths[1] or width - widths[0]])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _pairs(rows: list[tuple[str, str, str]], styles) -> Table:
    """Two label/value pairs per line, for short values."""
    width = A4[0] - 36 * mm
    cells = []
    for i in range(0, len(rows), 2):
        line = []
        for ko, en, value in rows[i : i + 2]:
            line += [_label(ko, en, styles), _p(value, styles["base"])]
        while len(line) < 4:
            line.append("")
        cells.append(line)
    label = 28 * mm
    table = Table(cells, colWidths=[label, width / 2 - label, label, width / 2 - label])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("BACKGROUND", (2, 0), (2, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


class CheckBox(Flowable):
    """A drawn check box (fonts lack ☐/☑ glyphs), ticked or not."""

    def __init__(self, checked: bool, size: float = 9):
        super().__init__()
        self.checked, self.size = checked, size
        self.width = self.height = size

    def draw(self):
        c, s = self.canv, self.size
        c.setStrokeColor(INK)
        c.setLineWidth(0.8)
        c.rect(0, 0, s, s)
        if self.checked:
            c.setLineWidth(1.4)
            c.line(s * 0.18, s * 0.5, s * 0.42, s * 0.2)
            c.line(s * 0.42, s * 0.2, s * 0.85, s * 0.85)


def _checklist(items: list[tuple[str, bool, str | None]], styles) -> Table:
    """Accessories as ticked or empty boxes, with an optional remark (e.g. missing)."""
    if not items:
        return _p("없음 None", styles["base"])
    cells = []
    for name, checked, remark in items:
        text = escape(name) + (f"  <font color='#b91c1c'><b>{escape(remark)}</b></font>" if remark else "")
        cells.append([CheckBox(checked), Paragraph(text, styles["base"])])
    table = Table(cells, colWidths=[6 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def qr_drawing(payload: str, size: float = 26 * mm) -> QrCode:
    """A QR code flowable drawn straight on the canvas (renderPDF would pull in Helvetica)."""
    return QrCode(payload, width=size, height=size, qrBorder=2)


def _signoff(styles) -> Table:
    """결재란: the Korean sign-off boxes."""
    head = [
        Paragraph("결<br/>재", styles["label"]),
        _p("담당", styles["label"]),
        _p("팀장", styles["label"]),
        _p("과장", styles["label"]),
    ]
    table = Table([head, ["", "", "", ""]], colWidths=[8 * mm, 17 * mm, 17 * mm, 17 * mm], rowHeights=[6 * mm, 14 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("GRID", (0, 0), (-1, -1), 0.6, INK),
                ("SPAN", (0, 0), (0, 1)),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (1, 0), (-1, 0), SHADE),
            ]
        )
    )
    return table


def _header(title_ko: str, title_en: str, org: str, number: str, date: str, qr_payload: str, styles) -> Table:
    left = [
        _p(org, styles["subtitle"]),
        Spacer(1, 2),
        _p(title_ko, styles["title"]),
        _p(title_en, styles["subtitle"]),
        Spacer(1, 4),
        Paragraph(f"<b>No.</b> {escape(number)} &nbsp;&nbsp; <b>일자 Date</b> {escape(date)}", styles["base"]),
    ]
    table = Table([[left, qr_drawing(qr_payload), _signoff(styles)]], colWidths=[None, 30 * mm, 62 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _signature_cell(korean: str, english: str, name: str, png: bytes | None, styles) -> list:
    content: list = [_label(korean, english, styles), Spacer(1, 2)]
    if png:
        image = Image(io.BytesIO(png))
        ratio = min(70 * mm / image.imageWidth, 18 * mm / image.imageHeight)
        image.drawWidth, image.drawHeight = image.imageWidth * ratio, image.imageHeight * ratio
        content.append(image)
    else:
        content.append(Spacer(1, 18 * mm))
    content.append(_p(f"성명 Name: {name}", styles["small"]))
    return content


def _signatures(assignee: str, staff: str, assignee_png, staff_png, styles) -> Table:
    width = (A4[0] - 36 * mm) / 2
    table = Table(
        [
            [
                _signature_cell("인수자 서명", "Assignee signature", assignee, assignee_png, styles),
                _signature_cell("담당자 서명", "IT staff signature", staff, staff_png, styles),
            ]
        ],
        colWidths=[width, width],
        rowHeights=[32 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("BOX", (0, 0), (0, 0), 0.6, INK),
                ("BOX", (1, 0), (1, 0), 0.6, INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _terms(styles) -> list:
    items = [Paragraph("사용 조건 <font size=8 color='#6b7280'>Terms of use</font>", styles["section"])]
    for i, (ko, en) in enumerate(TERMS, start=1):
        items.append(Paragraph(f"{i}. {escape(ko)} <font size=7.5 color='#6b7280'>{escape(en)}</font>", styles["base"]))
    return items


def fleet_canvas(*args, **kwargs) -> Canvas:
    """A canvas whose default font is embedded Nanum, so no other font enters the PDF."""
    kwargs.setdefault("initialFontName", REGULAR)
    kwargs.setdefault("invariant", 1)
    return Canvas(*args, **kwargs)


def _build(story: list, title: str, author: str, created_at: str) -> bytes:
    ensure_fonts()
    buffer = io.BytesIO()

    def stamp(canvas, doc):
        canvas.setCreator("Fleet")
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(GREY)
        canvas.drawString(18 * mm, 10 * mm, f"{title} · Fleet")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{doc.page}")

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=author,
        subject=title,
        creator="Fleet",
        invariant=1,
        initialFontName=REGULAR,
    )
    doc.build(story, onFirstPage=stamp, onLaterPages=stamp, canvasmaker=fleet_canvas)
    return buffer.getvalue()


def _asset_rows(asset: AssetLine, condition_label: str | None) -> list[tuple[str, str, str]]:
    rows = [
        ("자산번호", "Asset tag", asset.asset_tag),
        ("분류", "Category", asset.category),
        ("제조사·모델", "Make & model", f"{asset.manufacturer} {asset.model}".strip() or "-"),
        ("일련번호", "Serial number", asset.serial_number or "-"),
    ]
    if condition_label is not None:
        rows.append(("상태", "Condition", condition_label))
    return rows


def _person_rows(person: Party) -> list[tuple[str, str, str]]:
    return [
        ("성명", "Name", f"{person.name} ({person.uid})"),
        ("사번", "Employee no.", person.employee_number or "-"),
        ("부서", "Department", person.department or "-"),
        ("이메일", "E-mail", person.email or "-"),
    ]


def _clip(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_NOTE else text[:MAX_NOTE] + "…"


def render_handover(form: HandoverForm) -> bytes:
    """장비 인수증 / Equipment Handover Form."""
    ensure_fonts()
    s = _styles()
    story = [
        _header(
            "장비 인수증",
            "Equipment Handover Form",
            form.org_name,
            form.form_number,
            form.issued_at,
            form.qr_payload,
            s,
        ),
        Paragraph("자산 <font size=8 color='#6b7280'>Asset</font>", s["section"]),
        _pairs(_asset_rows(form.asset, form.asset.condition or "-"), s),
        Paragraph("구성품 <font size=8 color='#6b7280'>Accessories handed over</font>", s["section"]),
        _checklist([(a, True, None) for a in form.asset.accessories], s),
        Paragraph("인수자 <font size=8 color='#6b7280'>Assignee (as the staff directory gave it)</font>", s["section"]),
        _grid(_person_rows(form.assignee), s),
        Paragraph("대여 정보 <font size=8 color='#6b7280'>Loan</font>", s["section"]),
        _pairs(
            [
                ("센터", "Center", form.center_name),
                ("인수일시", "Handed over", form.issued_at),
                ("반납 예정일", "Due date", form.due_date),
                ("신청 번호", "Request", form.request_ref or "-"),
                ("처리자", "Issued by", form.issued_by),
            ],
            s,
        ),
        _grid([("메모", "Note", _clip(form.note) or "-")], s, widths=(28 * mm, None)),
        *_terms(s),
        Spacer(1, 6),
        Paragraph(
            "위 장비를 이상 없이 인수하였으며 사용 조건을 준수할 것을 확인합니다. "
            "<font size=7.5 color='#6b7280'>I received the device above in the stated condition and "
            "accept the terms of use.</font>",
            s["base"],
        ),
        Spacer(1, 6),
        KeepTogether(
            _signatures(form.assignee.name, form.issued_by, form.signature_assignee_png, form.signature_staff_png, s)
        ),
    ]
    return _build(story, f"장비 인수증 {form.form_number}", form.org_name, form.created_at)


def render_return(form: ReturnForm) -> bytes:
    """장비 반납 확인서 / Equipment Return Form: what came back, what is missing, days late."""
    ensure_fonts()
    s = _styles()
    returned = set(form.accessories_returned)
    checklist = [(a, a in returned, None if a in returned else "누락 Missing") for a in form.accessories_handed_over]
    missing = [a for a in form.accessories_handed_over if a not in returned]
    condition = "양호 Good" if form.condition == "good" else "파손 Damaged"
    wipe = "완료 Done" if form.data_wiped else "미완료 Not done — 격리 보관 Quarantined"
    late = f"{form.days_overdue}일 {form.days_overdue} days late" if form.days_overdue else "없음 On time"
    story = [
        _header(
            "장비 반납 확인서",
            "Equipment Return Form",
            form.org_name,
            form.form_number,
            form.returned_at,
            form.qr_payload,
            s,
        ),
        Paragraph("자산 <font size=8 color='#6b7280'>Asset</font>", s["section"]),
        _pairs(_asset_rows(form.asset, None), s),
        Paragraph("반납자 <font size=8 color='#6b7280'>Returned by</font>", s["section"]),
        _grid(_person_rows(form.assignee), s),
        Paragraph("반납 정보 <font size=8 color='#6b7280'>Return</font>", s["section"]),
        _pairs(
            [
                ("센터", "Center", form.center_name),
                ("인수일시", "Handed over", form.issued_at),
                ("반납 예정일", "Due date", form.due_date),
                ("반납일시", "Returned", form.returned_at),
                ("접수자", "Received by", form.received_by),
                ("연체", "Overdue", late),
                ("상태", "Condition", condition),
                ("데이터 삭제", "Data wiped", wipe),
            ],
            s,
        ),
        Paragraph(
            "구성품 <font size=8 color='#6b7280'>Accessories returned against those handed over</font>", s["section"]
        ),
        _checklist(checklist, s),
    ]
    if missing:
        story.append(Paragraph(f"누락 구성품 Missing: {escape(', '.join(missing))}", s["alert"]))
    rows = [("파손 내용", "Damage notes", _clip(form.damage_notes) or "-")]
    if form.wipe_release:
        rows.append(("삭제 확인", "Wipe release", form.wipe_release))
    story += [
        Spacer(1, 4),
        _grid(rows, s),
        Spacer(1, 8),
        Paragraph(
            "위 장비의 반납을 확인합니다. <font size=7.5 color='#6b7280'>The return of the device above "
            "is confirmed.</font>",
            s["base"],
        ),
        Spacer(1, 6),
        KeepTogether(
            _signatures(form.assignee.name, form.received_by, form.signature_assignee_png, form.signature_staff_png, s)
        ),
    ]
    return _build(story, f"장비 반납 확인서 {form.form_number}", form.org_name, form.created_at)


def render_batch_handover(form: BatchHandoverForm) -> bytes:
    """장비 일괄 인수증 / Batch Handover Form: every device and person of an emergency hand-over."""
    ensure_fonts()
    s = _styles()
    head = [
        _label("대여번호", "Loan", s),
        _label("자산", "Asset", s),
        _label("인수자", "Assignee", s),
        _label("부서", "Department", s),
        _label("반납 예정", "Due", s),
        _label("서명", "Signature", s),
    ]
    rows = [head]
    for line in form.lines:
        rows.append(
            [
                _p(line.form_number, s["small"]),
                _p(
                    f"{line.asset.asset_tag}\n{line.asset.manufacturer} {line.asset.model}\n"
                    f"S/N {line.asset.serial_number}",
                    s["small"],
                ),
                _p(f"{line.assignee.name} ({line.assignee.uid})\n{line.assignee.employee_number}", s["small"]),
                _p(line.assignee.department, s["small"]),
                _p(line.due_date, s["small"]),
                "",
            ]
        )
    width = A4[0] - 36 * mm
    table = Table(rows, colWidths=[width * w for w in (0.17, 0.24, 0.18, 0.19, 0.1, 0.12)], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story = [
        _header(
            "장비 일괄 인수증",
            "Batch Handover Form",
            form.org_name,
            form.batch_number,
            form.issued_at,
            form.qr_payload,
            s,
        ),
        Spacer(1, 4),
        _pairs(
            [
                ("처리자", "Issued by", form.issued_by),
                ("대수", "Devices", str(len(form.lines))),
                ("메모", "Note", _clip(form.note) or "-"),
            ],
            s,
        ),
        Spacer(1, 6),
        table,
        *_terms(s),
        Spacer(1, 8),
        KeepTogether(_signatures("", form.issued_by, None, None, s)),
    ]
    return _build(story, f"장비 일괄 인수증 {form.batch_number}", form.org_name, form.created_at)
