"""Stocktakes through the API: start, scan as a barcode scanner types, close, report."""

from __future__ import annotations

import hashlib

import pytest

from fleet.extensions import db
from fleet.models import Asset, Document, Event
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import EMPLOYEE, IT
from tests.support import pdf


def _start(client, headers, center="JJ"):
    response = client.post("/api/v1/stocktakes", json={"center": center}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _scan(client, headers, stocktake, tag):
    return client.post(f"/api/v1/stocktakes/{stocktake['id']}/scans", json={"asset_tag": tag}, headers=headers)


@pytest.fixture
def shelves(app, client, it_headers):
    """Center JJ: NB-001 and NB-002 in stock, NB-003 on loan, NB-004 in quarantine, NB-005 retired;
    center NE: NE-1."""
    stock(app, "NB-001", "NB-002", "NB-003", "NB-004", "NB-005")
    assert hand_over(client, it_headers, "NB-003", EMPLOYEE).status_code == 201
    with app.app_context():
        db.session.execute(db.update(Asset).where(Asset.asset_tag == "NB-004").values(status="quarantine"))
        db.session.commit()
    assert client.post("/api/v1/assets/NB-005/status", json={"status": "retired", "reason": "불용 처분"},
                       headers=it_headers).status_code == 200  # disposed of straight from stock
    assert client.post("/api/v1/centers", json={"code": "NE", "name": "노은도서관", "kind": "library_info_room"},
                       headers=it_headers).status_code == 201
    assert client.post("/api/v1/assets", json={"asset_tag": "NE-1", "category": "monitor", "center": "NE"},
                       headers=it_headers).status_code == 201


def test_the_whole_stocktake(app, client, it_headers, auditor_headers, shelves):
    stocktake = _start(client, it_headers)
    assert stocktake["center"] == "JJ" and stocktake["status"] == "open" and stocktake["started_by"] == IT
    assert stocktake["scans"] == 0 and stocktake["result"]["expected"] == 3 and stocktake["closed_at"] is None

    first = _scan(client, it_headers, stocktake, " nb-001\r\n")  # as a barcode scanner types it
    assert first.status_code == 201
    assert first.get_json() == {"asset_tag": "NB-001", "duplicate": False, "known": True, "expected_here": True,
                                "status": "in_stock", "home_center": "JJ"}
    again = _scan(client, it_headers, stocktake, "NB-001")
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    other = _scan(client, it_headers, stocktake, "NE-1").get_json()
    assert other["known"] is True and other["expected_here"] is False and other["home_center"] == "NE"
    on_loan = _scan(client, it_headers, stocktake, "NB-003").get_json()
    assert on_loan["expected_here"] is False and on_loan["status"] == "on_loan"
    assert _scan(client, it_headers, stocktake, "nb-004").get_json()["expected_here"] is True
    retired = _scan(client, it_headers, stocktake, "NB-005").get_json()
    assert retired["expected_here"] is False and retired["status"] == "retired"
    ghost = _scan(client, it_headers, stocktake, "GHOST-9")
    assert ghost.status_code == 201 and ghost.get_json()["known"] is False and ghost.get_json()["status"] is None

    interim = client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=auditor_headers).get_json()
    assert interim["scans"] == 6 and [m["asset_tag"] for m in interim["result"]["missing"]] == ["NB-002"]

    result = client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=it_headers)
    assert result.status_code == 200
    result = result.get_json()
    assert result["expected"] == 3
    assert sorted(f["asset_tag"] for f in result["found"]) == ["NB-001", "NB-004"]
    assert [m["asset_tag"] for m in result["missing"]] == ["NB-002"]
    assert {u["asset_tag"]: u["reason"] for u in result["unexpected"]} == {
        "NE-1": "belongs to NE", "NB-003": "status is on_loan", "NB-005": "status is retired",
        "GHOST-9": "unknown tag"}

    closed = client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=auditor_headers).get_json()
    assert closed["status"] == "closed" and closed["closed_by"] == IT and closed["result"] == result
    assert closed["report"] is None

    # Closed: no more scans, no second closing, and the result stays as it was closed.
    assert_problem(client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=it_headers), 409)
    assert_problem(_scan(client, it_headers, stocktake, "NB-002"), 409)
    assert_problem(_scan(client, it_headers, stocktake, "NB-001"), 409)
    stock(app, "NB-006")
    assert client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=it_headers).get_json()["result"] == result

    with app.app_context():
        actions = db.session.execute(db.select(Event.action).where(Event.subject_type == "stocktake")
                                     .order_by(Event.seq)).scalars().all()
    assert actions == ["stocktake.started"] + ["stocktake.scanned"] * 6 + ["stocktake.closed"]


