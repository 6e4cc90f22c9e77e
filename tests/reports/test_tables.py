"""Audit table reports (PDF, streamed) and CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pypdf import PdfReader

import reports
from tests.reports.helpers import flat, fonts, page_count, text, words

COLUMNS = [
    reports.Column("tag", "자산번호 Asset tag"),
    reports.Column("name", "성명 Name"),
    reports.Column("department", "부서 Department", 2.5),
]
HEAD = "3f" * 32


def report(rows, columns=COLUMNS, **overrides) -> reports.TableReport:
    values = dict(
        title="자산 현황",
        title_en="Inventory",
        org_name="대전광역시 유성구청",
        parameters=[("기준일 As of", "2026-11-23"), ("센터 Center", "진잠도서관 스마트워크센터")],
        generated_at="2026-11-23 14:00 KST",
        generated_by="박서연 (audit1)",
        head_hash=HEAD,
        columns=columns,
        rows=rows,
        summary=[("재고 In stock", 1200), ("대여 중 On loan", 700), ("수리 중 In repair", 100)],
        notes=["체인 검증 결과: 정상 Chain verified: valid"],
        created_at="2026-11-23T05:00:00+00:00",
    )
    return reports.TableReport(**{**values, **overrides})


def rows_of(count: int):
    for i in range(count):
        yield (f"T-{i:05d}", "이지은", "스마트워크센터운영및디지털민원서비스혁신추진단" if i % 3 == 0 else "민원여권과")


def test_a_2000_row_report_numbers_every_page_and_keeps_every_row():
    pdf = reports.render_table_report(report(rows_of(2000)))  # a one-shot generator
    pages = page_count(pdf)
    assert pages > 20
    every = text(pdf)
    assert all(f"T-{i:05d}" in every for i in range(2000))
    for page in (1, 2, pages // 2, pages):
        on_page = text(pdf, page)
        assert re.search(rf"Page {page} / {pages}\b", on_page), page
        assert "자산번호 Asset tag" in on_page  # the header row, repeated
    found = flat(pdf)
    for expected in [
        "자산현황",
        "Inventory",
        "대전광역시유성구청",
        "기준일Asof",
        "2026-11-23",
        "박서연(audit1)",
        "2026-11-2314:00KST",
        HEAD,
        "Chainverified:valid",
        "재고Instock",
        "1,200",
        "총2,000행·Total2,000rows",
    ]:
        assert expected in found, expected
    assert fonts(pdf) and all(embedded and "Nanum" in name for name, _, embedded in fonts(pdf))
    assert PdfReader(io.BytesIO(pdf)).metadata["/CreationDate"] == "D:20261123050000+00'00'"


def test_rows_may_be_a_list_or_a_callable_and_are_read_once():
    calls = []

    def fresh():
        calls.append(1)
        return rows_of(30)

    from_callable = reports.render_table_report(report(fresh))
    assert calls == [1]
    assert reports.render_table_report(report(list(rows_of(30)))) == from_callable
    assert reports.render_table_report(report(rows_of(30))) == from_callable  # deterministic too


def test_many_columns_turn_the_page_to_landscape_and_long_cells_are_cut_to_two_lines():
    columns = [reports.Column(f"c{i}", f"열 {i} Column {i}") for i in range(8)]
    long = "아주 긴 설명 " * 40
    pdf = reports.render_table_report(report([[long] + [f"v{i}" for i in range(7)]] * 3, columns=columns))
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert box.width > box.height
    layout = text(pdf)
    assert layout.count("…") >= 3 and "긴값3칸은…로줄였습니다" in flat(pdf)
    placed, width, _ = words(pdf)
    assert all(0 < w.x0 and w.x1 < width for w in placed)


def test_no_rows_and_no_summary_still_make_a_report():
    pdf = reports.render_table_report(report([], summary=None, notes=[], title_en=None))
    assert page_count(pdf) == 1 and "(없음 None)" in text(pdf) and "Page 1 / 1" in text(pdf)


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="row 2 has 2 values for 3 columns"):
        reports.render_table_report(report([("a", "b", "c"), ("a", "b")]))
    with pytest.raises(ValueError, match="at least one column"):
        reports.render_table_report(report([], columns=[]))


def test_values_that_are_not_text_are_printed():
    pdf = reports.render_table_report(report([(1, None, 2.5)], summary=None))
    assert "2.5" in text(pdf)


def test_csv_has_a_bom_crlf_quotes_and_guards_formulas():
    data = reports.render_csv(
        COLUMNS,
        [
            ("이지은", '=HYPERLINK("http://x")', "민원여권과"),
            ("+82-10", "-2", "@SUM(A1)"),
            ("a,b", 'say "hi"', "two\nlines"),
            (None, "\tTAB", 7),
        ],
    )
    assert data.startswith(b"\xef\xbb\xbf")
    body = data.decode("utf-8-sig")
    assert body.startswith("자산번호 Asset tag,성명 Name,부서 Department\r\n") and body.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[1] == ["이지은", '\'=HYPERLINK("http://x")', "민원여권과"]
    assert rows[2] == ["'+82-10", "'-2", "'@SUM(A1)"]
    assert rows[3] == ["a,b", 'say "hi"', "two\nlines"]
    assert rows[4] == ["", "'\tTAB", "7"]


def test_csv_streams_in_chunks_from_a_callable():
    chunks = list(reports.iter_csv(COLUMNS, lambda: rows_of(2500), chunk_rows=1000))
    assert len(chunks) == 3  # 1,000 rows, 1,000 rows, the last 500
    assert b"".join(chunks) == reports.render_csv(COLUMNS, list(rows_of(2500)))
    assert b"".join(chunks).count(b"\r\n") == 2501
