"""The theft or loss report: a short A4 page for the police report and the property ledger, as reported.

Plain dataclass in, PDF bytes out; the same dataclass gives the same bytes (`created_at` is the creation date).
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4

from reports._pdf import ALERT, Document, clean
from reports._sheet import (
    GAP,
    Field,
    Grid,
    Header,
    Lines,
    SectionTitle,
    Signatures,
    Signer,
    Space,
    footer,
    stack,
)

KINDS = {"stolen": "도난 Theft", "lost": "분실 Loss", "damaged": "파손 Damage"}


@dataclass(frozen=True)
class TheftReport:
    """장비 도난·분실 신고서: what the assignee reported, with the asset as the property ledger knows it.
    Dates and times come formatted."""

    org_name: str
    report_number: str
    kind: str
    asset_tag: str
    category: str
    manufacturer: str
    model: str
    serial_number: str
    purchase_date: str
    home_center: str
    loan_number: str
    assignee_name: str
    assignee_employee_number: str
    assignee_department: str
    happened_at: str
    place: str
    description: str
    reported_at: str
    reported_within_24h: bool
    issued_at: str
    issued_by: str
    qr_payload: str
    created_at: str
    signed_line: str | None = None


def render_theft_report(report: TheftReport) -> bytes:
    """장비 도난·분실 신고서 / Theft or Loss Report: one A4 page."""
    title = "장비 도난·분실 신고서 Theft or Loss Report"
    doc = Document(A4, title=f"{title} {report.report_number}", author=report.org_name,
                   subject=f"{title} {report.report_number} · {report.org_name}", created_at=report.created_at,
                   signed_line=report.signed_line)
    header = Header(doc, org=report.org_name, korean="장비 도난·분실 신고서", english="Theft or Loss Report",
                    number=("No.", report.report_number), date=("발급 Issued", report.issued_at),
                    qr_payload=report.qr_payload)
    within = (Field("24시간 이내 신고", "Reported within 24 hours", "예 · Yes") if report.reported_within_24h else
              Field("24시간 이내 신고", "Reported within 24 hours", "아니요 · No", bold=True, color=ALERT))
    blocks = [
        header,
        Space(GAP),
        SectionTitle("소유 기관", "Owner"),
        Grid(doc, [[Field("기관", "Organisation", report.org_name, bold=True),
                    Field("관리 센터", "Home center", report.home_center)]]),
        Space(GAP),
        SectionTitle("장비", "Property"),
        Grid(doc, [
            [Field("자산번호", "Asset tag", report.asset_tag, bold=True), Field("분류", "Category", report.category)],
            [Field("제조사·모델", "Make & model", f"{clean(report.manufacturer)} {clean(report.model)}".strip()),
             Field("일련번호", "Serial number", report.serial_number, bold=True)],
            [Field("취득일", "Purchased", report.purchase_date or "-"), Field("대여번호", "Loan", report.loan_number)],
        ]),
        Space(GAP),
        SectionTitle("신고 내용", "As reported by the assignee"),
        Grid(doc, [
            [Field("구분", "Kind", KINDS.get(report.kind, report.kind), bold=True),
             Field("신고자", "Reported by", report.assignee_name)],
            [Field("사번", "Employee no.", report.assignee_employee_number),
             Field("부서", "Department", report.assignee_department)],
            [Field("발생 일시", "When", report.happened_at), Field("신고 일시", "Reported", report.reported_at)],
            [within],
            [Field("발생 장소", "Where", report.place, lines=2)],
            [Field("경위", "What happened", report.description, lines=8)],
        ]),
        Space(GAP),
        Lines(doc, "위 내용은 사용자가 신고한 그대로이며, 자산 정보는 기관의 재산 대장과 같습니다.",
              "The report is as the assignee made it; the property data are those of the organisation's ledger."),
        Space(GAP + 2),
        Signatures([Signer("신고자 서명", "Assignee signature", report.assignee_name),
                    Signer("발급자 서명", "Issued by (signature)", report.issued_by)]),
    ]
    stack(doc, blocks)
    footer(doc, f"{title} · {clean(report.report_number)} · {clean(report.org_name)}")
    return doc.finish()
