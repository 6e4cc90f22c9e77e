"""The baseline for form rendering: one bare reportlab page drawing the same strings, fonts and QR code."""

from __future__ import annotations

import io
import time

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

import reports
from reports.fonts import BOLD, REGULAR, ensure_fonts


def sample_form() -> reports.HandoverForm:
    person = reports.Party("이지은", "E3001", "스마트워크센터운영및디지털민원서비스혁신추진단", "emp1@example.kr",
                           "emp1")
    asset = reports.AssetLine("YS-NB-001", "노트북 Laptop", "LG", "gram 16", "LG26000001", ["charger", "bag", "mouse"],
                              "새 제품")
    return reports.HandoverForm("대전광역시 유성구청", "L-2026-000042", "2026-11-23 14:05 KST", "2027-02-21",
                                "진잠도서관 스마트워크센터", "R-000007", "김민수", person, asset, "재택근무",
                                "fleet:loan:L-2026-000042", "2026-11-23T05:05:00+00:00")


def _strings(form: reports.HandoverForm) -> list[str]:
    a, p = form.asset, form.assignee
    labels = ["장비 인수증", "Equipment Handover Form", "자산번호", "Asset tag", "분류", "Category", "제조사·모델",
              "Make & model", "일련번호", "Serial number", "상태", "Condition", "성명", "Name", "사번", "Employee no.",
              "부서", "Department", "이메일", "E-mail", "센터", "Center", "인수일시", "Handed over", "반납 예정일",
              "Due date", "신청 번호", "Request", "처리자", "Issued by", "메모", "Note", "사용 조건", "Terms of use",
              "인수자 서명", "Assignee signature", "담당자 서명", "IT staff signature", "담당", "팀장", "과장"]
    values = [form.org_name, form.form_number, form.issued_at, a.asset_tag, a.category, f"{a.manufacturer} {a.model}",
              a.serial_number, a.condition or "", p.name, p.employee_number, p.department, p.email, form.center_name,
              form.due_date, form.request_ref or "", form.issued_by, form.note or "", *a.accessories]
    terms = [ko + " " + en for ko, en in reports.forms.TERMS]
    return labels + values + terms


def bare_page(form: reports.HandoverForm) -> bytes:
    ensure_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=1, initialFontName=REGULAR)
    y = 800
    for i, line in enumerate(_strings(form)):
        c.setFont(BOLD if i % 2 else REGULAR, 9)
        c.drawString(40 + (i % 2) * 250, y, line)
        y -= 8 if i % 2 else 0
    QrCode(form.qr_payload, width=74, height=74, qrBorder=2).drawOn(c, 480, 740)
    c.showPage()
    c.save()
    return buffer.getvalue()


def time_qr(form: reports.HandoverForm, repeats: int = 20) -> float:
    """ms for a page holding only the QR code."""
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        buffer = io.BytesIO()
        c = Canvas(buffer, pagesize=A4, invariant=1)
        QrCode(form.qr_payload, width=74, height=74, qrBorder=2).drawOn(c, 480, 740)
        c.save()
        samples.append(time.perf_counter() - t0)
    return sorted(samples)[len(samples) // 2] * 1000
