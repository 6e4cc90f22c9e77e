"""The forms, rendered from hand-built dataclasses and read back."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest

import reports
from tests.support import pdf

LONG_DEPARTMENT = "스마트워크센터운영및디지털민원서비스혁신추진단"
PERSON = reports.Party("이지은", "E3001", LONG_DEPARTMENT, "emp1@example.kr", "emp1")
ASSET = reports.AssetLine(
    "YS-NB-001", "노트북 Laptop", "LG", "gram 16", "LG26000001", ["charger", "bag", "mouse"], "새 제품"
)


def handover(**overrides) -> reports.HandoverForm:
    values = dict(
        org_name="대전광역시 유성구청",
        form_number="L-2026-000042",
        issued_at="2026-11-23 14:05 KST",
        due_date="2027-02-21",
        center_name="진잠도서관 스마트워크센터",
        request_ref="R-000007",
        issued_by="김민수",
        assignee=PERSON,
        asset=ASSET,
        note="재택근무",
        qr_payload="fleet:loan:L-2026-000042",
        created_at="2026-11-23T05:05:00+00:00",
    )
    return reports.HandoverForm(**{**values, **overrides})


def return_form(**overrides) -> reports.ReturnForm:
    values = dict(
        org_name="대전광역시 유성구청",
        form_number="L-2026-000042",
        returned_at="2026-11-30 10:00 KST",
        received_by="김민수",
        issued_at="2026-11-23 14:05 KST",
        due_date="2026-11-27",
        center_name="진잠도서관 스마트워크센터",
        assignee=PERSON,
        asset=ASSET,
        accessories_handed_over=["charger", "bag", "mouse"],
        accessories_returned=["charger", "mouse"],
        condition="damaged",
        damage_notes="화면 모서리 깨짐",
        data_wiped=False,
        wipe_release=None,
        days_overdue=3,
        qr_payload="fleet:return:L-2026-000042",
        created_at="2026-11-30T01:00:00+00:00",
    )
    return reports.ReturnForm(**{**values, **overrides})


def png(width=120, height=40) -> bytes:
    """A small black-stroke PNG, made by hand."""
    raw = b"".join(b"\x00" + bytes(0 if (x + y) % 7 == 0 else 255 for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_handover_form_reads_back():
    document = reports.render_handover(handover())
    flat = pdf.flat_text(document)
    for expected in [
        "장비인수증",
        "EquipmentHandoverForm",
        "이지은",
        "E3001",
        "YS-NB-001",
        "LG26000001",
        "L-2026-000042",
        LONG_DEPARTMENT,
        "진잠도서관스마트워크센터",
        "2027-02-21",
        "24시간",
        "charger",
        "담당팀장과장",
        "대전광역시유성구청",
    ]:
        assert expected in flat, expected
    assert pdf.page_count(document) == 1
    assert all(embedded for _, embedded in pdf.fonts(document)) and pdf.fonts(document)
    assert pdf.qr_codes(document) == ["fleet:loan:L-2026-000042"]


def test_same_form_same_bytes():
    assert reports.render_handover(handover()) == reports.render_handover(handover())
    assert reports.render_handover(handover()) != reports.render_handover(handover(due_date="2027-02-22"))


def test_signatures_are_placed_in_the_form():
    assert pdf.image_count(reports.render_handover(handover())) == 0
    signed = reports.render_handover(handover(signature_assignee_png=png(), signature_staff_png=png(100, 30)))
    assert pdf.image_count(signed) == 2 and pdf.page_count(signed) == 1


def test_a_long_note_still_fits_one_page():
    assert pdf.page_count(reports.render_handover(handover(note="매우 긴 메모 " * 300))) == 1


def test_return_form_marks_what_is_missing():
    document = reports.render_return(return_form())
    flat = pdf.flat_text(document)
    for expected in [
        "장비반납확인서",
        "EquipmentReturnForm",
        "이지은",
        "누락",
        "Missing:bag",
        "파손",
        "화면모서리깨짐",
        "3일",
        "미완료",
    ]:
        assert expected in flat, expected
    assert pdf.page_count(document) == 1 and all(e for _, e in pdf.fonts(document))
    released = pdf.flat_text(
        reports.render_return(return_form(data_wiped=True, wipe_release="2026-12-01 · 보안삭제 · 김민수"))
    )
    assert "보안삭제" in released and "Missing:bag" in released


def test_batch_form_lists_everyone_over_pages():
    lines = [reports.BatchLine(f"L-2026-{i:06d}", PERSON, ASSET, "2027-01-01") for i in range(1, 41)]
    form = reports.BatchHandoverForm(
        "유성구청",
        "B-2026-000001",
        "2026-11-23 14:05 KST",
        "김민수",
        "긴급 재택",
        lines,
        "fleet:batch:B-2026-000001",
        "2026-11-23",
    )
    document = reports.render_batch_handover(form)
    flat = pdf.flat_text(document)
    assert "장비일괄인수증" in flat and all(f"L-2026-{i:06d}" in flat for i in range(1, 41))
    assert pdf.page_count(document) > 1


@pytest.mark.parametrize("rows,pages", [(10, 1), (2000, None)])
def test_table_report_pages(rows, pages):
    columns = [reports.Column("tag", "자산번호 Asset tag"), reports.Column("name", "성명 Name")]
    report = reports.TableReport(
        "자산 현황 Inventory",
        "유성구청",
        [("기준일 As of", "2026-11-23")],
        "2026-11-23 14:00 KST",
        "김민수 (kimit)",
        "f" * 64,
        columns,
        lambda: ((f"T-{i:05d}", "이지은") for i in range(rows)),
        summary=[("재고", rows)],
    )
    document = reports.render_table_report(report)
    count = pdf.page_count(document)
    assert pages is None or count == pages
    body = pdf.text(document)
    assert re.search(rf"\b1\s*/\s*{count}\b", body) and re.search(rf"\b{count}\s*/\s*{count}\b", body)
    assert all(f"T-{i:05d}" in body for i in range(rows))
    assert "f" * 64 in body and "김민수" in body and all(e for _, e in pdf.fonts(document))


def test_csv_has_a_bom_and_guards_formulas():
    data = reports.render_csv(
        [reports.Column("a", "성명 Name"), reports.Column("b", "메모")],
        [("이지은", '=HYPERLINK("x")'), ("최준호", "+1"), ("a,b", "-2")],
    )
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "성명 Name,메모" and "'=HYPERLINK" in text and "'+1" in text and '"a,b"' in text
    assert "\r\n" in text


def test_labels_decode():
    labels = [
        reports.Label(f"YS-NB-{i:03d}", "LG gram 16 · 진잠도서관", f"fleet:asset:YS-NB-{i:03d}") for i in range(26)
    ]
    document = reports.render_labels(labels, "유성구청", "2026-11-23")
    assert pdf.page_count(document) == 2
    assert set(pdf.qr_codes(document)) == {f"fleet:asset:YS-NB-{i:03d}" for i in range(24)}
    assert "YS-NB-025" in pdf.text(document)


def test_reports_imports_nothing_from_fleet():
    import subprocess
    import sys

    code = "import sys, reports; print(any(m == 'fleet' or m.startswith('fleet.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_png_helper_is_a_png():
    assert io.BytesIO(png()).read(8) == b"\x89PNG\r\n\x1a\n"