def test_the_report_of_a_closed_stocktake_is_issued_once(app, client, it_headers, auditor_headers, shelves):
    stocktake = _start(client, it_headers)
    for tag in ["NB-001", "NE-1", "GHOST-9"]:
        _scan(client, it_headers, stocktake, tag)
    client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=it_headers)
    response = client.get(f"/api/v1/stocktakes/{stocktake['id']}/report.pdf", headers=auditor_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    body = response.data
    fonts = pdf.fonts(body)
    assert fonts and all(embedded for _, embedded in fonts)
    flat = pdf.flat_text(body)
    for expected in ["재고실사", "Stocktake", "진잠도서관스마트워크센터", "NB-001", "NB-002", "NB-004", "NE-1",
                     "GHOST-9", "belongstoNE", "unknowntag", "없음Missing", "예상밖Unexpected"]:
        assert expected in flat, expected
    document_id = int(response.headers["X-Fleet-Document-Id"])
    meta = client.get(f"/api/v1/documents/{document_id}", headers=auditor_headers).get_json()
    assert meta["kind"] == "stocktake_report" and meta["subject"] == f"stocktake:{stocktake['id']}"
    assert meta["sha256"] == hashlib.sha256(body).hexdigest()
    again = client.get(f"/api/v1/stocktakes/{stocktake['id']}/report.pdf", headers=it_headers)
    assert again.data == body and again.headers["X-Fleet-Document-Id"] == str(document_id)
    ref = client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=auditor_headers).get_json()["report"]
    assert ref["id"] == document_id and client.get(ref["url"], headers=auditor_headers).data == body
    verified = client.post("/api/v1/documents/verify", data=body, content_type="application/pdf",
                           headers=auditor_headers).get_json()
    assert verified["registered"] and verified["document"]["id"] == document_id


def test_an_open_stocktake_gets_interim_reports(app, client, it_headers, shelves):
    stocktake = _start(client, it_headers)
    _scan(client, it_headers, stocktake, "NB-001")
    first = client.get(f"/api/v1/stocktakes/{stocktake['id']}/report.pdf", headers=it_headers)
    assert first.status_code == 200 and "Open" in pdf.text(first.data)
    _scan(client, it_headers, stocktake, "NB-002")
    second = client.get(f"/api/v1/stocktakes/{stocktake['id']}/report.pdf", headers=it_headers)
    assert second.headers["X-Fleet-Document-Id"] != first.headers["X-Fleet-Document-Id"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Document).where(
            Document.kind == "stocktake_report")).scalar() == 2


def test_an_empty_center_has_nothing_missing(app, client, it_headers, shelves):
    stocktake = _start(client, it_headers, "NE")
    _scan(client, it_headers, stocktake, "NE-1")
    result = client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=it_headers).get_json()
    assert result == {"expected": 1, "found": [{"asset_tag": "NE-1", "status": "in_stock"}], "missing": [],
                      "unexpected": []}


def test_closing_without_scans_lists_everything_missing(client, it_headers, shelves):
    stocktake = _start(client, it_headers)
    result = client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=it_headers).get_json()
    assert result["found"] == [] and [m["asset_tag"] for m in result["missing"]] == ["NB-001", "NB-002", "NB-004"]
    response = client.get(f"/api/v1/stocktakes/{stocktake['id']}/report.pdf", headers=it_headers)
    assert response.status_code == 200


def test_who_may_do_what(client, login, shelves):
    it, auditor, employee = login(IT), login("audit1"), login(EMPLOYEE)
    assert_problem(client.post("/api/v1/stocktakes", json={"center": "JJ"}, headers=auditor), 403)
    assert_problem(client.post("/api/v1/stocktakes", json={"center": "JJ"}, headers=employee), 403)
    assert_problem(client.post("/api/v1/stocktakes", json={"center": "JJ"}), 401)
    stocktake = _start(client, it)
    assert_problem(_scan(client, auditor, stocktake, "NB-001"), 403)
    assert_problem(client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=auditor), 403)
    assert_problem(client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=employee), 403)
    assert_problem(client.get(f"/api/v1/stocktakes/{stocktake['id']}/report.pdf", headers=employee), 403)
    assert client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=auditor).status_code == 200


@pytest.mark.parametrize("body", [{}, {"center": ""}, {"center": "NOPE"}, {"center": "\u0000"}, {"center": 7},
                                  {"center": "X" * 33}, {"center": None}])
def test_start_refuses_bad_centers(client, it_headers, shelves, body):
    response = client.post("/api/v1/stocktakes", json=body, headers=it_headers)
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("tag", ["", "   ", "\u0000", "NB\u0000001", "X" * 65, "\t\n"])
def test_bad_scans_are_refused_and_change_nothing(app, client, it_headers, shelves, tag):
    stocktake = _start(client, it_headers)
    assert_problem(_scan(client, it_headers, stocktake, tag), 422)
    assert client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=it_headers).get_json()["scans"] == 0


def test_malformed_scan_bodies(client, it_headers, shelves):
    stocktake = _start(client, it_headers)
    url = f"/api/v1/stocktakes/{stocktake['id']}/scans"
    assert client.post(url, data="{", content_type="application/json", headers=it_headers).status_code in (400, 422)
    assert_problem(client.post(url, json={"asset_tag": 42}, headers=it_headers), 422)
    assert_problem(client.post(url, json=["NB-001"], headers=it_headers), 422)


@pytest.mark.parametrize("path", ["/api/v1/stocktakes/999", "/api/v1/stocktakes/0", "/api/v1/stocktakes/4294967296",
                                  "/api/v1/stocktakes/999/report.pdf", "/api/v1/stocktakes/abc"])
def test_unknown_stocktakes_are_404(client, it_headers, path):
    assert_problem(client.get(path, headers=it_headers), 404)


def test_scanning_or_closing_an_unknown_stocktake_is_404(client, it_headers):
    assert_problem(client.post("/api/v1/stocktakes/999/scans", json={"asset_tag": "NB-001"}, headers=it_headers), 404)
    assert_problem(client.post("/api/v1/stocktakes/999/close", headers=it_headers), 404)
