"""Forms and reports through the API, read back: registered, identical on re-download, verifiable."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, timedelta

import pytest

from fleet.db import utcnow
from fleet.extensions import db
from fleet.models import Asset, Document
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT
from tests.support import pdf


def _loan(app, client, headers, tag="NB-001", assignee=EMPLOYEE):
    stock(app, tag)
    return hand_over(client, headers, tag, assignee, note="재택근무").get_json()


def test_handover_form_is_registered_and_reads_back(app, client, it_headers):
    loan = _loan(app, client, it_headers)
    url = loan["handover_document"]["url"]
    first = client.get(url, headers=it_headers)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    body = first.data
    flat = pdf.flat_text(body)
    for expected in ["장비인수증", "EquipmentHandoverForm", "이지은", "NB-001", "SN-NB-001", loan["number"],
                     "민원여권과", "진잠도서관스마트워크센터", "대전광역시유성구청"]:
        assert expected in flat, expected
    assert pdf.page_count(body) == 1 and all(embedded for _, embedded in pdf.fonts(body))
    assert pdf.qr_codes(body) == [f"fleet:loan:{loan['number']}"]
    assert client.get(url, headers=it_headers).data == body
    meta = client.get(f"/api/v1/documents/{loan['handover_document']['id']}", headers=it_headers).get_json()
    assert meta["sha256"] == hashlib.sha256(body).hexdigest() and meta["kind"] == "handover_form"


def test_return_form_marks_missing_and_lateness(app, client, it_headers):
    loan = _loan(app, client, it_headers)
    returned = client.post(f"/api/v1/loans/{loan['id']}/return", headers=it_headers, json={
        "condition": "damaged", "accessories_returned": ["charger"], "damage_notes": "힌지 파손", "data_wiped": False})
    body = client.get(returned.get_json()["return_document"]["url"], headers=it_headers).data
    flat = pdf.flat_text(body)
    for expected in ["장비반납확인서", "EquipmentReturnForm", "이지은", "Missing:bag", "힌지파손", "미완료"]:
        assert expected in flat, expected
    assert pdf.page_count(body) == 1 and pdf.qr_codes(body) == [f"fleet:return:{loan['number']}"]


def test_wipe_release_appears_on_a_return_form_rendered_later(app, client, it_headers):
    loan = _loan(app, client, it_headers)
    returned = client.post(f"/api/v1/loans/{loan['id']}/return", headers=it_headers,
                           json={"condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": False})
    client.post("/api/v1/assets/NB-001/status", headers=it_headers,
                json={"status": "in_stock", "reason": "검사", "wipe_method": "보안삭제 DoD"})
    flat = pdf.flat_text(client.get(returned.get_json()["return_document"]["url"], headers=it_headers).data)
    assert "보안삭제DoD" in flat and "김민수" in flat


def test_who_may_download(app, client, login):
    it = login(IT)
    loan = _loan(app, client, it)
    url = loan["handover_document"]["url"]
    assert client.get(url, headers=login(EMPLOYEE)).status_code == 200
    assert client.get(url, headers=login(AUDITOR)).status_code == 200
    assert_problem(client.get(url, headers=login(EMPLOYEE2)), 404)
    assert_problem(client.get(url), 401)
    assert_problem(client.get("/api/v1/documents/99999.pdf", headers=it), 404)
    assert_problem(client.get("/api/v1/documents/abc.pdf", headers=it), 404)
    assert_problem(client.get("/api/v1/documents/..%2F..%2Fetc%2Fpasswd.pdf", headers=it), 404)


def test_verify_genuine_and_altered(app, client, login):
    it, auditor = login(IT), login(AUDITOR)
    loan = _loan(app, client, it)
    body = client.get(loan["handover_document"]["url"], headers=auditor).data
    answer = client.post("/api/v1/documents/verify", data=body, content_type="application/pdf",
                         headers=auditor).get_json()
    assert answer["registered"] is True and answer["document"]["id"] == loan["handover_document"]["id"]
    altered = bytearray(body)
    altered[len(altered) // 2] ^= 0x01
    answer = client.post("/api/v1/documents/verify", data=bytes(altered), content_type="application/pdf",
                         headers=auditor).get_json()
    assert answer["registered"] is False and answer["document"] is None
    multipart = client.post("/api/v1/documents/verify", headers=auditor,
                            data={"file": (io.BytesIO(body), "form.pdf")},
                            content_type="multipart/form-data")
    assert multipart.get_json()["registered"] is True
    assert_problem(client.post("/api/v1/documents/verify", data=b"hello", content_type="application/pdf",
                               headers=auditor), 422)
    assert_problem(client.post("/api/v1/documents/verify", data=b"", content_type="application/pdf",
                               headers=auditor), 422)
    assert_problem(client.post("/api/v1/documents/verify", data=body, content_type="application/pdf",
                               headers=login(EMPLOYEE)), 403)


def test_batch_form(app, client, it_headers):
    stock(app, "NB-001", "NB-002")
    batch = client.post("/api/v1/loans/bulk", headers=it_headers, json={"note": "긴급", "loans": [
        {"asset_tag": "NB-001", "assignee": EMPLOYEE}, {"asset_tag": "NB-002", "assignee": EMPLOYEE2}]}).get_json()
    flat = pdf.flat_text(client.get(batch["batch_document"]["url"], headers=it_headers).data)
    assert "장비일괄인수증" in flat and "이지은" in flat and "최준호" in flat and batch["number"] in flat


@pytest.mark.parametrize("name", ["inventory", "loans", "overdue", "leavers", "requests", "events"])
def test_an_auditor_downloads_every_report_in_both_formats(app, client, login, name):
    _loan(app, client, login(IT))
    auditor = login(AUDITOR)
    response = client.get(f"/api/v1/reports/{name}.pdf", headers=auditor)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.data
    assert all(embedded for _, embedded in pdf.fonts(body))
    text = pdf.text(body)
    assert "박서연" in text and re.search(r"\b1\s*/\s*\d+", text)
    document_id = int(response.headers["X-Fleet-Document-Id"])
    verified = client.post("/api/v1/documents/verify", data=body, content_type="application/pdf",
                           headers=auditor).get_json()
    assert verified["registered"] and verified["document"]["id"] == document_id
    csv = client.get(f"/api/v1/reports/{name}.csv", headers=auditor)
    assert csv.status_code == 200 and csv.mimetype == "text/csv" and csv.data.startswith("\ufeff".encode())


def test_report_contents(app, client, login):
    it = login(IT)
    _loan(app, client, it)
    auditor = login(AUDITOR)
    inventory = pdf.flat_text(client.get("/api/v1/reports/inventory.pdf", headers=auditor).data)
    assert "NB-001" in inventory and "대여중Onloan" in inventory
    csv = client.get("/api/v1/reports/loans.csv", headers=auditor).data.decode("utf-8-sig")
    assert "이지은" in csv and "NB-001" in csv
    events = pdf.text(client.get("/api/v1/reports/events.pdf", headers=auditor).data)
    head = client.get("/api/v1/events/verify", headers=auditor).get_json()["head"]
    assert "Chain verified: valid" in events and head[:16] in events
    requests = client.get("/api/v1/reports/requests.csv", headers=auditor).data.decode("utf-8-sig")
    assert "이지은" not in requests


def test_inventory_as_of_a_past_date(app, client, it_headers, auditor_headers):
    _loan(app, client, it_headers)
    with app.app_context():
        db.session.execute(db.update(Asset).values(created_at=utcnow() - timedelta(days=3)))
        db.session.commit()
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    past = client.get(f"/api/v1/reports/inventory.csv?as_of={yesterday}", headers=auditor_headers)
    assert "재고" in past.data.decode("utf-8-sig").splitlines()[1]
    now = client.get("/api/v1/reports/inventory.csv", headers=auditor_headers).data.decode("utf-8-sig")
    assert "대여 중" in now.splitlines()[1]


def test_report_errors(client, login):
    auditor = login(AUDITOR)
    assert_problem(client.get("/api/v1/reports/secrets.pdf", headers=auditor), 404)
    assert_problem(client.get("/api/v1/reports/loans.pdf?from=2026-02-01&to=2026-01-01", headers=auditor), 422)
    assert_problem(client.get("/api/v1/reports/inventory.pdf?as_of=2999-01-01", headers=auditor), 422)
    assert_problem(client.get("/api/v1/reports/inventory.pdf?as_of=soon", headers=auditor), 422)
    assert_problem(client.get("/api/v1/reports/inventory.pdf?center=NOPE", headers=auditor), 422)
    assert_problem(client.get("/api/v1/reports/inventory.pdf", headers=login(EMPLOYEE)), 403)


def test_stocktake(app, client, it_headers, auditor_headers):
    stock(app, "NB-001", "NB-002", "NB-003")
    hand_over(client, it_headers, "NB-003", EMPLOYEE)
    client.post("/api/v1/centers", json={"code": "NE", "name": "노은", "kind": "smart_work_center"},
                headers=it_headers)
    client.post("/api/v1/assets", json={"asset_tag": "NE-1", "category": "monitor", "center": "NE"},
                headers=it_headers)
    stocktake = client.post("/api/v1/stocktakes", json={"center": "JJ"}, headers=it_headers).get_json()
    scans = f"/api/v1/stocktakes/{stocktake['id']}/scans"
    first = client.post(scans, json={"asset_tag": " nb-001\n"}, headers=it_headers)
    assert first.status_code == 201 and first.get_json()["expected_here"] is True
    assert client.post(scans, json={"asset_tag": "NB-001"}, headers=it_headers).get_json()["duplicate"] is True
    assert client.post(scans, json={"asset_tag": "NE-1"}, headers=it_headers).get_json()["expected_here"] is False
    client.post(scans, json={"asset_tag": "NB-003"}, headers=it_headers)
    client.post(scans, json={"asset_tag": "GHOST-9"}, headers=it_headers)
    assert_problem(client.post(scans, json={"asset_tag": "X"}, headers=auditor_headers), 403)
    result = client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=it_headers).get_json()
    assert result["expected"] == 2
    assert [f["asset_tag"] for f in result["found"]] == ["NB-001"]
    assert [m["asset_tag"] for m in result["missing"]] == ["NB-002"]
    assert {u["asset_tag"]: u["reason"] for u in result["unexpected"]} == {
        "NE-1": "belongs to NE", "NB-003": "status is on_loan", "GHOST-9": "unknown tag"}
    assert_problem(client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=it_headers), 409)
    assert_problem(client.post(scans, json={"asset_tag": "NB-002"}, headers=it_headers), 409)
    report = client.get(f"/api/v1/stocktakes/{stocktake['id']}/report.pdf", headers=auditor_headers)
    flat = pdf.flat_text(report.data)
    assert "재고실사" in flat and "NB-002" in flat and "GHOST-9" in flat
    assert client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=auditor_headers).get_json()["scans"] == 4
    assert_problem(client.post("/api/v1/stocktakes", json={"center": "NOPE"}, headers=it_headers), 422)


def test_labels(app, client, it_headers, auditor_headers):
    stock(app, "NB-001", "NB-002")
    response = client.get("/api/v1/labels.pdf?tags=nb-001,NB-002", headers=it_headers)
    assert response.status_code == 200
    assert set(pdf.qr_codes(response.data)) == {"fleet:asset:NB-001", "fleet:asset:NB-002"}
    assert client.get("/api/v1/labels.pdf?center=JJ", headers=it_headers).status_code == 200
    assert "NOPE" in assert_problem(client.get("/api/v1/labels.pdf?tags=NB-001,NOPE", headers=it_headers), 422)[
        "detail"]
    assert_problem(client.get("/api/v1/labels.pdf", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/labels.pdf?center=JJ&tags=NB-001", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/labels.pdf?center=JJ", headers=auditor_headers), 403)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Document).where(
            Document.kind == "labels")).scalar() == 2
