"""Requests and the queue: priority order, one open request, personal data, decisions."""

from __future__ import annotations

from datetime import date, timedelta

from fleet.extensions import db
from fleet.models import Event, LoanRequest
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2, LONG_DEPARTMENT

TOMORROW = (date.today() + timedelta(days=2)).isoformat()


def _request(client, headers, reason="remote_work", **extra):
    return client.post("/api/v1/requests", json={"reason": reason, "needed_from": TOMORROW, **extra}, headers=headers)


def test_queue_order_and_positions(client, login, it_headers):
    _request(client, login(EMPLOYEE), "business_trip")
    _request(client, login(EMPLOYEE2), "pregnancy", note="출산 예정 3월")
    _request(client, login(LONG_DEPARTMENT), "emergency")
    _request(client, login("it2"), "pregnancy")
    queue = client.get("/api/v1/requests?status=pending&limit=2", headers=it_headers).get_json()
    items = queue["items"]
    rest = client.get(f"/api/v1/requests?status=pending&limit=2&cursor={queue['next_cursor']}",
                      headers=it_headers).get_json()["items"]
    assert [(r["requester"], r["position"]) for r in items + rest] == [
        (LONG_DEPARTMENT, 1), (EMPLOYEE2, 2), ("it2", 3), (EMPLOYEE, 4)]
    assert items[1]["reason"] == "pregnancy" and items[1]["note"] == "출산 예정 3월"


def test_one_open_request_per_person_and_category(client, employee_headers):
    first = _request(client, employee_headers)
    assert first.status_code == 201 and first.get_json()["position"] == 1
    assert_problem(_request(client, employee_headers, "emergency"), 409)
    assert _request(client, employee_headers, category="monitor").status_code == 201
    rid = first.get_json()["id"]
    assert client.post(f"/api/v1/requests/{rid}/cancel", json={}, headers=employee_headers).status_code == 200
    assert _request(client, employee_headers).status_code == 201


def test_personal_data_stays_with_the_requester_and_it(app, client, login, auditor_headers, it_headers):
    rid = _request(client, login(EMPLOYEE), "pregnancy", note="임신 20주").get_json()["id"]
    seen = client.get(f"/api/v1/requests/{rid}", headers=auditor_headers).get_json()
    assert "reason" not in seen and "note" not in seen and seen["status"] == "pending"
    listed = client.get("/api/v1/requests", headers=auditor_headers).get_json()["items"][0]
    assert "reason" not in listed and "note" not in listed
    assert client.get(f"/api/v1/requests/{rid}", headers=it_headers).get_json()["note"] == "임신 20주"
    assert_problem(client.get(f"/api/v1/requests/{rid}", headers=login(EMPLOYEE2)), 404)
    assert client.get("/api/v1/requests", headers=login(EMPLOYEE2)).get_json()["items"] == []
    client.post(f"/api/v1/requests/{rid}/approve", json={"note": "우선 지원"}, headers=it_headers)
    with app.app_context():
        for data in db.session.execute(db.select(Event.data)).scalars():
            assert "pregnancy" not in data and "임신" not in data and "우선 지원" not in data


def test_decisions(client, login, it_headers, auditor_headers):
    emp = login(EMPLOYEE)
    rid = _request(client, emp).get_json()["id"]
    assert_problem(client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=emp), 403)
    assert_problem(client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=auditor_headers), 403)
    approved = client.post(f"/api/v1/requests/{rid}/approve", json={"note": "OK"}, headers=it_headers).get_json()
    assert approved["status"] == "approved" and approved["decided_by"] == "it1"
    assert "approved" in assert_problem(client.post(f"/api/v1/requests/{rid}/reject", json={}, headers=it_headers),
                                        409)["detail"]
    assert_problem(client.post(f"/api/v1/requests/{rid}/cancel", json={}, headers=login(EMPLOYEE2)), 404)
    assert_problem(client.post("/api/v1/requests/99999/approve", json={}, headers=it_headers), 404)


def test_hand_over_fulfils_the_request(app, client, login, it_headers):
    stock(app, "NB-001", "NB-002")
    rid = _request(client, login(EMPLOYEE)).get_json()["id"]
    assert_problem(hand_over(client, it_headers, "NB-001", EMPLOYEE2, request_id=rid), 422)
    assert hand_over(client, it_headers, "NB-001", EMPLOYEE, request_id=rid).status_code == 201
    assert client.get(f"/api/v1/requests/{rid}", headers=it_headers).get_json()["status"] == "fulfilled"
    assert_problem(hand_over(client, it_headers, "NB-002", EMPLOYEE, request_id=rid), 409)


def test_request_validation_changes_nothing(app, client, employee_headers):
    past = (date.today() - timedelta(days=2)).isoformat()
    cases = [({"reason": "vacation", "needed_from": TOMORROW}, "reason"),
             ({"reason": "other", "needed_from": past}, "needed_from"),
             ({"reason": "other", "needed_from": TOMORROW, "needed_until": past}, "needed_until"),
             ({"reason": "other", "needed_from": TOMORROW, "center": "NOPE"}, "center"),
             ({"reason": "other", "needed_from": TOMORROW, "note": "x" * 2001}, "note"),
             ({"reason": "other", "needed_from": TOMORROW, "colour": "red"}, "colour"),
             ({"reason": "other", "needed_from": TOMORROW, "requester": EMPLOYEE2}, "requester")]
    for body, field in cases:
        problem = assert_problem(client.post("/api/v1/requests", json=body, headers=employee_headers), 422)
        assert field in problem["errors"], (body, problem)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(LoanRequest)).scalar() == 0
