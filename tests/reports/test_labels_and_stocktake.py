"""Label sheets and stocktake reports."""

from __future__ import annotations

import reports
from tests.reports.helpers import flat, fonts, overlaps, page_count, qr_codes, text, words


def labels(count: int) -> list[reports.Label]:
    return [
        reports.Label(f"YS-NB-{i:03d}", "LG gram 16 · 진잠도서관 스마트워크센터", f"fleet:asset:YS-NB-{i:03d}")
        for i in range(count)
    ]


def test_labels_fill_sheets_and_every_qr_code_decodes():
    pdf = reports.render_labels(labels(26), "대전광역시 유성구청", "2026-11-23 14:05 KST")
    assert page_count(pdf) == 2
    assert sorted(qr_codes(pdf, 1)) == [f"fleet:asset:YS-NB-{i:03d}" for i in range(24)]
    assert sorted(qr_codes(pdf, 2)) == ["fleet:asset:YS-NB-024", "fleet:asset:YS-NB-025"]
    found = flat(pdf)
    assert "YS-NB-025" in found and "LGgram16·진잠도서관" in found and "대전광역시유성구청" in found
    assert "Page 2 / 2" in text(pdf, 2)
    assert all(embedded for _, _, embedded in fonts(pdf))
    placed, width, height = words(pdf)
    assert not overlaps(placed) and all(0 < w.x0 and w.x1 < width and w.bottom < height for w in placed)
    assert reports.render_labels(labels(26), "대전광역시 유성구청", "2026-11-23 14:05 KST") == pdf


def test_a_long_tag_shrinks_to_fit_its_label():
    pdf = reports.render_labels(
        [
            reports.Label(
                "SWC-MONITOR-000123", "Samsung ViewFinity S8 27인치 UHD 모니터 · 화상회의실", "fleet:asset:SWC"
            )
        ],
        "유성구청",
        "2026-11-23",
    )
    assert "SWC-MONITOR-000123" in flat(pdf) and qr_codes(pdf) == ["fleet:asset:SWC"]
    placed, _, _ = words(pdf)
    assert not overlaps(placed)


def test_no_labels_is_an_empty_sheet():
    assert page_count(reports.render_labels([], "유성구청", "2026-11-23")) == 1


def stocktake(**overrides) -> reports.StocktakeReport:
    values = dict(
        org_name="대전광역시 유성구청",
        center_name="진잠도서관 스마트워크센터 (JJ)",
        started_at="2026-11-23 09:00 KST",
        closed_at="2026-11-23 11:30 KST",
        closed_by="김민수 (kimit)",
        expected=4,
        found=[reports.StocktakeItem("NB-001", "LG gram 16 · 노트북", "재고 In stock"), "NB-002"],
        missing=[reports.StocktakeItem("NB-004", "LG gram 16 · 노트북", "대여 중 On loan · 이지은")],
        unexpected=[
            reports.StocktakeItem("NE-1", "Dell U2723QE · 모니터", "belongs to NE"),
            reports.StocktakeItem("GHOST-9", "", "unknown tag"),
        ],
        head_hash="ab" * 32,
        created_at="2026-11-23T02:30:00+00:00",
    )
    return reports.StocktakeReport(**{**values, **overrides})


def test_stocktake_report_lists_missing_first_with_the_counts():
    pdf = reports.render_stocktake(stocktake())
    found = flat(pdf)
    for expected in [
        "재고실사결과",
        "Stocktakereport",
        "진잠도서관스마트워크센터(JJ)",
        "2026-11-2311:30KST·김민수(kimit)",
        "예상Expected",
        "없음MissingNB-004",
        "예상밖UnexpectedNE-1",
        "belongstoNE",
        "GHOST-9",
        "unknowntag",
        "찾음FoundNB-001",
        "NB-002",
        "ab" * 32,
        "총5행",
    ]:
        assert expected in found, expected
    assert found.index("NB-004") < found.index("NE-1") < found.index("NB-001")
    assert all(embedded for _, _, embedded in fonts(pdf))
    assert reports.render_stocktake(stocktake()) == pdf


def test_an_open_stocktake_is_an_interim_report():
    pdf = reports.render_stocktake(stocktake(closed_at=None, closed_by=None, generated_by="박서연"))
    assert "Open: interim report" in text(pdf) and "박서연" in text(pdf)
