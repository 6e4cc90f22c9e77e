"""Handover, return and batch forms rendered from hand-built dataclasses and read back."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from pypdf import PdfReader

import reports
from tests.reports.helpers import (
    ASSET,
    LONG_DEPARTMENT,
    PERSON,
    batch,
    flat,
    fonts,
    handover,
    images,
    overlaps,
    page_count,
    qr_codes,
    return_form,
    signature_png,
    text,
    words,
)


def assert_tidy_single_page(pdf: bytes) -> None:
    """One A4 page, every font embedded Nanum TrueType, no word on another, nothing off the page."""
    assert page_count(pdf) == 1
    found = fonts(pdf)
    assert found and all(embedded and kind == "TrueType" and "Nanum" in name for name, kind, embedded in found), found
    placed, width, height = words(pdf)
    assert (round(width), round(height)) == (595, 842)
    assert not overlaps(placed)
    margin = 12 * 72 / 25.4  # every word stays at least 12 mm inside the page edges
    assert all(margin < w.x0 and w.x1 < width - margin and margin < w.top and w.bottom < height - 20 for w in placed)


def test_handover_form_reads_back():
    pdf = reports.render_handover(handover())
    found = flat(pdf)
    for expected in [
        "장비인수증",
        "EquipmentHandoverForm",
        "대전광역시유성구청",
        "L-2026-000042",
        "이지은",
        "E3001",
        "".join(LONG_DEPARTMENT.split()),
        "emp1@example.kr",
        "YS-NB-001",
        "노트북Laptop",
        "LGgram16",
        "LG26000001",
        "새제품",
        "충전기charger",
        "진잠도서관스마트워크센터",
        "2026-11-2314:05KST",
        "2027-02-21",
        "R-000007",
        "김민수",
        "임신중재택근무지원",
        "24시간",
        "within24hours",
        "담당팀장과장",
        "인수자서명",
        "담당자서명",
    ]:
        assert expected in found, expected
    assert_tidy_single_page(pdf)
    assert qr_codes(pdf) == ["fleet:loan:L-2026-000042"]


def test_the_long_department_is_wrapped_over_lines_not_cut():
    pdf = reports.render_handover(handover())
    placed, _, _ = words(pdf)
    first, *_, last = LONG_DEPARTMENT.split()
    tops = {w.text: w.top for w in placed}
    assert tops[last] > tops[first] + 5  # the end of the name is on a line below its start
    assert "".join(LONG_DEPARTMENT.split()) in flat(pdf) and "…" not in flat(pdf)


def test_same_form_same_bytes_and_creation_date_from_the_caller():
    form = handover(signature_assignee_png=signature_png())
    first = reports.render_handover(form)
    assert reports.render_handover(form) == first
    assert reports.render_handover(replace(form, due_date="2027-02-22")) != first
    info = PdfReader(io.BytesIO(first)).metadata
    assert info["/CreationDate"] == "D:20261123050500+00'00'" and info["/Title"].startswith("장비 인수증")


def test_forms_rendered_at_once_in_threads_are_the_same_bytes():
    forms = [handover(form_number=f"L-2026-{i:06d}") for i in range(6)]
    serial = [reports.render_handover(f) for f in forms]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(reports.render_handover, forms)) == serial


def test_signatures_are_drawn_inside_their_boxes():
    assert images(reports.render_handover(handover())) == []
    signed = reports.render_handover(
        handover(signature_assignee_png=signature_png(), signature_staff_png=signature_png(120, 40))
    )
    kinds = [line.split()[2] for line in images(signed)]
    assert kinds.count("image") == 2  # each with its transparency as an soft mask
    assert_tidy_single_page(signed)


def test_a_signature_that_is_not_an_image_is_refused():
    with pytest.raises(ValueError, match="image"):
        reports.render_handover(handover(signature_staff_png=b"not a png"))


def test_the_worst_handover_still_fits_one_tidy_page():
    long = "아주 긴 값입니다 " * 40
    person = reports.Party(
        "남궁민수 (Namgung Minsu) " * 6,
        "E3" * 30,
        LONG_DEPARTMENT * 6,
        "a.very.long.address@" + "sub." * 25 + "kr",
        "u" * 90,
    )
    asset = reports.AssetLine(
        "YS-NB-" + "0" * 60,
        "노트북 " * 20,
        "Samsung " * 10,
        "Galaxy " * 10,
        "SN" * 60,
        [f"구성품 {i} accessory {i} with a long name" for i in range(15)],
        long,
    )
    form = handover(
        org_name="대전광역시 유성구청 스마트워크센터 운영 및 디지털 민원 서비스 혁신 추진단 " * 3,
        form_number="L-2026-000042" * 5,
        issued_at=long,
        due_date=long,
        center_name=long,
        request_ref=long,
        issued_by=long,
        assignee=person,
        asset=asset,
        note="매우 긴 메모 " * 400 + "\n끝\t\x00\r\n",
        signature_assignee_png=signature_png(),
        signature_staff_png=signature_png(40, 400),
    )
    pdf = reports.render_handover(form)
    assert_tidy_single_page(pdf)
    assert qr_codes(pdf) == ["fleet:loan:L-2026-000042"]
    assert "외7개·7more" in flat(pdf)  # accessories beyond the room are counted and named


def test_empty_values_are_shown_as_dashes_not_errors():
    bare = reports.AssetLine("YS-NB-002", "", "", "", "")
    pdf = reports.render_handover(
        handover(asset=bare, note=None, request_ref=None, assignee=reports.Party("김", "", "", "", "kim"))
    )
    assert_tidy_single_page(pdf)
    assert "없음None" in flat(pdf)  # no accessories


def test_return_form_marks_what_is_missing():
    pdf = reports.render_return(return_form())
    found = flat(pdf)
    for expected in [
        "장비반납확인서",
        "EquipmentReturnForm",
        "이지은",
        "E3001",
        "".join(LONG_DEPARTMENT.split()),
        "YS-NB-001",
        "LG26000001",
        "L-2026-000042",
        "2026-11-3010:00KST",
        "김민수",
        "가방bag누락Missing",
        "누락구성품Missing:가방bag",
        "파손·Damaged",
        "화면모서리깨짐",
        "3일지남·3dayslate",
        "미완료·Notdone",
    ]:
        assert expected in found, expected
    layout = text(pdf)
    assert re.search(r"가방 bag +누락 Missing", layout) and not re.search(r"(charger|mouse) +누락", layout)
    assert_tidy_single_page(pdf)
    assert qr_codes(pdf) == ["fleet:return:L-2026-000042"]


def test_a_complete_return_marks_nothing_missing_and_shows_the_wipe_release():
    pdf = reports.render_return(
        return_form(
            accessories_returned=["마우스 MOUSE", "충전기  charger", "가방 bag", "USB 허브"],
            condition="good",
            damage_notes=None,
            data_wiped=True,
            wipe_release="2026-11-25 · 보안삭제(DoD) · 김민수",
            days_overdue=0,
        )
    )
    found = flat(pdf)
    assert "Missing" not in found and "누락" not in found
    assert "USB허브추가Extra" in found  # came back, though not handed over
    for expected in ["양호·Good", "완료·Done", "2026-11-25·보안삭제(DoD)·김민수", "없음·Ontime"]:
        assert expected in found, expected
    assert_tidy_single_page(pdf)


def test_return_signatures_and_the_worst_return_fit_one_page():
    long = "아주 긴 값입니다 " * 40
    many = [f"구성품 {i} accessory {i}" for i in range(20)]
    pdf = reports.render_return(
        return_form(
            accessories_handed_over=many,
            accessories_returned=many[:2] + ["extra " * 20],
            damage_notes=long * 20,
            wipe_release=long,
            received_by=long,
            center_name=long,
            days_overdue=12345,
            signature_assignee_png=signature_png(),
            signature_staff_png=signature_png(),
        )
    )
    assert_tidy_single_page(pdf)
    assert [line.split()[2] for line in images(pdf)].count("image") == 2
    assert "누락구성품Missing:구성품2accessory2" in flat(pdf)


def test_batch_form_lists_everyone_over_numbered_pages():
    form = batch(40)
    pdf = reports.render_batch_handover(form)
    pages = page_count(pdf)
    assert pages > 1
    found = flat(pdf)
    assert "장비일괄인수증" in found and "BatchHandoverForm" in found and "B-2026-000001" in found
    assert all(f"L-2026-{i:06d}" in found and f"YS-NB-{i:03d}" in found for i in range(1, 41))
    for page in range(1, pages + 1):
        assert re.search(rf"Page {page} / {pages}\b", text(pdf, page)), page
        assert "대여번호" in text(pdf, page)  # the header row on every page
    assert "담당자서명" in flat(pdf, pages) and "24시간" in flat(pdf, pages)
    assert all(embedded for _, _, embedded in fonts(pdf))
    assert qr_codes(pdf) == ["fleet:batch:B-2026-000001"]
    assert reports.render_batch_handover(form) == pdf


def test_a_small_batch_is_one_page():
    pdf = reports.render_batch_handover(batch(2))
    assert page_count(pdf) == 1 and "Page 1 / 1" in text(pdf)
    assert reports.render_batch_handover(replace(batch(0), note=None))  # no lines: still a form


def test_frozen_dataclasses_can_be_copied_with_signatures():
    form = handover()
    signed = replace(form, signature_assignee_png=signature_png())
    assert signed.assignee is PERSON and signed.asset is ASSET and form.signature_assignee_png is None
