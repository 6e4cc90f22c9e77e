"""Every API operation, walked as IT staff and as an auditor over other people's data: one that shows or changes
personal data must leave an access entry with the right fields; one listed as showing none must show none.

The lists are the rule for a new endpoint (docs/access-log.md): put it in PERSONAL (with what its entry must say)
or in NO_PERSONAL_DATA. An operation in neither fails `test_every_operation_is_classified`.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fleet.access_log.model import AccessEntry
from fleet.clock import local_today
from fleet.db import utcnow
from fleet.extensions import db
from fleet.models import ApiToken, Loan, LoanRequest, Reservation
from fleet.security import get_directory
from fleet.services import extensions as extension_service
from fleet.services import incidents as incident_service
from fleet.services import repairs as repair_service
from fleet.services import requests as request_service
from fleet.services import reservations as reservation_service
from fleet.services.auth import Principal
from tests.api.test_loans_api import stock
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT, IT2

CLIENT_IP = "203.0.113.7"
# What would betray emp1's or emp2's data in an answer: uid, name, e-mail, employee number.
MARKERS = ("emp1", "emp2", "이지은", "최준호", "emp1@example.kr", "E3001", "E3002")

# Operations that show no other person's personal data (to anyone).
NO_PERSONAL_DATA = {
    ("get", "/healthz"), ("get", "/readyz"), ("post", "/api/v1/auth/token"),
    ("delete", "/api/v1/auth/token"), ("get", "/api/v1/me"),
    ("get", "/api/v1/centers"), ("post", "/api/v1/centers"), ("get", "/api/v1/centers/{code}"),
    ("patch", "/api/v1/centers/{code}"),
    ("get", "/api/v1/assets"), ("post", "/api/v1/assets"), ("post", "/api/v1/assets/import"),
    ("get", "/api/v1/assets/{tag}"), ("patch", "/api/v1/assets/{tag}"), ("post", "/api/v1/assets/{tag}/status"),
    ("get", "/api/v1/events/verify"), ("get", "/api/v1/events/checkpoints"),
    ("post", "/api/v1/stocktakes"), ("get", "/api/v1/stocktakes/{stocktake_id}"),
    ("post", "/api/v1/stocktakes/{stocktake_id}/scans"), ("post", "/api/v1/stocktakes/{stocktake_id}/close"),
    ("get", "/api/v1/stocktakes/{stocktake_id}/report.pdf"), ("get", "/api/v1/labels.pdf"),
    ("get", "/api/v1/availability"),
    ("get", "/api/v1/access-log/verify"), ("post", "/api/v1/access-log/reviews"),
    # repairs and disposal lists: assets, vendors, faults, costs; they name only the IT staff who acted, as the
    # asset pages do
    ("get", "/api/v1/repairs"), ("post", "/api/v1/repairs"), ("get", "/api/v1/repairs/{repair_id}"),
    ("post", "/api/v1/repairs/{repair_id}/close"), ("post", "/api/v1/disposals"),
    ("get", "/api/v1/disposals/{disposal_id}"),
    # one's own data only: the caller's sessions; an incident is reported by the assignee alone (IT staff and
    # auditors are refused)
    ("get", "/api/v1/auth/session"), ("get", "/api/v1/auth/sessions"), ("delete", "/api/v1/auth/sessions"),
    ("post", "/api/v1/loans/{loan_ref}/incidents"),
}

# Operations that show or change personal data: how to call them over emp1's data, and what the entry says.
# {loan}, {loan2}, {request}, {request2}, {request3}, {reservation}, {document} are filled from the seeded data.
PERSONAL: dict[tuple[str, str], dict] = {
    ("get", "/api/v1/people/{uid}"): {"url": "/api/v1/people/emp1", "action": "view", "target": "person:emp1"},
    ("get", "/api/v1/loans"): {"url": "/api/v1/loans?assignee=emp1", "action": "search", "target": "loans"},
    ("get", "/api/v1/loans/{loan_ref}"): {"url": "/api/v1/loans/{loan}", "action": "view", "target": "loan:{loan}"},
    ("post", "/api/v1/loans"): {"url": "/api/v1/loans", "json": {"asset_tag": "NB-003", "assignee": "emp2"},
                                "action": "create", "target": "loan:", "subjects": ["emp2"]},
    ("post", "/api/v1/loans/bulk"): {"url": "/api/v1/loans/bulk", "json": {"loans": [
        {"asset_tag": "NB-004", "assignee": "emp2"}]}, "action": "create", "target": "batch:", "subjects": ["emp2"]},
    ("post", "/api/v1/loans/{loan_ref}/return"): {
        "url": "/api/v1/loans/{loan}/return", "json": {"condition": "good", "data_wiped": True},
        "action": "change", "target": "loan:{loan}"},
    ("post", "/api/v1/loans/{loan_ref}/lost"): {"url": "/api/v1/loans/{loan2}/lost", "json": {"reason": "분실"},
                                                "action": "change", "target": "loan:{loan2}"},
    ("get", "/api/v1/requests"): {"url": "/api/v1/requests", "action": "search", "target": "requests"},
    ("post", "/api/v1/requests"): {"url": "/api/v1/requests", "json": {
        "requester": "emp2", "reason": "remote_work", "needed_from": "{tomorrow}"},
        "action": "create", "target": "request:", "subjects": ["emp2"]},
    ("get", "/api/v1/requests/{request_id}"): {"url": "/api/v1/requests/{request}", "action": "view",
                                                "target": "request:{request}"},
    ("post", "/api/v1/requests/{request_id}/approve"): {"url": "/api/v1/requests/{request}/approve", "json": {},
                                                         "action": "change", "target": "request:{request}"},
    ("post", "/api/v1/requests/{request_id}/reject"): {"url": "/api/v1/requests/{request2}/reject", "json": {},
                                                        "action": "change", "target": "request:{request2}"},
    ("post", "/api/v1/requests/{request_id}/cancel"): {"url": "/api/v1/requests/{request3}/cancel", "json": {},
                                                        "action": "change", "target": "request:{request3}"},
    ("get", "/api/v1/events"): {"url": "/api/v1/events", "action": "search", "target": "events"},
    ("get", "/api/v1/events/export"): {"url": "/api/v1/events/export?reason=감사 자료", "action": "export",
                                       "target": "events", "subjects": [], "reason": "감사 자료"},
    ("get", "/api/v1/assets/{tag}/history"): {"url": "/api/v1/assets/NB-001/history", "action": "search",
                                              "target": "asset:NB-001"},
    ("post", "/api/v1/directory/sync"): {"url": "/api/v1/directory/sync", "action": "search",
                                         "target": "directory:leavers", "subjects": []},
    ("get", "/api/v1/directory/leavers"): {"url": "/api/v1/directory/leavers", "action": "search",
                                           "target": "directory:leavers", "subjects": []},
    ("get", "/api/v1/documents/{document_id}"): {"url": "/api/v1/documents/{document}", "action": "view",
                                                 "target": "document:{document}"},
    ("get", "/api/v1/documents/{document_id}.pdf"): {"url": "/api/v1/documents/{document}.pdf", "action": "print",
                                                     "target": "document:{document}"},
    ("post", "/api/v1/documents/verify"): {"url": "/api/v1/documents/verify", "pdf": "{document}",
                                           "action": "view", "target": "document:{document}"},
    ("get", "/api/v1/reports/{name}.pdf"): {"url": "/api/v1/reports/loans.pdf?reason=점검", "action": "download",
                                            "target": "report:loans", "reason": "점검"},
    ("get", "/api/v1/reports/{name}.csv"): {"url": "/api/v1/reports/overdue.csv?reason=점검", "action": "download",
                                            "target": "report:overdue", "reason": "점검", "subjects": []},  # none late
    ("get", "/api/v1/notifications"): {"url": "/api/v1/notifications", "action": "search",
                                       "target": "notifications", "subjects": []},  # auditors: their own
    ("post", "/api/v1/notifications/{notification_id}/retry"): {
        "url": "/api/v1/notifications/{notification}/retry", "action": "change",
        "target": "notification:{notification}", "may_refuse": True},  # only a failed message can be retried
    ("get", "/api/v1/reservations"): {"url": "/api/v1/reservations", "action": "search", "target": "reservations"},
    ("post", "/api/v1/reservations"): {"url": "/api/v1/reservations", "json": {
        "person": "emp2", "center": "JJ", "category": "laptop", "starts_at": "{in_3_days}",
        "ends_at": "{in_4_days}"}, "action": "create", "target": "reservation:", "subjects": ["emp2"]},
    ("get", "/api/v1/reservations/{reservation_id}"): {"url": "/api/v1/reservations/{reservation}",
                                                        "action": "view", "target": "reservation:{reservation}"},
    ("post", "/api/v1/reservations/{reservation_id}/cancel"): {
        "url": "/api/v1/reservations/{reservation}/cancel", "action": "change",
        "target": "reservation:{reservation}"},
    ("post", "/api/v1/reservations/{reservation_id}/pick-up"): {
        "url": "/api/v1/reservations/{reservation2}/pick-up", "json": {}, "action": "create",
        "target": "reservation:{reservation2}", "may_refuse": True},  # a booking from tomorrow: not yet
    # extensions: the reason and decision note, who asked; incidents: what happened where; swaps, inspections
    ("get", "/api/v1/loans/{loan_ref}/extensions"): {"url": "/api/v1/loans/{loan}/extensions", "action": "view",
                                                     "target": "loan:{loan}"},
    ("post", "/api/v1/loans/{loan_ref}/extensions"): {
        "url": "/api/v1/loans/{loan3}/extensions", "json": {"until": "{extend_until}", "reason": "출장 연장"},
        "action": "create", "target": "extension:"},
    ("get", "/api/v1/extensions"): {"url": "/api/v1/extensions", "action": "search", "target": "extensions"},
    ("get", "/api/v1/extensions/{extension_id}"): {"url": "/api/v1/extensions/{extension}", "action": "view",
                                                    "target": "extension:{extension}"},
    ("post", "/api/v1/extensions/{extension_id}/approve"): {
        "url": "/api/v1/extensions/{extension}/approve", "json": {}, "action": "change",
        "target": "extension:{extension}"},
    ("post", "/api/v1/extensions/{extension_id}/reject"): {
        "url": "/api/v1/extensions/{extension2}/reject", "json": {"note": "반려"}, "action": "change",
        "target": "extension:{extension2}"},
    ("get", "/api/v1/incidents"): {"url": "/api/v1/incidents", "action": "search", "target": "incidents"},
    ("get", "/api/v1/incidents/{incident_id}"): {"url": "/api/v1/incidents/{incident}", "action": "view",
                                                  "target": "incident:{incident}"},
    ("get", "/api/v1/incidents/{incident_id}/report.pdf"): {
        "url": "/api/v1/incidents/{incident}/report.pdf", "action": "print", "target": "incident:{incident}"},
    ("post", "/api/v1/incidents/{incident_id}/close"): {
        "url": "/api/v1/incidents/{incident}/close", "json": {"action": "resolve", "note": "경찰 신고 완료"},
        "action": "change", "target": "incident:{incident}"},
    ("post", "/api/v1/loans/{loan_ref}/swap"): {
        "url": "/api/v1/loans/{loan3}/swap", "json": {"asset_tag": "NB-008", "condition": "damaged",
                                                      "accessories_returned": ["charger", "bag"],
                                                      "data_wiped": True, "damage_notes": "화면 깨짐"},
        "action": "create", "target": "loan:"},  # the replacement's loan (after the return's entry)
    ("get", "/api/v1/inspections/due"): {"url": "/api/v1/inspections/due", "action": "search",
                                         "target": "inspections", "it_only": True},
    ("post", "/api/v1/assets/{tag}/inspections"): {"url": "/api/v1/assets/NB-001/inspections",
                                                   "json": {"result": "ok"}, "action": "create",
                                                   "target": "inspection:"},
    # sessions: where a person is logged in, from which address
    ("get", "/api/v1/people/{uid}/sessions"): {"url": "/api/v1/people/emp1/sessions", "action": "view",
                                               "target": "sessions:emp1", "it_only": True},
    ("delete", "/api/v1/people/{uid}/sessions"): {"url": "/api/v1/people/emp1/sessions", "action": "change",
                                                  "target": "sessions:emp1", "it_only": True},
    ("delete", "/api/v1/auth/sessions/{session_id}"): {"url": "/api/v1/auth/sessions/{session}", "action": "change",
                                                       "target": "session:{session}"},
}

# The privacy officer's operations: recorded too where they show people (tested in test_access_log_api.py).
PRIVACY_ONLY = {
    ("get", "/api/v1/access-log"), ("get", "/api/v1/access-log/export"),
    ("get", "/api/v1/reports/access-review.pdf"), ("get", "/api/v1/reports/access-review.csv"),
}


def _operations(client) -> set[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").get_json()
    return {(method, path) for path, item in spec["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def test_every_operation_is_classified(client):
    operations = _operations(client)
    unclassified = operations - NO_PERSONAL_DATA - set(PERSONAL) - PRIVACY_ONLY
    assert not unclassified, f"say whether these show personal data (tests/access_log/{__name__}): {unclassified}"
    assert not (NO_PERSONAL_DATA & set(PERSONAL)), "an operation is in both lists"
    stale = (NO_PERSONAL_DATA | set(PERSONAL) | PRIVACY_ONLY) - operations
    assert not stale, f"listed but gone: {stale}"


def _seed(app) -> dict:
    """emp1's data, made by another IT staff member (it2): four loans (one handed over seven months ago, due for
    its inspection), three requests (one for pregnancy), two bookings, the handover form, two pending extensions
    and a theft report (emp1's own), two sessions of emp1, and a repair; emp2 holds nothing yet."""
    stock(app, *(f"NB-{n:03d}" for n in range(1, 11)))
    app.config["FLEET_INSPECTION_MONTHS"] = {"laptop": 6}
    client = app.test_client()
    it2 = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
        "username": IT2, "password": IT2 + "pw"}).get_json()["token"]}
    loan = client.post("/api/v1/loans", json={"asset_tag": "NB-001", "assignee": EMPLOYEE}, headers=it2).get_json()
    loan2 = client.post("/api/v1/loans", json={"asset_tag": "NB-002", "assignee": EMPLOYEE}, headers=it2).get_json()
    loan3, loan4 = (client.post("/api/v1/loans", json={"asset_tag": tag, "assignee": EMPLOYEE}, headers=it2)
                    .get_json() for tag in ("NB-007", "NB-009"))
    for _ in range(2):
        assert client.post("/api/v1/auth/token", json={"username": EMPLOYEE, "password": EMPLOYEE + "pw"}
                           ).status_code in (200, 201)
    with app.app_context():
        today = local_today()
        reqs = [request_service.create_request(get_directory(), IT_PRINCIPAL, requester=EMPLOYEE, category=category,
                                               reason=reason, needed_from=today + timedelta(days=1))
                for category, reason in (("laptop", "pregnancy"), ("monitor", "remote_work"), ("dock", "other"))]
        db.session.commit()
        bookings = [reservation_service.book(get_directory(), IT_PRINCIPAL, person=EMPLOYEE, center="JJ",
                                             category="laptop", starts_at=start, ends_at=start + timedelta(hours=4))
                    for start in (reservation_service.local_midnight(today + timedelta(days=days)) + timedelta(hours=9)
                                  for days in (5, 1))]
        db.session.commit()
        from fleet.models import Notification

        notification = db.session.execute(db.select(Notification.id).limit(1)).scalar()
        emp1 = Principal(EMPLOYEE, "이지은", frozenset({"employee"}))
        exts = [extension_service.request_extension(get_directory(), emp1, db.session.get(Loan, loan_id),
                                                    until=db.session.get(Loan, loan_id).due_date + timedelta(days=3),
                                                    reason="출장이 길어졌습니다")
                for loan_id in (loan["id"], loan2["id"])]
        incident = incident_service.report_incident(emp1, db.session.get(Loan, loan["id"]), kind="stolen",
                                                    happened_at=utcnow(), place="대전역 대합실",
                                                    description="가방째 도난")
        repair_service.open_repair(IT_PRINCIPAL, asset_tag="NB-010", vendor="LG 서비스", fault="키보드 불량")
        db.session.get(Loan, loan4["id"]).checked_out_at = utcnow() - timedelta(days=215)
        db.session.commit()
        sessions = db.session.execute(db.select(ApiToken.id).where(ApiToken.uid == EMPLOYEE)
                                      .order_by(ApiToken.id)).scalars().all()
        assert len(sessions) == 2
        ids = {"request": reqs[0].id, "request2": reqs[1].id, "request3": reqs[2].id,
               "reservation": bookings[0].id, "reservation2": bookings[1].id, "notification": notification or 1,
               "loan3": loan3["id"], "loan4": loan4["id"], "extension": exts[0].id, "extension2": exts[1].id,
               "incident": incident.id, "session": sessions[0], "session2": sessions[1],
               "extend_until": (db.session.get(Loan, loan3["id"]).due_date + timedelta(days=2)).isoformat()}
        db.session.execute(db.delete(AccessEntry))  # it2's own entries are not what this test is about
        db.session.commit()
        assert db.session.get(LoanRequest, ids["request"]).reason == "pregnancy"
        assert db.session.get(Reservation, ids["reservation"]).person_uid == EMPLOYEE
    return {"loan": loan["id"], "loan2": loan2["id"], "document": loan["handover_document"]["id"],
            "tomorrow": (today + timedelta(days=1)).isoformat(),
            "in_3_days": (today + timedelta(days=3)).isoformat() + "T09:00",
            "in_4_days": (today + timedelta(days=3)).isoformat() + "T12:00", **ids}


