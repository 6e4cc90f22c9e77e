"""GET /api/v1/notifications and POST /api/v1/notifications/{id}/retry."""

from __future__ import annotations

from fleet.extensions import db
from fleet.models import Notification
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2


def test_it_sees_the_whole_outbox_anyone_else_their_own(app, client, login, it_headers):
    stock(app, "NB-001", "NB-002", "NB-003")
    for tag, who in (("NB-001", EMPLOYEE), ("NB-002", EMPLOYEE2), ("NB-003", EMPLOYEE)):
        assert hand_over(client, it_headers, tag, who).status_code == 201
    everything = client.get("/api/v1/notifications?limit=2", headers=it_headers).get_json()
    assert len(everything["items"]) == 2 and everything["next_cursor"]
    rest = client.get(f"/api/v1/notifications?limit=2&cursor={everything['next_cursor']}", headers=it_headers)
    assert [n["recipient"] for n in everything["items"] + rest.get_json()["items"]] == [EMPLOYEE, EMPLOYEE2, EMPLOYEE]
    item = everything["items"][0]
    assert item["kind"] == "handover_receipt" and item["status"] == "queued" and item["loan_id"] and \
        item["document_id"] and item["to_address"] == "emp1@example.kr" and item["language"] == "ko"
    own = client.get("/api/v1/notifications", headers=login(EMPLOYEE)).get_json()["items"]
    assert len(own) == 2 and {n["recipient"] for n in own} == {EMPLOYEE}
    assert client.get("/api/v1/notifications", headers=login(AUDITOR)).get_json()["items"] == []
    assert len(client.get(f"/api/v1/notifications?recipient={EMPLOYEE2}", headers=it_headers)
               .get_json()["items"]) == 1
    # an employee's `recipient` is ignored: still only their own
    assert len(client.get(f"/api/v1/notifications?recipient={EMPLOYEE2}", headers=login(EMPLOYEE))
               .get_json()["items"]) == 2
    assert client.get("/api/v1/notifications?status=failed", headers=it_headers).get_json()["items"] == []
    assert_problem(client.get("/api/v1/notifications?status=lost", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/notifications"), 401)


def test_only_it_retries_and_only_a_failed_message(app, client, login, it_headers):
    stock(app, "NB-001")
    hand_over(client, it_headers, "NB-001", EMPLOYEE)
    with app.app_context():
        row = db.session.execute(db.select(Notification)).scalar_one()
        nid = row.id
    assert_problem(client.post(f"/api/v1/notifications/{nid}/retry", headers=login(EMPLOYEE)), 403)
    assert "only a failed one" in assert_problem(client.post(f"/api/v1/notifications/{nid}/retry",
                                                             headers=it_headers), 409)["detail"]
    assert_problem(client.post("/api/v1/notifications/99999/retry", headers=it_headers), 404)
    assert_problem(client.post("/api/v1/notifications/99999999999/retry", headers=it_headers), 404)
    with app.app_context():
        db.session.execute(db.update(Notification).values(status="failed", attempts=3, last_error="550 no"))
        db.session.commit()
    retried = client.post(f"/api/v1/notifications/{nid}/retry", headers=it_headers).get_json()
    assert (retried["status"], retried["attempts"]) == ("queued", 0)
