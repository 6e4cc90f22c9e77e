"""Handover, return and batch handover forms: Korean first, English beside or beneath.

Plain dataclasses in, PDF bytes out. The handover and return forms are always one A4
page: every field has a cap on its lines (cut with …), long values wrap, and the note
(or the damage notes) gets the room that is left. The same dataclass always gives the
same bytes: `created_at` is the PDF's creation date and nothing reads the clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from reports._flow import Flow, Table, TableColumn
from reports._pdf import ALERT, ASCENT, GREY, Document, clean
from reports._sheet import (
    BOTTOM,
    GAP,
    LEFT,
    RIGHT,
    TOP,
    VALUE_LEADING,
    Block,
    CheckItem,
    CheckList,
    Field,
    Grid,
    Header,
    Lines,
    SectionTitle,
    Signatures,
    Signer,
    Space,
    Terms,
    footer,
    stack,
)


@dataclass(frozen=True)
class Party:
    """A person as the staff directory gave them at the time."""

    name: str
    employee_number: str
    department: str
    email: str
    uid: str


@dataclass(frozen=True)
class AssetLine:
    """A device on a form; `accessories` are those handed over with it."""

    asset_tag: str
    category: str
    manufacturer: str
    model: str
    serial_number: str
    accessories: list[str] = field(default_factory=list)
    condition: str | None = None


@dataclass(frozen=True)
class HandoverForm:
    """장비 인수증: one device handed to one person. Dates and times come formatted."""

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
    signature_assignee_typed: str | None = None  # a name typed instead of a drawn signature
    signature_staff_typed: str | None = None
    signed_line: str | None = None  # printed on every page when the PDF is to be signed


@dataclass(frozen=True)
class BatchLine:
    """One device and person of a batch hand-over."""

    form_number: str
    assignee: Party
    asset: AssetLine
    due_date: str


@dataclass(frozen=True)
class BatchHandoverForm:
    """장비 일괄 인수증: many devices handed over in one step (an emergency)."""

    org_name: str
    batch_number: str
    issued_at: str
    issued_by: str
    note: str | None
    lines: list[BatchLine]
    qr_payload: str
    created_at: str
    signed_line: str | None = None


@dataclass(frozen=True)
class ReturnForm:
    """장비 반납 확인서: what came back against what was handed over.

    `condition` is "good" or "damaged"; `days_overdue` 0 means on time.
    """

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
    signature_assignee_typed: str | None = None  # a name typed instead of a drawn signature
    signature_staff_typed: str | None = None
    signed_line: str | None = None  # printed on every page when the PDF is to be signed


TERMS = [
    ("장비는 업무 목적으로만 사용하며 안전하게 보관합니다.", "Use it for work only and keep it secure."),
    ("장비와 계정을 다른 사람과 공유하지 않습니다.", "Do not share the device or your account with anyone."),
    ("분실·도난 시 24시간 이내에 정보통신 담당 부서에 신고합니다.", "Report a loss or theft to IT within 24 hours."),
    ("반납 요청을 받거나 퇴직·휴직할 때 즉시 반납합니다.", "Return it when asked, and when you leave or go on leave."),
]
MAX_NOTE_LINES = 8
SIGNATURE_HEIGHT, SIGNATURE_GROWTH = 24 * mm, 14 * mm  # boxes grow into room the page has left


def _person(doc: Document, person: Party) -> Grid:
    return Grid(
        doc,
        [
            [Field("성명", "Name", person.name, bold=True), Field("사번", "Employee no.", person.employee_number)],
            [Field("부서", "Department", person.department, lines=3)],
            [Field("이메일", "E-mail", person.email), Field("사용자 ID", "User ID", person.uid)],
        ],
    )


def _asset(doc: Document, asset: AssetLine, with_condition: bool) -> Grid:
    rows = [
        [Field("자산번호", "Asset tag", asset.asset_tag, bold=True), Field("분류", "Category", asset.category)],
        [
            Field("제조사·모델", "Make & model", f"{clean(asset.manufacturer)} {clean(asset.model)}".strip()),
            Field("일련번호", "Serial number", asset.serial_number),
        ],
    ]
    if with_condition:
        rows.append([Field("상태", "Condition", asset.condition or "-")])
    return Grid(doc, rows)


def _fit(build: Callable[[int], list[Block]]) -> list[Block]:
    """The blocks with the elastic field given the lines the page has left (at least one,
    at most MAX_NOTE_LINES), then the signature boxes made taller with what is still left."""
    blocks = build(1)
    spare = (TOP - BOTTOM) - sum(b.height for b in blocks)
    lines = max(1, min(MAX_NOTE_LINES, 1 + int(spare // VALUE_LEADING)))
    if lines > 1:
        blocks = build(lines)
    spare = (TOP - BOTTOM) - sum(b.height for b in blocks)
    for block in blocks:
        if isinstance(block, Signatures):
            block.height = SIGNATURE_HEIGHT + min(max(spare, 0), SIGNATURE_GROWTH)
    return blocks


def _document(kind: str, number: str, org: str, created_at: str, signed_line: str | None) -> Document:
    return Document(A4, title=f"{kind} {number}", author=org, subject=f"{kind} {number} · {org}", created_at=created_at,
                    signed_line=signed_line)


def render_handover(form: HandoverForm) -> bytes:
    """장비 인수증 / Equipment Handover Form: one A4 page.

    Raises ValueError if a signature is not a readable image.
    """
    doc = _document("장비 인수증 Equipment Handover Form", form.form_number, form.org_name, form.created_at,
                    form.signed_line)
    header = Header(
        doc,
        org=form.org_name,
        korean="장비 인수증",
        english="Equipment Handover Form",
        number=("No.", form.form_number),
        date=("일자 Date", form.issued_at),
        qr_payload=form.qr_payload,
    )
    person = _person(doc, form.assignee)
    asset = _asset(doc, form.asset, with_condition=True)
    accessories = CheckList(doc, [CheckItem(name, True) for name in form.asset.accessories])
    terms = Terms(doc, TERMS)
    declaration = Lines(
        doc,
        "위 장비를 인수하였으며 사용 조건을 지킬 것을 확인합니다.",
        "I have received the equipment above in the condition stated and accept the terms of use.",
    )
    signatures = Signatures(
        [
            Signer("인수자 서명", "Assignee signature", form.assignee.name, form.signature_assignee_png,
                   form.signature_assignee_typed),
            Signer("담당자 서명", "IT staff signature", form.issued_by, form.signature_staff_png,
                   form.signature_staff_typed),
        ]
    )

    def build(note_lines: int) -> list[Block]:
        loan = Grid(
            doc,
            [
                [Field("센터", "Center", form.center_name)],
                [
                    Field("인수 일시", "Handed over", form.issued_at),
                    Field("반납 예정일", "Due date", form.due_date, bold=True),
                ],
                [Field("신청 번호", "Request", form.request_ref or "-"), Field("처리자", "Issued by", form.issued_by)],
                [Field("메모", "Note", form.note or "-", lines=note_lines)],
            ],
        )
        return [
            header,
            Space(GAP),
            SectionTitle("인수자", "Assignee, as the staff directory gave it"),
            person,
            Space(GAP),
            SectionTitle("장비", "Equipment"),
            asset,
            Space(GAP),
            SectionTitle("구성품", "Accessories handed over"),
            accessories,
            Space(GAP),
            SectionTitle("대여 정보", "Loan"),
            loan,
            Space(GAP),
            SectionTitle("사용 조건", "Terms of use"),
            terms,
            Space(GAP),
            declaration,
            Space(GAP + 2),
            signatures,
        ]

    stack(doc, _fit(build))
    footer(doc, f"장비 인수증 Equipment Handover Form · {clean(form.form_number)} · {clean(form.org_name)}")
    return doc.finish()


def _key(name: str) -> str:
    return " ".join(clean(name).split()).casefold()


def accessory_check(handed_over: list[str], returned: list[str]) -> tuple[list[CheckItem], list[str]]:
    """Each accessory handed over, ticked if it came back (names compared ignoring case and
    spacing, duplicates counted), marked 누락 Missing if not; then any extra that came back.
    Answers the check list and the names of the missing ones."""
    back = Counter(_key(name) for name in returned)
    items, missing = [], []
    for name in handed_over:
        key = _key(name)
        if back[key] > 0:
            back[key] -= 1
            items.append(CheckItem(name, True))
        else:
            items.append(CheckItem(name, False, "누락 Missing"))
            missing.append(clean(name))
    for name in returned:
        key = _key(name)
        if back[key] > 0:
            back[key] -= 1
            items.append(CheckItem(name, True, "추가 Extra", GREY))
    return items, missing


def render_return(form: ReturnForm) -> bytes:
    """장비 반납 확인서 / Equipment Return Form: one A4 page; missing accessories in bold red.

    Raises ValueError if a signature is not a readable image.
    """
    doc = _document("장비 반납 확인서 Equipment Return Form", form.form_number, form.org_name, form.created_at,
                    form.signed_line)
    header = Header(
        doc,
        org=form.org_name,
        korean="장비 반납 확인서",
        english="Equipment Return Form",
        number=("No.", form.form_number),
        date=("일자 Date", form.returned_at),
        qr_payload=form.qr_payload,
    )
    late = int(form.days_overdue or 0)
    overdue = (
        Field("연체", "Overdue", f"{late}일 지남 · {late} days late", bold=True, color=ALERT)
        if late > 0
        else Field("연체", "Overdue", "없음 · On time")
    )
    if form.condition == "good":
        condition = Field("상태", "Condition", "양호 · Good")
    elif form.condition == "damaged":
        condition = Field("상태", "Condition", "파손 · Damaged", bold=True, color=ALERT)
    else:
        condition = Field("상태", "Condition", form.condition or "-")
    wiped = (
        Field("데이터 삭제", "Data wiped", "완료 · Done")
        if form.data_wiped
        else Field("데이터 삭제", "Data wiped", "미완료 · Not done", bold=True, color=ALERT)
    )
    facts = Grid(
        doc,
        [
            [Field("센터", "Center", form.center_name)],
            [Field("인수 일시", "Handed over", form.issued_at), Field("반납 예정일", "Due date", form.due_date)],
            [Field("반납 일시", "Returned", form.returned_at), Field("접수자", "Received by", form.received_by)],
            [overdue, condition],
            [wiped, Field("삭제 확인", "Wipe release", form.wipe_release or "-")],
        ],
    )
    items, missing = accessory_check(form.accessories_handed_over, form.accessories_returned)
    accessories: list[Block] = [CheckList(doc, items)]
    if missing:
        accessories += [
            Space(3),
            Lines(doc, f"누락 구성품 Missing: {', '.join(missing)}", size=9, bold=True, color=ALERT, max_lines=2),
        ]
    declaration = Lines(doc, "위 장비의 반납을 확인합니다.", "The return of the equipment above is confirmed.")
    signatures = Signatures(
        [
            Signer("반납자 서명", "Returned by (signature)", form.assignee.name, form.signature_assignee_png,
                   form.signature_assignee_typed),
            Signer("접수자 서명", "Received by (signature)", form.received_by, form.signature_staff_png,
                   form.signature_staff_typed),
        ]
    )

    def build(note_lines: int) -> list[Block]:
        damage = Grid(doc, [[Field("파손 내용", "Damage notes", form.damage_notes or "-", lines=note_lines)]])
        return [
            header,
            Space(GAP),
            SectionTitle("반납자", "Returned by"),
            _person(doc, form.assignee),
            Space(GAP),
            SectionTitle("장비", "Equipment"),
            _asset(doc, form.asset, with_condition=False),
            Space(GAP),
            SectionTitle("반납 정보", "Return"),
            facts,
            Space(GAP),
            SectionTitle("구성품", "Accessories returned against those handed over"),
            *accessories,
            Space(GAP),
            damage,
            Space(GAP),
            declaration,
            Space(GAP + 2),
            signatures,
        ]

    stack(doc, _fit(build))
    footer(doc, f"장비 반납 확인서 Equipment Return Form · {clean(form.form_number)} · {clean(form.org_name)}")
    return doc.finish()


BATCH_COLUMNS = [
    ("#", 0.4, 1),
    ("대여번호 Loan no.", 1.35, 2),
    ("장비 Equipment", 2.2, 4),
    ("인수자 Assignee", 1.5, 3),
    ("부서 Department", 1.6, 4),
    ("반납 예정 Due", 1.0, 2),
    ("서명 Signature", 1.35, 1),
]


def render_batch_handover(form: BatchHandoverForm) -> bytes:
    """장비 일괄 인수증 / Batch Handover Form: every device and person in a table (running
    over as many pages as needed, "Page x / y" on each) with a signature cell per line,
    then the terms and the IT staff's signature."""
    title = "장비 일괄 인수증 Batch Handover Form"
    doc = _document(title, form.batch_number, form.org_name, form.created_at, form.signed_line)
    header = Header(
        doc,
        org=form.org_name,
        korean="장비 일괄 인수증",
        english="Batch Handover Form",
        number=("No.", form.batch_number),
        date=("일자 Date", form.issued_at),
        qr_payload=form.qr_payload,
    )
    count = len(form.lines)
    facts = Grid(
        doc,
        [
            [Field("처리자", "Issued by", form.issued_by), Field("대수", "Devices", f"{count}대 · {count} devices")],
            [Field("메모", "Note", form.note or "-", lines=3)],
        ],
    )

    def running_header(flow: Flow) -> None:
        baseline = flow.y - ASCENT * 9
        doc.text(
            LEFT, baseline, doc.fit(f"{title} · {clean(form.batch_number)}", flow.width * 0.7, 9, True), 9, bold=True
        )
        doc.text(RIGHT, baseline, doc.fit(clean(form.org_name), flow.width * 0.28, 7), 7, color=GREY, align="right")
        flow.y -= 16

    def page_footer(flow: Flow) -> None:
        footer(doc, f"{title} · {clean(form.batch_number)} · {clean(form.org_name)}", right="")
        doc.page_number(RIGHT - 22 * mm, 9 * mm, 6.5)

    flow = Flow(
        doc, left=LEFT, right=RIGHT, top=TOP, bottom=BOTTOM + 4, on_page_start=running_header, on_page_end=page_footer
    )
    flow.y = stack(doc, [header, Space(GAP), facts, Space(GAP), SectionTitle("인수 목록", "Devices and assignees")])
    total = sum(weight for _, weight, _ in BATCH_COLUMNS)
    table = Table(
        flow,
        [TableColumn(label, flow.width * w / total, lines) for label, w, lines in BATCH_COLUMNS],
        size=7.5,
        leading=9.4,
        min_height=30,
        grid=True,
    )
    table.start()
    for number, line in enumerate(form.lines, start=1):
        a, p = line.asset, line.assignee
        equipment = f"{clean(a.asset_tag)}\n{clean(a.manufacturer)} {clean(a.model)}\nS/N {clean(a.serial_number)}"
        if a.accessories:
            equipment += "\n+ " + ", ".join(clean(x) for x in a.accessories)
        person = f"{clean(p.name)}\n{clean(p.uid)} · {clean(p.employee_number)}"
        table.add([str(number), line.form_number, equipment, person, p.department, line.due_date, ""])
    if not form.lines:
        table.message("(없음 None)")
    table.finish()
    closing = [
        Space(GAP),
        SectionTitle("사용 조건", "Terms of use"),
        Terms(doc, TERMS),
        Space(GAP),
        Lines(
            doc,
            "위 목록의 인수자는 각자의 장비를 인수하였으며 사용 조건을 지킬 것을 확인합니다.",
            "Each assignee listed above has received the equipment on their line and accepts the terms of use.",
        ),
        Space(GAP + 2),
        Signatures(
            [
                Signer("담당자 서명", "IT staff signature", form.issued_by),
                Signer("확인자 서명", "Confirmed by (signature)", ""),
            ]
        ),
    ]
    flow.ensure(sum(block.height for block in closing))
    flow.y = stack(doc, closing, flow.y)
    flow.close()
    return doc.finish()