def _fill(value, ids):
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]) if m.group(1) in ids else m.group(0), value)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _entries(app) -> list[dict]:
    from fleet.access_log.chain import entry_view

    with app.app_context():
        rows = db.session.execute(db.select(AccessEntry).order_by(AccessEntry.seq)).scalars().all()
        return [entry_view(row) for row in rows]


@pytest.mark.parametrize("uid, role", [(IT, "it"), (AUDITOR, "auditor")])
def test_personal_data_is_never_shown_without_an_entry(make_app, app, uid, role):
    """Behind one reverse proxy (FLEET_PROXY_COUNT=1): the entry has the client's address, not the proxy's."""
    proxied = make_app(FLEET_PROXY_COUNT=1)
    ids = _seed(proxied)
    client = proxied.test_client()
    token = client.post("/api/v1/auth/token", json={"username": uid, "password": uid + "pw"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": CLIENT_IP}
    operations = _operations(client)
    missing = []
    for (method, path), case in sorted(PERSONAL.items()):
        assert (method, path) in operations
        before = len(_entries(proxied))
        url = _fill(case["url"], ids)
        if case.get("it_only") and role != "it":
            response = getattr(client, method)(url, headers=headers)
            assert response.status_code == 403 and _entries(proxied)[before:] == [], (method, path)
            continue
        if "pdf" in case:
            pdf = client.get(f"/api/v1/documents/{_fill(case['pdf'], ids)}.pdf", headers=headers).data
            before = len(_entries(proxied))
            response = client.post(url, data=pdf, content_type="application/pdf", headers=headers)
        elif method == "get":
            response = client.get(url, headers=headers)
        else:
            response = getattr(client, method)(url, json=_fill(case.get("json", {}), ids), headers=headers)
        body = response.get_data()
        entries = _entries(proxied)[before:]
        if response.status_code >= 400:
            # Refused (an auditor changes nothing; or the state forbids it): nothing shown, nothing recorded.
            assert (role == "auditor" and method != "get") or case.get("may_refuse"), (
                method, path, response.status_code, body[:300])
            assert entries == [], (method, path)
            continue
        if not entries:
            missing.append((method, path))
            continue
        entry = entries[-1]
        target = _fill(case["target"], ids)
        assert entry["actor"] == uid and entry["role"] == role and entry["ip"] == CLIENT_IP, (path, entry)
        assert entry["action"] == case["action"], (path, entry)
        assert entry["target"] == target or target.endswith(":") and entry["target"].startswith(target), (
            path, entry)
        expected = case.get("subjects", [EMPLOYEE])
        assert set(expected) <= set(entry["subjects"]), (path, entry)
        assert uid not in entry["subjects"]
        assert entry["reason"] == case.get("reason"), (path, entry)
    assert not missing, f"personal data shown without an access entry: {missing}"

    # And the operations that show no personal data show none of emp1's or emp2's (nor record anything).
    for method, path in sorted(NO_PERSONAL_DATA):
        if method != "get" or "{" in path:
            continue
        before = len(_entries(proxied))
        body = client.get(path, headers=headers).get_data(as_text=True)
        assert not [m for m in MARKERS if m in body], (path, body[:300])
        assert len(_entries(proxied)) == before, path


def test_an_employee_reading_their_own_data_is_not_recorded(app, client, login):
    ids = _seed(app)
    headers = login(EMPLOYEE)
    for url in ("/api/v1/loans", f"/api/v1/loans/{ids['loan']}", "/api/v1/requests",
                f"/api/v1/requests/{ids['request']}", f"/api/v1/documents/{ids['document']}.pdf",
                "/api/v1/people/emp1", "/api/v1/reservations"):
        assert client.get(url, headers=headers).status_code == 200, url
    assert _entries(app) == []
    # Another employee's data stays out of reach (404), and is not recorded either.
    assert client.get(f"/api/v1/loans/{ids['loan']}", headers=login(EMPLOYEE2)).status_code == 404
    assert _entries(app) == []


def test_sensitive_request_reasons_are_named_in_the_entry(app, client, login):
    ids = _seed(app)
    client.get(f"/api/v1/requests/{ids['request']}", headers=login(IT))
    client.get(f"/api/v1/requests/{ids['request']}", headers=login(AUDITOR))  # auditors never see the reason
    it_entry, auditor_entry = _entries(app)
    assert it_entry["params"]["sensitive_reasons"] == ["pregnancy"]
    assert "sensitive_reasons" not in auditor_entry["params"]
