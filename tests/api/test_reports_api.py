"""Audit reports through the API: every report in PDF and CSV, registered, and what they say."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3
from datetime import datetime, time, timedelta

import pytest

from fleet.extensions import db
from fleet.models import Document, LeaverFinding
from fleet.services.assets import move_status
from fleet.services.loans import HandoverOrder, take_back
from fleet.services.loans import hand_over as hand_over_service
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.factories import IT_PRINCIPAL, create_asset, create_center
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT
from tests.support import pdf
from tests.support.clock import FLEET_ZONE, fleet_today

REPORTS = ["inventory", "loans", "overdue", "leavers", "requests", "events", "utilisation", "incidents"]


def days_ago(days: int) -> datetime:
    """Noon, local time, `days` days ago: far from any day boundary."""
    return datetime.combine(fleet_today() - timedelta(days=days), time(12), tzinfo=FLEET_ZONE)


def _loan(app, client, headers, tag="NB-001", assignee=EMPLOYEE):
    stock(app, tag)
    response = hand_over(client, headers, tag, assignee)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _register(app, document_id: int) -> Document:
    with app.app_context():
        document = db.session.get(Document, document_id)
        db.session.expunge(document)
        return document


def test_the_auditor_holds_only_the_auditor_role(client, auditor_headers):
    roles = client.get("/api/v1/me", headers=auditor_headers).get_json()["roles"]
    assert "auditor" in roles and "it" not in roles


@pytest.mark.parametrize("name", REPORTS)
def test_an_auditor_downloads_every_report_in_both_formats(app, client, login, name):
    _loan(app, client, login(IT))
    auditor = login(AUDITOR)
    response = client.get(f"/api/v1/reports/{name}.pdf?reason=audit", headers=auditor)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    body = response.data
    fonts = pdf.fonts(body)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    text = pdf.text(body)
    flat = "".join(text.split())
    # Title, parameters, who and when, page x / y, and the event log's head at that moment.
    head = client.get("/api/v1/events/verify", headers=auditor).get_json()["head"]
    assert "박서연" in text and AUDITOR in text and re.search(r"\b1\s*/\s*\d+", text)
    assert head in flat and "대전광역시유성구청" in flat
    # Registered: the id is in a header, the register holds the SHA-256, verification finds it.
    document_id = int(response.headers["X-Fleet-Document-Id"])
    meta = client.get(f"/api/v1/documents/{document_id}", headers=auditor).get_json()
    assert meta["kind"] == "report" and meta["subject"] == f"report:{name}" and meta["created_by"] == AUDITOR
    assert meta["sha256"] == hashlib.sha256(body).hexdigest()
    assert client.get(meta["url"], headers=auditor).data == body
    verified = client.post("/api/v1/documents/verify", data=body, content_type="application/pdf",
                           headers=auditor).get_json()
    assert verified["registered"] and verified["document"]["id"] == document_id
    response = client.get(f"/api/v1/reports/{name}.csv?reason=audit", headers=auditor)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows and all(len(row) == len(rows[0]) for row in rows)
    assert re.search("[가-힣]", rows[0][0] + "".join(rows[0]))  # Korean column labels


def test_an_auditor_verifies_a_form_and_a_report(app, client, login):
    loan = _loan(app, client, login(IT))
    auditor = login(AUDITOR)
    form = client.get(loan["handover_document"]["url"], headers=auditor).data
    report = client.get("/api/v1/reports/loans.pdf?reason=audit", headers=auditor).data
    for body in (form, report):
        answer = client.post("/api/v1/documents/verify", data=body, content_type="application/pdf",
                             headers=auditor).get_json()
        assert answer["registered"] is True
    altered = bytearray(report)
    altered[len(altered) // 2] ^= 0x01
    assert client.post("/api/v1/documents/verify", data=bytes(altered), content_type="application/pdf",
                       headers=auditor).get_json()["registered"] is False


def test_every_download_of_a_report_is_registered_anew(app, client, auditor_headers):
    first = client.get("/api/v1/reports/events.pdf?reason=audit", headers=auditor_headers)
    second = client.get("/api/v1/reports/events.pdf?reason=audit", headers=auditor_headers)
    assert first.headers["X-Fleet-Document-Id"] != second.headers["X-Fleet-Document-Id"]
    assert _register(app, int(second.headers["X-Fleet-Document-Id"])).sha256 == hashlib.sha256(
        second.data).hexdigest()


def test_a_csv_is_registered_like_a_pdf(app, client, auditor_headers):
    """Issue 20: a CSV download of a report is registered too (its SHA-256, who, when), so it leaves a trace."""
    response = client.get("/api/v1/reports/inventory.csv", headers=auditor_headers)
    document = _register(app, int(response.headers["X-Fleet-Document-Id"]))
    assert document.media_type == "text/csv" and document.created_by == "audit1"
    assert document.sha256 == hashlib.sha256(response.data).hexdigest()
    again = client.get(f"/api/v1/documents/{document.id}.pdf", headers=auditor_headers)
    assert again.data == response.data and again.mimetype == "text/csv"


def test_a_report_with_personal_data_needs_a_reason(client, auditor_headers):
    for url in ("/api/v1/reports/loans.pdf", "/api/v1/reports/overdue.csv", "/api/v1/reports/leavers.pdf",
                "/api/v1/reports/requests.csv", "/api/v1/reports/events.pdf", "/api/v1/events/export",
                "/api/v1/reports/loans.pdf?reason=%20%20"):
        response = client.get(url, headers=auditor_headers)
        assert response.status_code == 422 and "reason" in response.get_json()["errors"], url
    assert client.get("/api/v1/reports/inventory.pdf", headers=auditor_headers).status_code == 200


def test_inventory_lists_every_asset_with_korean_text(app, client, it_headers, auditor_headers):
    _loan(app, client, it_headers)
    stock(app, "NB-002")
    rows = _csv(client.get("/api/v1/reports/inventory.csv", headers=auditor_headers))
    by_tag = {row[0]: row for row in rows[1:]}
    assert set(by_tag) == {"NB-001", "NB-002"}
    assert "대여 중 On loan" in by_tag["NB-001"] and "재고 In stock" in by_tag["NB-002"]
    assert "노트북 Laptop" in by_tag["NB-001"] and "SN-NB-001" in by_tag["NB-001"]
    flat = pdf.flat_text(client.get("/api/v1/reports/inventory.pdf", headers=auditor_headers).data)
    assert "NB-001" in flat and "대여중Onloan" in flat and "자산현황" in flat


def test_inventory_of_one_center(app, client, it_headers, auditor_headers):
    stock(app, "NB-001")
    with app.app_context():
        create_center(code="NE", name="노은도서관")
        create_asset("NE", asset_tag="NE-001")
    rows = _csv(client.get("/api/v1/reports/inventory.csv?center=NE", headers=auditor_headers))
    assert [row[0] for row in rows[1:]] == ["NE-001"]
    flat = pdf.flat_text(client.get("/api/v1/reports/inventory.pdf?center=NE", headers=auditor_headers).data)
    assert "노은도서관" in flat and "NE-001" in flat and "NB-001" not in flat


def test_inventory_as_of_a_past_date_replays_the_event_log(app, client, auditor_headers):
    """Created 10 days ago, handed over 6 days ago, returned 3 days ago: each day shows its own status."""
    with app.app_context():
        create_center(code="JJ", name="진잠도서관 스마트워크센터")
        create_asset("JJ", asset_tag="NB-OLD", now=days_ago(10))
        loan = hand_over_service(app.extensions["fleet_directory"], HandoverOrder("NB-OLD", EMPLOYEE), IT_PRINCIPAL,
                                 now=days_ago(6))
        take_back(loan, IT_PRINCIPAL, condition="good", accessories_returned=["charger", "bag"], data_wiped=True,
                  now=days_ago(3))
        db.session.commit()
        create_asset("JJ", asset_tag="NB-NEW")  # today

    def statuses(as_of) -> dict[str, str]:
        query = f"?as_of={as_of.isoformat()}" if as_of else ""
        return {row[0]: row[5] for row in _csv(client.get(f"/api/v1/reports/inventory.csv{query}",
                                                        headers=auditor_headers))[1:]}

    today = fleet_today()
    assert statuses(today - timedelta(days=11)) == {}
    assert statuses(today - timedelta(days=8)) == {"NB-OLD": "재고 In stock"}
    assert statuses(today - timedelta(days=5)) == {"NB-OLD": "대여 중 On loan"}
    assert statuses(today - timedelta(days=1)) == {"NB-OLD": "재고 In stock"}
    assert statuses(today) == statuses(None) == {"NB-OLD": "재고 In stock", "NB-NEW": "재고 In stock"}
    past = client.get(f"/api/v1/reports/inventory.pdf?as_of={(today - timedelta(days=5)).isoformat()}",
                      headers=auditor_headers)
    flat = pdf.flat_text(past.data)
    assert (today - timedelta(days=5)).isoformat() in flat and "대여중Onloan" in flat and "NB-NEW" not in flat


def test_inventory_leaves_out_what_was_disposed_of_by_that_day(app, client, auditor_headers):
    """Retired (불용 처분) assets are gone: not listed from the day they were retired, counted in a note."""
    with app.app_context():
        create_center(code="JJ", name="진잠도서관 스마트워크센터")
        create_asset("JJ", asset_tag="NB-KEEP", now=days_ago(10))
        old = create_asset("JJ", asset_tag="NB-OLD", now=days_ago(10))
        move_status(old, IT_PRINCIPAL, "retired", "불용 처분 (내용연수 경과)", now=days_ago(3))
        db.session.commit()

    def tags(as_of) -> list[str]:
        return [row[0] for row in _csv(client.get(f"/api/v1/reports/inventory.csv?as_of={as_of.isoformat()}",
                                                  headers=auditor_headers))[1:]]

    today = fleet_today()
    assert tags(today - timedelta(days=5)) == ["NB-KEEP", "NB-OLD"]
    assert tags(today - timedelta(days=3)) == tags(today) == ["NB-KEEP"]
    flat = pdf.flat_text(client.get("/api/v1/reports/inventory.pdf", headers=auditor_headers).data)
    assert "NB-OLD" not in flat and "1retired(disposed)assetsarenotlisted" in flat


def test_inventory_as_of_today_is_the_current_status(app, client, it_headers, auditor_headers):
    _loan(app, client, it_headers)
    rows = _csv(client.get(f"/api/v1/reports/inventory.csv?as_of={fleet_today().isoformat()}",
                           headers=auditor_headers))
    assert rows[1][0] == "NB-001" and rows[1][5] == "대여 중 On loan"


def test_loans_report_covers_a_period(app, client, it_headers, auditor_headers):
    loan = _loan(app, client, it_headers)
    rows = _csv(client.get("/api/v1/reports/loans.csv?reason=audit", headers=auditor_headers))
    assert rows[1][:4] == [loan["number"], "NB-001", "이지은", EMPLOYEE]
    before = (fleet_today() - timedelta(days=10)).isoformat()
    yesterday = (fleet_today() - timedelta(days=1)).isoformat()
    assert _csv(client.get(f"/api/v1/reports/loans.csv?from={before}&to={yesterday}&reason=audit",
                           headers=auditor_headers))[1:] == []
    flat = pdf.flat_text(client.get(f"/api/v1/reports/loans.pdf?from={before}&to={fleet_today().isoformat()}"
                                    "&reason=audit", headers=auditor_headers).data)
    assert loan["number"] in flat and "이지은" in flat and before in flat


def test_overdue_and_leavers_reports(app, client, auditor_headers):
    with app.app_context():
        create_center(code="JJ", name="진잠도서관 스마트워크센터")
        create_asset("JJ", asset_tag="NB-LATE", now=days_ago(120))
        create_asset("JJ", asset_tag="NB-GONE", now=days_ago(120))
        late = hand_over_service(app.extensions["fleet_directory"], HandoverOrder("NB-LATE", EMPLOYEE), IT_PRINCIPAL,
                                 now=days_ago(100))
        gone = hand_over_service(app.extensions["fleet_directory"], HandoverOrder("NB-GONE", EMPLOYEE2),
                                 IT_PRINCIPAL, now=days_ago(5))
        db.session.add(LeaverFinding(uid=EMPLOYEE2, loan_id=gone.id, reason="disabled"))
        db.session.commit()
        late_number, gone_number = late.number, gone.number
    overdue = _csv(client.get("/api/v1/reports/overdue.csv?reason=audit", headers=auditor_headers))
    assert [row[0] for row in overdue[1:]] == [late_number] and overdue[1][-1] == "10"
    assert late_number in pdf.flat_text(client.get("/api/v1/reports/overdue.pdf?reason=audit",
                                                   headers=auditor_headers).data)
    leavers = _csv(client.get("/api/v1/reports/leavers.csv?reason=audit", headers=auditor_headers))
    assert len(leavers) == 2 and leavers[1][0] == EMPLOYEE2 and gone_number in leavers[1]
    assert "비활성 Disabled" in leavers[1] and "최준호" in leavers[1]
    flat = pdf.flat_text(client.get("/api/v1/reports/leavers.pdf?reason=audit", headers=auditor_headers).data)
    assert gone_number in flat and "최준호" in flat


def test_requests_report_counts_without_names_or_notes(app, client, login, auditor_headers):
    stock(app, "NB-001")
    for uid, reason in [(EMPLOYEE, "pregnancy"), (EMPLOYEE2, "childcare")]:
        response = client.post("/api/v1/requests", headers=login(uid), json={
            "category": "laptop", "reason": reason, "needed_from": fleet_today().isoformat(), "center": "JJ",
            "note": "비밀 메모 아이 병원"})
        assert response.status_code == 201, response.get_json()
    rows = _csv(client.get("/api/v1/reports/requests.csv?reason=audit", headers=auditor_headers))
    text = "\n".join(",".join(row) for row in rows)
    assert "pregnancy" in text and "childcare" in text and "pending" in text
    assert "이지은" not in text and EMPLOYEE not in text and "비밀" not in text
    flat = pdf.flat_text(client.get("/api/v1/reports/requests.pdf?reason=audit", headers=auditor_headers).data)
    assert "대여신청통계" in flat and "이지은" not in flat and "비밀" not in flat


def test_events_report_shows_the_chain_verification_and_head(app, client, it_headers, auditor_headers):
    _loan(app, client, it_headers)
    verify = client.get("/api/v1/events/verify", headers=auditor_headers).get_json()
    body = client.get("/api/v1/reports/events.pdf?reason=audit", headers=auditor_headers).data
    text = pdf.text(body)
    assert "Chain verified: valid" in text and f"{verify['count']} events" in text
    assert verify["head"] in "".join(text.split())
    assert "loan.handed_over" in text
    rows = _csv(client.get("/api/v1/reports/events.csv?reason=audit", headers=auditor_headers))
    assert [row[3] for row in rows[1:] if not row[3].startswith("auth.")] == ["loan.handed_over"]


def test_events_report_names_a_broken_chain(app, client, it_headers, auditor_headers):
    _loan(app, client, it_headers)
    with app.app_context():
        db.session.execute(db.text("UPDATE events SET actor = 'mallory' WHERE seq = 1"))
        db.session.commit()
    text = pdf.text(client.get("/api/v1/reports/events.pdf?reason=audit", headers=auditor_headers).data)
    assert "Chain BROKEN at seq 1" in text


@pytest.mark.parametrize("path,status", [
    ("/api/v1/reports/secrets.pdf", 404),
    ("/api/v1/reports/secrets.csv", 404),
    ("/api/v1/reports/inventory.xlsx", 404),
    ("/api/v1/reports/loans.pdf?from=2026-02-01&to=2026-01-01&reason=audit", 422),
    ("/api/v1/reports/events.csv?from=2026-02-01&to=2026-01-01&reason=audit", 422),
    ("/api/v1/reports/requests.pdf?from=2026-02-01&to=2026-01-01&reason=audit", 422),
    ("/api/v1/reports/loans.pdf?from=yesterday&reason=audit", 422),
    ("/api/v1/reports/inventory.pdf?as_of=2999-01-01", 422),
    ("/api/v1/reports/inventory.csv?as_of=soon", 422),
    ("/api/v1/reports/inventory.pdf?as_of=2026-02-30", 422),
    ("/api/v1/reports/inventory.pdf?center=NOPE", 422),
    ("/api/v1/reports/inventory.csv?center=%00", 422),
    ("/api/v1/reports/inventory.pdf?center=" + "X" * 33, 422),
])
def test_report_errors_are_problems(client, auditor_headers, path, status):
    assert_problem(client.get(path, headers=auditor_headers), status)


@pytest.mark.parametrize("path,field", [
    ("/api/v1/reports/loans.pdf?from=0001-01-01&reason=audit", "from"),
    ("/api/v1/reports/loans.csv?to=0001-01-01&reason=audit", "to"),
    ("/api/v1/reports/events.pdf?from=2026-01-01&to=9999-12-31&reason=audit", "to"),
    ("/api/v1/reports/requests.csv?to=9999-12-31&reason=audit", "to"),
    ("/api/v1/reports/inventory.pdf?as_of=0001-01-01", "as_of"),
])
def test_periods_at_the_ends_of_the_calendar_are_422(client, auditor_headers, path, field):
    """Found by the fuzz run: GET /reports/loans.pdf?from=0001-01-01 was a 500, local midnight of year 1 being
    before the first moment Python knows in UTC (and a day after 9999-12-31 no day at all)."""
    body = assert_problem(client.get(path, headers=auditor_headers), 422)
    assert set(body["errors"]) == {field}, body
    assert client.get("/api/v1/reports/loans.csv?from=1900-01-01&to=9998-12-31&reason=audit",
                      headers=auditor_headers).status_code == 200


def test_who_may_download_reports(client, login):
    assert client.get("/api/v1/reports/overdue.csv?reason=audit", headers=login(IT)).status_code == 200
    assert_problem(client.get("/api/v1/reports/inventory.pdf", headers=login(EMPLOYEE)), 403)
    assert_problem(client.get("/api/v1/reports/inventory.csv", headers=login(EMPLOYEE)), 403)
    assert_problem(client.get("/api/v1/reports/inventory.pdf"), 401)


def test_openapi_documents_reports_as_binary(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    pdf_ok = spec["paths"]["/api/v1/reports/{name}.pdf"]["get"]["responses"]["200"]
    assert pdf_ok["content"]["application/pdf"]["schema"] == {"type": "string", "format": "binary"}
    assert "X-Fleet-Document-Id" in pdf_ok["headers"]
    assert "text/csv" in spec["paths"]["/api/v1/reports/{name}.csv"]["get"]["responses"]["200"]["content"]
    names = {p["name"] for p in spec["paths"]["/api/v1/reports/{name}.pdf"]["get"]["parameters"]}
    assert {"as_of", "center", "from", "to"} <= names



def test_rendering_does_not_hold_the_write_lock(app, client, auditor_headers, it_headers, monkeypatch, database_url):
    """On SQLite, a hand-over can take the write lock while a (long) report or label sheet renders."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock")
    import reports

    stock(app, "NB-001")
    path = database_url.removeprefix("sqlite:///")
    took_the_lock = []

    def other_writer():
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            took_the_lock.append(True)
        finally:
            other.close()

    def wrap(render):
        def rendering(*args, **kwargs):
            other_writer()
            return render(*args, **kwargs)
        return rendering

    monkeypatch.setattr(reports, "render_table_report", wrap(reports.render_table_report))
    monkeypatch.setattr(reports, "render_labels", wrap(reports.render_labels))
    response = client.get("/api/v1/reports/inventory.pdf", headers=auditor_headers)
    assert response.status_code == 200 and response.headers["X-Fleet-Document-Id"]
    assert client.get("/api/v1/labels.pdf?center=JJ", headers=it_headers).status_code == 200
    assert took_the_lock == [True, True]
