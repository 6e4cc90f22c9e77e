"""The theft or loss report from a hand-built dataclass: one A4 page, Korean and English, fonts embedded, the
same bytes every time."""

from __future__ import annotations

from dataclasses import replace

import reports
from tests.support.pdf import flat_text, fonts, page_count

REPORT = reports.TheftReport(
    org_name="대전광역시 유성구청", report_number="I-2026-000007", kind="stolen", asset_tag="YS-NB-001",
    category="노트북 Laptop", manufacturer="LG", model="gram 16", serial_number="LG26000001",
    purchase_date="2026-03-02", home_center="진잠도서관 스마트워크센터", loan_number="L-2026-000042",
    assignee_name="이지은", assignee_employee_number="E3001", assignee_department="민원여권과",
    happened_at="2026-12-04 18:40 KST", place="대전 유성구 봉명동 카페 앞",
    description="가방째 도난당함. 112 신고 접수.",
    reported_at="2026-12-05 09:10 KST", reported_within_24h=True, issued_at="2026-12-05 10:00 KST",
    issued_by="김민수 (it1)", qr_payload="fleet:incident:I-2026-000007", created_at="2026-12-05T01:00:00+00:00",
)


def test_the_report_says_what_the_police_and_the_ledger_need():
    pdf = reports.render_theft_report(REPORT)
    assert page_count(pdf) == 1
    flat = flat_text(pdf)
    for fact in ("장비도난·분실신고서", "TheftorLossReport", "I-2026-000007", "YS-NB-001", "LG26000001",
                 "대전광역시유성구청", "도난Theft", "대전유성구봉명동카페앞", "2026-12-0418:40KST", "예·Yes"):
        assert fact in flat, fact
    assert all(embedded for _, embedded in fonts(pdf))
    assert reports.render_theft_report(REPORT) == pdf


def test_a_late_report_says_so():
    flat = flat_text(reports.render_theft_report(replace(REPORT, reported_within_24h=False, kind="lost")))
    assert "아니요·No" in flat and "분실Loss" in flat
