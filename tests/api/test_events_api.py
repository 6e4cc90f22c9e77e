from __future__ import annotations

from sqlalchemy import text

from fleet.extensions import db
from fleet.services.events import append_event
from tests.api.test_auth_api import assert_problem


def _seed(app, n=7):
    with app.app_context():
        for i in range(n):
            append_event("it1" if i % 2 else "it2", "center.created", "center", f"C{i}", after={"i": i})
        db.session.commit()


def test_events_list_filters_and_pages(app, client, it_headers):
    _seed(app)
    page = client.get("/api/v1/events?limit=3", headers=it_headers).get_json()
    assert [e["seq"] for e in page["items"]] == [1, 2, 3] and page["next_cursor"]
    rest = client.get(f"/api/v1/events?limit=50&cursor={page['next_cursor']}", headers=it_headers).get_json()
    # Event 1 is the log-in of it_headers; the seven seeded ones follow.
    assert [e["seq"] for e in rest["items"]] == [4, 5, 6, 7, 8] and rest["next_cursor"] is None
    only = client.get("/api/v1/events?actor=it2&subject=center:C2", headers=it_headers).get_json()["items"]
    assert [(e["actor"], e["subject"]) for e in only] == [("it2", "center:C2")]
    assert only[0]["data"] == {"after": {"i": 2}}


def test_verify_reports_tampering(app, client, auditor_headers):
    _seed(app)
    assert client.get("/api/v1/events/verify", headers=auditor_headers).get_json()["valid"] is True
    with app.app_context():
        db.session.execute(text("UPDATE events SET data = '{}' WHERE seq = 5"))
        db.session.commit()
    body = client.get("/api/v1/events/verify", headers=auditor_headers).get_json()
    assert body == {**body, "valid": False, "first_bad_seq": 5, "count": 4}


def test_events_are_for_it_and_auditors_only(client, employee_headers):
    assert_problem(client.get("/api/v1/events", headers=employee_headers), 403)
    assert_problem(client.get("/api/v1/events/verify", headers=employee_headers), 403)
    assert_problem(client.get("/api/v1/events"), 401)


def test_bad_filters_are_422(client, it_headers):
    assert_problem(client.get("/api/v1/events?cursor=garbage!", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/events?limit=0", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/events?limit=501", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/events?from=yesterday", headers=it_headers), 422)
    # Was a 500 (year 1 at +09:00 is before the first moment Python knows in UTC), like the reports' periods.
    for query, field in (("from=0001-01-01T00:00:00%2B09:00", "from"), ("to=9999-12-31T23:00:00-09:00", "to")):
        body = assert_problem(client.get(f"/api/v1/events?{query}", headers=it_headers), 422)
        assert set(body["errors"]) == {field}, body
