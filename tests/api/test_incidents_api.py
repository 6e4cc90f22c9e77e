"""Incident reports through the API: the assignee reports, the IT desk gets a mail and acts on the report (mark
lost, take back damaged, swap, resolve), the 24-hour rule is kept, and a theft report prints a registered PDF."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from fleet.db import utcnow
from fleet.extensions import db
from fleet.models import Asset, Event, Incident, Loan, Notification
from fleet.services.events import verify_chain
from tests.api.test_auth_api import assert_problem
from tests.api.test_extensions_api import lend as lend_now
from tests.api.test_loans_api import stock
from tests.api.test_swap_api import BROKEN
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT
from tests.support.pdf import flat_text

DESK = "itdesk@example.kr"


def lend(app, client, headers, tag="NB-001", assignee=EMPLOYEE) -> dict:
    """A loan handed over three days ago (an incident cannot have happened before its hand-over)."""
    loan = lend_now(app, client, headers, tag=tag, assignee=assignee)
    with app.app_context():
        backdated = db.session.get(Loan, loan["id"])
        backdated.checked_out_at = utcnow() - timedelta(days=3)
        db.session.commit()
        # A loan's number carries the (local) year of its hand-over: in the first days of January, last year's.
        return {**loan, "number": backdated.number}


def report(client, headers, loan, kind="stolen", hours_ago=3, place="대전 유성구 봉명동 카페",
           description="가방째 도난"):
    happened = (utcnow() - timedelta(hours=hours_ago)).isoformat()
    return client.post(f"/api/v1/loans/{loan['number']}/incidents", headers=headers,
                       json={"kind": kind, "happened_at": happened, "place": place, "description": description})


@pytest.fixture
def desk_app(make_app):
    """The app with the IT desk's mailbox set, so the desk's mails are queued."""
    return make_app(FLEET_MAIL_IT_DESK=DESK)


def test_the_assignee_reports_and_the_desk_is_told(app, desk_app, client, it_headers, employee_headers, login):
    loan = lend(app, client, it_headers)
    desk = desk_app.test_client()
    response = report(desk, employee_headers, loan)
    assert response.status_code == 201, response.get_json()
    incident = response.get_json()
    assert incident["kind"] == "stolen" and incident["status"] == "open" and incident["reported_by"] == EMPLOYEE
    assert incident["reported_within_24h"] is True and incident["number"].endswith(f"{incident['id']:06d}")
    assert incident["loan_number"] == loan["number"] and incident["asset_tag"] == "NB-001"
    with app.app_context():
        mail = db.session.execute(db.select(Notification).where(Notification.kind == "incident_reported")).scalar()
        assert mail.to_address == DESK and mail.data["incident_id"] == incident["id"]
        event = db.session.execute(db.select(Event).where(Event.action == "incident.reported")).scalar()
        data = json.loads(event.data)
        assert data["after"]["reported_within_24h"] is True and "봉명동" not in event.data and "도난" not in event.data
    # The desk lists open reports; the assignee sees their own; another employee nothing.
    listed = client.get("/api/v1/incidents?status=open", headers=it_headers).get_json()["items"]
    assert [i["id"] for i in listed] == [incident["id"]]
    assert client.get("/api/v1/incidents", headers=login(AUDITOR)).get_json()["items"][0]["id"] == incident["id"]
    assert client.get("/api/v1/incidents", headers=employee_headers).get_json()["items"][0]["place"] == \
        "대전 유성구 봉명동 카페"
    assert client.get("/api/v1/incidents", headers=login(EMPLOYEE2)).get_json()["items"] == []
    assert_problem(client.get(f"/api/v1/incidents/{incident['id']}", headers=login(EMPLOYEE2)), 404)


def test_only_the_assignee_reports_and_bad_input_changes_nothing(app, client, it_headers, employee_headers,
                                                                 login):
    loan = lend(app, client, it_headers)
    assert_problem(report(client, it_headers, loan), 403)
    assert_problem(report(client, login(EMPLOYEE2), loan), 404)
    assert "kind" in assert_problem(report(client, employee_headers, loan, kind="broken"), 422)["errors"]
    assert "happened_at" in assert_problem(report(client, employee_headers, loan, hours_ago=-2), 422)["errors"]
    assert "place" in assert_problem(report(client, employee_headers, loan, place=""), 422)["errors"]
    naive = client.post(f"/api/v1/loans/{loan['id']}/incidents", headers=employee_headers, json={
        "kind": "lost", "happened_at": "2026-12-01T10:00:00", "place": "x", "description": "y"})
    assert "happened_at" in assert_problem(naive, 422)["errors"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Incident)).scalar() == 0


def test_a_late_report_is_kept_as_late(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    assert "happened_at" in assert_problem(report(client, employee_headers, loan, hours_ago=24 * 4), 422)["errors"]
    late = report(client, employee_headers, loan, kind="lost", hours_ago=30).get_json()
    assert late["reported_within_24h"] is False


def test_marking_lost_from_the_report_closes_both(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    incident = report(client, employee_headers, loan).get_json()
    done = client.post(f"/api/v1/incidents/{incident['id']}/close", json={"action": "mark_lost"}, headers=it_headers)
    assert done.status_code == 200, done.get_json()
    closed = done.get_json()
    assert closed["status"] == "closed" and closed["resolution"] == "marked_lost" and closed["resolved_by"] == IT
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=it_headers).get_json()["status"] == "lost"
    assert_problem(client.post(f"/api/v1/incidents/{incident['id']}/close", json={"action": "resolve", "note": "x"},
                               headers=it_headers), 409)
    assert_problem(report(client, employee_headers, loan), 409)  # the loan is closed now
    with app.app_context():
        assert verify_chain().valid


def test_taking_back_damaged_and_resolving(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    damaged = report(client, employee_headers, loan, kind="damaged", description="액정 파손").get_json()
    resolved = client.post(f"/api/v1/incidents/{damaged['id']}/close", headers=it_headers,
                           json={"action": "resolve", "note": "현장에서 케이블 교체로 해결"})
    assert resolved.get_json()["resolution"] == "resolved"
    assert_problem(client.post(f"/api/v1/incidents/{damaged['id']}/close", headers=it_headers,
                               json={"action": "resolve", "note": "again"}), 409)
    again = report(client, employee_headers, loan, kind="damaged", description="다시 파손").get_json()
    assert "note" in assert_problem(client.post(f"/api/v1/incidents/{again['id']}/close", headers=it_headers,
                                                json={"action": "resolve"}), 422)["errors"]
    back = client.post(f"/api/v1/incidents/{again['id']}/close", headers=it_headers,
                       json={"action": "take_back", "accessories_returned": ["charger", "bag"]})
    assert back.status_code == 200 and back.get_json()["resolution"] == "taken_back"
    returned = client.get(f"/api/v1/loans/{loan['id']}", headers=it_headers).get_json()
    assert returned["status"] == "returned" and returned["return_condition"] == "damaged"
    assert returned["damage_notes"] == "다시 파손"
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == "in_repair"
    assert_problem(client.post(f"/api/v1/incidents/{again['id']}/close", json={"action": "resolve"}), 401)


def test_a_swap_from_a_damage_report_closes_it_linked_to_the_new_loan(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    stock(app, "NB-NEW")
    damaged = report(client, employee_headers, loan, kind="damaged").get_json()
    other = lend(app, client, it_headers, tag="NB-OTHER", assignee=EMPLOYEE2)
    assert "incident_id" in assert_problem(client.post(f"/api/v1/loans/{other['id']}/swap", headers=it_headers, json={
        **BROKEN, "asset_tag": "NB-NEW", "incident_id": damaged["id"]}), 422)["errors"]
    response = client.post(f"/api/v1/loans/{loan['id']}/swap", headers=it_headers,
                           json={**BROKEN, "asset_tag": "NB-NEW", "incident_id": damaged["id"]})
    assert response.status_code == 201, response.get_json()
    new = response.get_json()["handed_over"]
    closed = client.get(f"/api/v1/incidents/{damaged['id']}", headers=employee_headers).get_json()
    assert closed["status"] == "closed" and closed["resolution"] == "swapped"
    assert closed["replacement_loan_id"] == new["id"]


def test_the_theft_report_pdf_is_registered_and_read_back(app, client, it_headers, employee_headers, login):
    loan = lend(app, client, it_headers)
    incident = report(client, employee_headers, loan).get_json()
    first = client.get(f"/api/v1/incidents/{incident['id']}/report.pdf", headers=employee_headers)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    flat = flat_text(first.data)
    for fact in ("장비도난·분실신고서", incident["number"], "NB-001", "SN-NB-001", "대전광역시유성구청", "도난Theft",
                 "대전유성구봉명동카페", "가방째도난", "이지은", loan["number"]):
        assert fact in flat, fact
    # the same bytes again, for anyone allowed; registered with its SHA-256
    again = client.get(f"/api/v1/incidents/{incident['id']}/report.pdf", headers=login(AUDITOR))
    assert again.data == first.data
    ref = client.get(f"/api/v1/incidents/{incident['id']}", headers=it_headers).get_json()["report_document"]
    document = client.get(f"/api/v1/documents/{ref['id']}", headers=it_headers).get_json()
    assert document["kind"] == "theft_report" and document["sha256"] == hashlib.sha256(first.data).hexdigest()
    verified = client.post("/api/v1/documents/verify", data=first.data, headers={**it_headers,
                                                                                 "Content-Type": "application/pdf"})
    assert verified.get_json()["registered"] is True
    assert client.get(ref["url"], headers=employee_headers).data == first.data
    assert_problem(client.get(f"/api/v1/incidents/{incident['id']}/report.pdf", headers=login(EMPLOYEE2)), 404)
    damaged = report(client, employee_headers, loan, kind="damaged").get_json()
    assert_problem(client.get(f"/api/v1/incidents/{damaged['id']}/report.pdf", headers=employee_headers), 409)


@pytest.mark.parametrize("language,words", [("ko", ("도난 신고", "24시간 이내 신고", "예")),
                                            ("en", ("Stolen reported", "Reported within 24 hours", "yes"))])
def test_the_desk_mail_says_what_was_reported(app, desk_app, client, it_headers, employee_headers, language, words):
    from fleet.services.mail_content import gather

    loan = lend(app, client, it_headers)
    report(desk_app.test_client(), employee_headers, loan)
    with app.test_request_context():
        mail = db.session.execute(db.select(Notification).where(Notification.kind == "incident_reported")).scalar()
        content = gather(mail, language)
    assert words[0] in content.subject and loan["number"] in content.subject
    facts = dict(content.facts)
    assert facts[words[1]] == words[2]
    assert "대전 유성구 봉명동 카페" in facts.values() and "가방째 도난" in facts.values()
