"""Requests and the queue through the API, with real tokens from the real directory:
priority order and positions, one open request, personal data, decisions, validation,
concurrency under gunicorn, and the OpenAPI document."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests as http

from fleet.clock import local_today
from fleet.directory import directory_from_config
from fleet.extensions import db
from fleet.models import Asset, Center, Event, Loan, LoanRequest
from fleet.services.events import verify_chain
from fleet.services.pagination import encode_cursor
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import AUDITOR, DISABLED, EMPLOYEE, EMPLOYEE2, IT, IT2, LONG_DEPARTMENT
from tests.support.server import GunicornServer

PERSONAL = ("reason", "note", "decision_note", "position")


def _dates(app):
    with app.app_context():
        today = local_today()
    return today.isoformat(), (today + timedelta(days=1)).isoformat(), (today - timedelta(days=1)).isoformat()


@pytest.fixture
def days(app):
    """(today, tomorrow, yesterday) in FLEET_TIMEZONE, as the API reads dates."""
    return _dates(app)


def _request(client, headers, reason="remote_work", **extra):
    body = {"reason": reason, "needed_from": extra.pop("needed_from", None) or _tomorrow(client), **extra}
    return client.post("/api/v1/requests", json=body, headers=headers)


def _tomorrow(client) -> str:
    return _dates(client.application)[1]


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.execute(db.select(db.func.count()).select_from(LoanRequest)).scalar(),
                # log-ins are events too (auth.*): not what a refused request must leave alone
                db.session.execute(db.select(db.func.count()).select_from(Event)
                                   .where(Event.action.not_like("auth.%"))).scalar())


def _walk(client, headers, query: str, limit: int) -> list[dict]:
    items, cursor = [], None
    while True:
        url = f"/api/v1/requests?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _center(app, code="JJ"):
    with app.app_context():
        db.session.add(Center(code=code, name="진잠도서관 스마트워크센터", kind="library_info_room", seats=10))
        db.session.commit()


# The queue


def test_queue_order_and_positions(client, login, it_headers):
    _request(client, login(EMPLOYEE), "business_trip")
    _request(client, login(EMPLOYEE2), "pregnancy", note="출산 예정 3월")
    _request(client, login(LONG_DEPARTMENT), "emergency")
    _request(client, login(IT2), "pregnancy")
    _request(client, login(EMPLOYEE), "emergency", category="headset")
    _request(client, login(AUDITOR), "other")
    expected = [(LONG_DEPARTMENT, "laptop"), (EMPLOYEE, "headset"), (EMPLOYEE2, "laptop"), (IT2, "laptop"),
                (EMPLOYEE, "laptop"), (AUDITOR, "laptop")]
    for limit in (1, 2, 4, 500):
        items = _walk(client, it_headers, "status=pending", limit)
        assert [(r["requester"], r["category"], r["position"]) for r in items] == [
            (uid, category, i + 1) for i, (uid, category) in enumerate(expected)]
    first_three = client.get("/api/v1/requests?status=pending&limit=3", headers=it_headers).get_json()["items"]
    assert first_three[2]["reason"] == "pregnancy" and first_three[2]["note"] == "출산 예정 3월"
    # Filtered lists keep the places in the whole queue.
    assert [r["position"] for r in _walk(client, it_headers, "status=pending&category=laptop", 2)] == [1, 3, 4, 5, 6]
    assert [r["position"] for r in _walk(client, login(EMPLOYEE), "status=pending", 1)] == [2, 5]
    assert [r["position"] for r in _walk(client, it_headers, f"status=pending&requester={EMPLOYEE}", 1)] == [2, 5]
    # Other lists are newest first, and a pending request still says its place.
    mine = _walk(client, login(EMPLOYEE), "category=laptop", 1)
    assert [(r["category"], r["position"]) for r in mine] == [("laptop", 5)]
    everything = _walk(client, it_headers, "category=laptop", 2)
    assert len(everything) == 5
    assert [r["id"] for r in everything] == sorted((r["id"] for r in everything), reverse=True)
    single = client.get(f"/api/v1/requests/{items[1]['id']}", headers=login(EMPLOYEE)).get_json()
    assert single["position"] == 2


def test_auditors_get_no_queue_order_and_no_personal_data(client, login, it_headers, auditor_headers):
    _request(client, login(EMPLOYEE), "other")
    _request(client, login(EMPLOYEE2), "pregnancy", note="임신 20주")
    own = _request(client, auditor_headers, "childcare", note="감사인 본인").get_json()
    client.post(f"/api/v1/requests/{own['id']}/approve", json={"note": "OK"}, headers=it_headers)
    queue = _walk(client, auditor_headers, "status=pending", 1)
    assert [r["requester"] for r in queue] == [EMPLOYEE2, EMPLOYEE]  # newest first, not by reason
    for item in queue:
        assert not set(PERSONAL) & set(item), item
        assert item["requester_name"] and item["status"] == "pending"
    mine = client.get(f"/api/v1/requests/{own['id']}", headers=auditor_headers).get_json()
    assert (mine["reason"], mine["note"], mine["decision_note"]) == ("childcare", "감사인 본인", "OK")


# Visibility


def test_personal_data_stays_with_the_requester_and_it(app, client, login, auditor_headers, it_headers):
    rid = _request(client, login(EMPLOYEE), "pregnancy", note="임신 20주").get_json()["id"]
    approved = client.post(f"/api/v1/requests/{rid}/approve", json={"note": "우선 지원"}, headers=it_headers)
    assert approved.get_json()["decision_note"] == "우선 지원"
    seen = client.get(f"/api/v1/requests/{rid}", headers=auditor_headers).get_json()
    assert not set(PERSONAL) & set(seen) and seen["status"] == "approved" and seen["decided_by"] == IT
    listed = client.get("/api/v1/requests", headers=auditor_headers).get_json()["items"][0]
    assert not set(PERSONAL) & set(listed)
    for headers in (it_headers, login(EMPLOYEE)):
        shown = client.get(f"/api/v1/requests/{rid}", headers=headers).get_json()
        assert (shown["reason"], shown["note"], shown["decision_note"]) == ("pregnancy", "임신 20주", "우선 지원")
    assert_problem(client.get(f"/api/v1/requests/{rid}", headers=login(EMPLOYEE2)), 404)
    assert client.get("/api/v1/requests", headers=login(EMPLOYEE2)).get_json()["items"] == []
    assert client.get(f"/api/v1/requests?requester={EMPLOYEE}", headers=login(EMPLOYEE2)).get_json()["items"] == []
    client.post(f"/api/v1/requests/{rid}/cancel", json={"note": "출산휴가"}, headers=login(EMPLOYEE))
    with app.app_context():
        for data in db.session.execute(db.select(Event.data)).scalars():
            for secret in ("pregnancy", "임신", "우선 지원", "출산휴가", "priority"):
                assert secret not in data


def test_a_missing_request_and_another_persons_request_look_the_same(client, login):
    rid = _request(client, login(EMPLOYEE)).get_json()["id"]
    other = assert_problem(client.get(f"/api/v1/requests/{rid}", headers=login(EMPLOYEE2)), 404)
    missing = assert_problem(client.get(f"/api/v1/requests/{rid + 1}", headers=login(EMPLOYEE2)), 404)
    assert other["detail"].replace(str(rid), "N") == missing["detail"].replace(str(rid + 1), "N")
    for path in ("/api/v1/requests/0", "/api/v1/requests/99999999999999999999999"):
        assert_problem(client.get(path, headers=login(EMPLOYEE)), 404)


# Creating


def test_a_request_is_for_the_caller_unless_it_staff_name_someone(app, client, login, it_headers, days):
    _center(app)
    body = {"category": "monitor", "reason": "childcare", "needed_from": days[0], "needed_until": days[1],
            "center": "JJ", "note": "어린이집 하원"}
    response = client.post("/api/v1/requests", json=body, headers=login(EMPLOYEE2))
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert {k: made[k] for k in (*body, "requester", "requester_name", "status", "position", "decided_by")} == {
        **body, "requester": EMPLOYEE2, "requester_name": "최준호", "status": "pending", "position": 1,
        "decided_by": None}
    assert made["created_at"].endswith("+00:00")
    on_behalf = _request(client, it_headers, "emergency", requester=EMPLOYEE)
    assert on_behalf.status_code == 201 and on_behalf.get_json()["requester"] == EMPLOYEE
    assert on_behalf.get_json()["requester_name"] == "이지은" and on_behalf.get_json()["position"] == 1
    assert _request(client, login(EMPLOYEE2), category="dock", requester=EMPLOYEE2).status_code == 201
    before = _counts(app)
    for uid in (DISABLED, "nobody"):
        problem = assert_problem(_request(client, it_headers, requester=uid), 422)
        assert list(problem["errors"]) == ["requester"]
    assert _counts(app) == before


def test_one_open_request_per_person_and_category(app, client, employee_headers, it_headers):
    first = _request(client, employee_headers)
    assert first.status_code == 201 and first.get_json()["position"] == 1
    before = _counts(app)
    conflict = assert_problem(_request(client, employee_headers, "emergency"), 409)
    assert "already has an open request for a laptop" in conflict["detail"]
    assert _counts(app) == before
    assert _request(client, employee_headers, category="monitor").status_code == 201
    rid = first.get_json()["id"]
    client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=it_headers)
    assert_problem(_request(client, employee_headers), 409)  # approved is open too
    assert client.post(f"/api/v1/requests/{rid}/cancel", json={}, headers=employee_headers).status_code == 200
    assert _request(client, employee_headers).status_code == 201


def test_request_validation_changes_nothing(app, client, employee_headers, it_headers, days):
    today, tomorrow, yesterday = days
    cases = [({"reason": "vacation", "needed_from": tomorrow}, "reason"),
             ({"reason": None, "needed_from": tomorrow}, "reason"),
             ({"needed_from": tomorrow}, "reason"),
             ({"reason": "other"}, "needed_from"),
             ({"reason": "other", "needed_from": yesterday}, "needed_from"),
             ({"reason": "other", "needed_from": "2026-13-45"}, "needed_from"),
             ({"reason": "other", "needed_from": 20260101}, "needed_from"),
             ({"reason": "other", "needed_from": tomorrow, "needed_until": today}, "needed_until"),
             ({"reason": "other", "needed_from": tomorrow, "category": "spaceship"}, "category"),
             ({"reason": "other", "needed_from": tomorrow, "center": "NOPE"}, "center"),
             ({"reason": "other", "needed_from": tomorrow, "center": ""}, "center"),
             ({"reason": "other", "needed_from": tomorrow, "note": "x" * 2001}, "note"),
             ({"reason": "other", "needed_from": tomorrow, "note": ["a"]}, "note"),
             ({"reason": "other", "needed_from": tomorrow, "colour": "red"}, "colour"),
             ({"reason": "other", "needed_from": tomorrow, "requester": EMPLOYEE2}, "requester"),
             ({"reason": "other", "needed_from": tomorrow, "requester": ""}, "requester")]
    for body, field in cases:
        problem = assert_problem(client.post("/api/v1/requests", json=body, headers=employee_headers), 422)
        assert field in problem["errors"], (body, problem)
    problem = assert_problem(client.post("/api/v1/requests", json={
        "reason": "other", "needed_from": yesterday, "needed_until": "2000-01-01", "center": "NOPE"},
        headers=employee_headers), 422)
    assert set(problem["errors"]) == {"needed_from", "needed_until", "center"}
    for raw in ("[1]", "null", '"text"'):
        assert_problem(client.post("/api/v1/requests", data=raw, content_type="application/json",
                                   headers=employee_headers), 422)
    assert_problem(client.post("/api/v1/requests", data="{", content_type="application/json",
                               headers=employee_headers), 400)
    assert _counts(app) == (0, 0)
    longest = _request(client, employee_headers, note="가" * 2000, needed_from=today)
    assert longest.status_code == 201 and longest.get_json()["note"] == "가" * 2000


def test_a_request_needs_the_directory_and_says_so(app, client, login, make_app, ldap_settings):
    headers = login(EMPLOYEE)
    _request(client, headers, category="dock")
    down = make_app(FLEET_DIRECTORY=directory_from_config({**ldap_settings, "FLEET_LDAP_URI": "ldap://127.0.0.1:1",
                                                           "FLEET_LDAP_TIMEOUT": "1"}))
    before = _counts(app)
    problem = assert_problem(_request(down.test_client(), headers), 503)
    assert problem["detail"].startswith("The staff directory cannot be reached")
    assert _counts(app) == before
    assert len(down.test_client().get("/api/v1/requests", headers=headers).get_json()["items"]) == 1


# Deciding


def test_decisions(client, login, it_headers, auditor_headers):
    emp = login(EMPLOYEE)
    rid = _request(client, emp).get_json()["id"]
    assert_problem(client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=emp), 403)
    assert_problem(client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=auditor_headers), 403)
    assert_problem(client.post(f"/api/v1/requests/{rid}/reject", json={}, headers=emp), 403)
    approved = client.post(f"/api/v1/requests/{rid}/approve", json={"note": "OK"}, headers=it_headers).get_json()
    assert approved["status"] == "approved" and approved["decided_by"] == IT and approved["decided_at"]
    assert approved["position"] is None
    problem = assert_problem(client.post(f"/api/v1/requests/{rid}/reject", json={}, headers=it_headers), 409)
    assert f"Request {rid} is approved; it cannot become rejected." == problem["detail"]
    assert_problem(client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=it_headers), 409)
    assert_problem(client.post(f"/api/v1/requests/{rid}/cancel", json={}, headers=login(EMPLOYEE2)), 404)
    assert_problem(client.post(f"/api/v1/requests/{rid}/cancel", json={}, headers=auditor_headers), 403)
    assert_problem(client.post("/api/v1/requests/99999/approve", json={}, headers=it_headers), 404)
    cancelled = client.post(f"/api/v1/requests/{rid}/cancel", json={"note": "필요 없음"}, headers=emp).get_json()
    assert (cancelled["status"], cancelled["decided_by"], cancelled["decision_note"]) == ("cancelled", EMPLOYEE,
                                                                                          "필요 없음")
    problem = assert_problem(client.post(f"/api/v1/requests/{rid}/cancel", json={}, headers=it_headers), 409)
    assert "is cancelled" in problem["detail"]


def test_rejection_and_cancellation_by_it(client, login, it_headers):
    first = _request(client, login(EMPLOYEE)).get_json()["id"]
    second = _request(client, login(EMPLOYEE2)).get_json()["id"]
    rejected = client.post(f"/api/v1/requests/{first}/reject", json={"note": "재고 없음"}, headers=it_headers)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    for action in ("approve", "reject", "cancel"):
        problem = assert_problem(client.post(f"/api/v1/requests/{first}/{action}", json={}, headers=it_headers), 409)
        assert "is rejected" in problem["detail"]
    # With no body at all, a decision has no note.
    cancelled = client.post(f"/api/v1/requests/{second}/cancel", headers=it_headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["decision_note"] is None
    assert_problem(client.post(f"/api/v1/requests/{second}/approve", json={"note": "x" * 2001},
                               headers=it_headers), 422)
    assert_problem(client.post(f"/api/v1/requests/{second}/approve", json={"extra": 1}, headers=it_headers), 422)


def test_hand_over_fulfils_the_request(app, client, login, it_headers):
    stock(app, "NB-001", "NB-002")
    stock(app, "MON-01", category="monitor")
    rid = _request(client, login(EMPLOYEE)).get_json()["id"]
    problem = assert_problem(hand_over(client, it_headers, "NB-001", EMPLOYEE2, request_id=rid), 422)
    assert "was made by emp1" in problem["detail"]
    assert_problem(hand_over(client, it_headers, "MON-01", EMPLOYEE, request_id=rid), 422)
    assert hand_over(client, it_headers, "NB-001", EMPLOYEE, request_id=rid).status_code == 201
    assert client.get(f"/api/v1/requests/{rid}", headers=it_headers).get_json()["status"] == "fulfilled"
    assert "is fulfilled" in assert_problem(hand_over(client, it_headers, "NB-002", EMPLOYEE, request_id=rid),
                                            409)["detail"]
    with app.app_context():
        fulfilled = db.session.execute(db.select(Event).where(Event.action == "request.fulfilled")).scalars().all()
        assert len(fulfilled) == 1 and fulfilled[0].subject_id == str(rid) and '"loan_id":' in fulfilled[0].data


def test_hand_over_naming_an_unknown_request_is_a_field_error(app, client, it_headers):
    """Found by the fuzz run: the loan's INSERT failed on the request_id foreign key, and the conflict message then
    read the expired asset: a 500. The request is now looked up before anything is written."""
    stock(app, "NB-001")
    body = assert_problem(hand_over(client, it_headers, "NB-001", EMPLOYEE, request_id=7430872), 422)
    assert body["errors"] == {"request_id": ["Unknown request."]}
    body = assert_problem(client.post("/api/v1/loans/bulk", json={"loans": [
        {"asset_tag": "NB-001", "assignee": EMPLOYEE, "request_id": 7430872}]}, headers=it_headers), 422)
    assert "request_id" in str(body["errors"])
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == "in_stock"
        assert db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar() == 0


# Queries


@pytest.mark.parametrize("query", ["status=bogus", "category=spaceship", "limit=0", "limit=501", "limit=x",
                                   "cursor=%%%", "status=pending&cursor=" + encode_cursor([1]),
                                   "cursor=" + encode_cursor([0, "2026-01-01T00:00:00+00:00", 1]),
                                   "status=pending&cursor=" + encode_cursor([0, "not a time", 1]),
                                   "status=pending&cursor=" + encode_cursor([0, "2026-01-01T00:00:00", 1]),
                                   "status=pending&cursor=" + encode_cursor([2**40, "2026-01-01T00:00:00+00:00", 1]),
                                   "cursor=" + encode_cursor([2**80]), "cursor=" + encode_cursor(["1"]),
                                   "requester="])
def test_bad_queries_are_422_not_500(client, it_headers, query):
    assert_problem(client.get(f"/api/v1/requests?{query}", headers=it_headers), 422)


# Concurrency, through gunicorn with two worker processes


@pytest.fixture
def server(app, app_config):
    settings = {k: v for k, v in app_config.items() if k.startswith("FLEET_") and isinstance(v, str)}
    srv = GunicornServer(settings, workers=2).start()
    yield srv
    srv.stop()


def _token(server, uid: str) -> dict:
    response = http.post(f"{server.url}/api/v1/auth/token", json={"username": uid, "password": uid + "pw"},
                         timeout=10)
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_concurrent_requests_and_decisions_have_one_winner(app, server, days):
    emp, it = _token(server, EMPLOYEE), _token(server, IT)
    attempts = 12

    def post_request(i: int) -> int:
        body = {"reason": ["pregnancy", "other", "childcare"][i % 3], "needed_from": days[1], "note": f"#{i}"}
        return http.post(f"{server.url}/api/v1/requests", json=body, headers=emp, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        codes = list(pool.map(post_request, range(attempts)))
    assert sorted(codes) == [201] + [409] * (attempts - 1), codes
    [rid] = [r["id"] for r in http.get(f"{server.url}/api/v1/requests", headers=emp, timeout=10).json()["items"]]

    def decide(i: int) -> int:
        action, headers = [("approve", it), ("reject", it), ("cancel", emp), ("cancel", it)][i % 4]
        return http.post(f"{server.url}/api/v1/requests/{rid}/{action}", json={"note": f"#{i}"}, headers=headers,
                         timeout=60).status_code

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        codes = list(pool.map(decide, range(attempts)))
    final = http.get(f"{server.url}/api/v1/requests/{rid}", headers=it, timeout=10).json()["status"]
    # An approval may be followed by a cancellation; otherwise exactly one decision wins.
    winners = codes.count(200)
    assert set(codes) <= {200, 409} and (winners == 1 or (winners == 2 and final == "cancelled")), (codes, final)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(LoanRequest)).scalar() == 1
        decisions = db.session.execute(db.select(db.func.count()).select_from(Event).where(
            Event.subject_type == "request", Event.action != "request.created")).scalar()
        assert decisions == winners and verify_chain().valid


# The OpenAPI document


def test_the_openapi_document_tells_the_truth_about_requests(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["Request"]
    for field in PERSONAL:
        assert field in schema["properties"] and field not in schema.get("required", [])
    assert "auditors" in schema["properties"]["reason"]["description"]
    paths = spec["paths"]
    expected = {("/api/v1/requests", "get"): {"200", "401", "422"},
                ("/api/v1/requests", "post"): {"201", "400", "401", "409", "422", "503"},
                ("/api/v1/requests/{request_id}", "get"): {"200", "401", "404"},
                ("/api/v1/requests/{request_id}/approve", "post"): {"200", "400", "401", "403", "404", "409", "422"},
                ("/api/v1/requests/{request_id}/reject", "post"): {"200", "400", "401", "403", "404", "409", "422"},
                ("/api/v1/requests/{request_id}/cancel", "post"): {"200", "400", "401", "403", "404", "409", "422"}}
    for (path, method), codes in expected.items():
        operation = paths[path][method]
        assert codes <= set(operation["responses"]), (path, method)
        assert operation["security"] == [{"bearerAuth": []}]
    assert "Auditors" in paths["/api/v1/requests"]["get"]["description"]
    assert "Auditors" in paths["/api/v1/requests/{request_id}"]["get"]["description"]
