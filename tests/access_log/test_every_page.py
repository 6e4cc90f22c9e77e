"""Every page, walked as IT staff and as an auditor over other people's data (the pages' twin of
test_every_operation.py): a page that shows or changes personal data leaves an access entry; a page listed as
showing none shows none of emp1's or emp2's data. A new page in neither list fails
`test_every_page_is_classified`."""

from __future__ import annotations

import io

import pytest

from fleet.access_log.model import AccessEntry
from fleet.clock import local_time
from fleet.extensions import db
from fleet.models import ApiToken, Reservation
from fleet.security import get_directory
from fleet.services import loans
from tests.access_log.test_every_operation import CLIENT_IP, MARKERS, _entries, _fill, _seed
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import AUDITOR, EMPLOYEE2, IT
from tests.web.test_pages import log_in, post

# (method, rule) of pages that show no other person's personal data.
NO_PERSONAL_DATA = {
    ("GET", "/"), ("GET", "/assets"), ("GET", "/assets/<tag>/edit"), ("POST", "/assets/<tag>/edit"),
    ("POST", "/assets/<tag>/status"), ("GET", "/assets/import"), ("POST", "/assets/import"), ("GET", "/assets/new"),
    ("POST", "/assets/new"), ("GET", "/audit"), ("GET", "/audit/verify"), ("GET", "/desk"),
    ("GET", "/desk/asset-preview"), ("GET", "/desk/handover"), ("GET", "/desk/handover/batch"),
    ("GET", "/desk/labels"), ("POST", "/desk/labels"), ("POST", "/desk/leavers"),  # the sync redirects to the list
    ("GET", "/desk/stocktakes"), ("POST", "/desk/stocktakes"), ("GET", "/desk/stocktakes/<int:stocktake_id>"),
    ("POST", "/desk/stocktakes/<int:stocktake_id>"), ("POST", "/desk/stocktakes/<int:stocktake_id>/close"),
    ("GET", "/lang/<code>"), ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
    # one's own data only
    ("GET", "/me"), ("GET", "/me/bookings"), ("POST", "/me/bookings"),
    ("POST", "/me/bookings/<int:reservation_id>/cancel"),
    ("GET", "/me/request"), ("POST", "/me/request"), ("POST", "/me/requests/<int:request_id>/cancel"),
    ("GET", "/me/loans/<int:loan_id>/extend"), ("POST", "/me/loans/<int:loan_id>/extend"),
    ("GET", "/me/loans/<int:loan_id>/incident"), ("POST", "/me/loans/<int:loan_id>/incident"),
    ("GET", "/me/sessions"), ("POST", "/me/sessions/end-all"), ("POST", "/session/extend"),
    # repairs and disposal: assets, vendors, faults, costs (only the IT staff who acted are named)
    ("GET", "/desk/repairs"), ("POST", "/assets/<tag>/repairs"), ("POST", "/repairs/<int:repair_id>/close"),
    ("GET", "/desk/disposal"), ("POST", "/desk/disposal"),
}

# Pages that show or change personal data: how to call them over emp1's data, and the entry's action and target.
PERSONAL: dict[tuple[str, str], dict] = {
    ("GET", "/assets/<tag>"): {"url": "/assets/NB-001", "action": "view", "target": "asset:NB-001"},
    ("GET", "/audit/events"): {"url": "/audit/events", "action": "search", "target": "events"},
    ("GET", "/audit/reports/<any(inventory, loans, overdue, leavers, requests, events, utilisation, replacement, "
            "repairs, incidents):name>."
            "<any(pdf, csv):fmt>"): {"url": "/audit/reports/loans.csv?reason=점검", "action": "download",
                                     "target": "report:loans", "reason": "점검"},
    ("POST", "/audit/verify"): {"url": "/audit/verify", "pdf": "{document}", "action": "view",
                                "target": "document:{document}"},
    ("GET", "/desk/batches/<int:batch_id>"): {"url": "/desk/batches/{batch}", "action": "view",
                                              "target": "batch:{batch}", "it_only": True},
    ("GET", "/desk/bookings"): {"url": "/desk/bookings?center=JJ&week={booking_day}", "action": "search",
                                "target": "reservations", "it_only": True},
    ("POST", "/desk/bookings"): {"url": "/desk/bookings", "form": {
        "person": "emp2", "center": "JJ", "category": "laptop", "starts_day": "{in_3_day}", "starts_time": "09:00",
        "ends_day": "{in_3_day}", "ends_time": "12:00"}, "action": "create", "target": "reservation:",
        "subjects": ["emp2"], "it_only": True, "may_refuse": True},
    ("GET", "/desk/bookings/day"): {"url": "/desk/bookings/day?center=JJ&day={booking_day}", "action": "search",
                                    "target": "reservations", "it_only": True},
    ("POST", "/desk/bookings/<int:reservation_id>/cancel"): {
        "url": "/desk/bookings/{reservation}/cancel", "action": "change", "target": "reservation:{reservation}",
        "it_only": True},
    ("POST", "/desk/bookings/<int:reservation_id>/pick-up"): {
        "url": "/desk/bookings/{reservation2}/pick-up", "action": "create", "target": "reservation:{reservation2}",
        "it_only": True, "may_refuse": True},  # a booking from tomorrow is not picked up today
    ("POST", "/desk/documents/<int:document_id>/sign"): {
        "url": "/desk/documents/{document}/sign", "action": "change", "target": "document:", "it_only": True,
        "may_refuse": True},  # without a drawn signature there is nothing to sign
    ("POST", "/desk/handover"): {"url": "/desk/handover", "form": {"asset_tag": "NB-005", "assignee": "emp2"},
                                 "action": "create", "target": "loan:", "subjects": ["emp2"], "it_only": True},
    ("POST", "/desk/handover/batch"): {"url": "/desk/handover/batch", "form": {"lines": "NB-006 emp2"},
                                       "action": "create", "target": "batch:", "subjects": ["emp2"],
                                       "it_only": True},
    ("GET", "/desk/leavers"): {"url": "/desk/leavers", "action": "search", "target": "directory:leavers",
                               "subjects": [], "it_only": True},
    ("GET", "/desk/loans/<int:loan_id>"): {"url": "/desk/loans/{loan}", "action": "view", "target": "loan:{loan}",
                                           "it_only": True},
    ("GET", "/desk/outbox"): {"url": "/desk/outbox", "action": "search", "target": "notifications",
                              "it_only": True},
    ("POST", "/desk/outbox/<int:notification_id>/retry"): {
        "url": "/desk/outbox/{notification}/retry", "action": "change", "target": "notification:{notification}",
        "it_only": True, "may_refuse": True},  # only a failed message is retried
    ("GET", "/desk/preview"): {"url": "/desk/preview?uid=emp1", "action": "view", "target": "person:emp1",
                               "it_only": True},
    ("GET", "/desk/requests"): {"url": "/desk/requests", "action": "search", "target": "requests", "it_only": True},
    ("POST", "/desk/requests/<int:request_id>/<any(approve, reject):action>"): {
        "url": "/desk/requests/{request}/approve", "action": "change", "target": "request:{request}",
        "it_only": True},
    ("GET", "/desk/return"): {"url": "/desk/return?tag=NB-001", "action": "view", "target": "loan:{loan}",
                              "it_only": True},
    ("POST", "/desk/return/<int:loan_id>"): {"url": "/desk/return/{loan2}", "form": {
        "condition": "good", "data_wiped": "yes"}, "action": "change", "target": "loan:{loan2}", "it_only": True},
    ("GET", "/loans"): {"url": "/loans", "action": "search", "target": "loans"},
    # the desk's loan page: extensions, incident reports, swaps; inspections; a person's sessions
    ("POST", "/desk/loans/<int:loan_id>/extend"): {
        "url": "/desk/loans/{loan3}/extend", "form": {"until": "{extend_until}", "reason": "출장 연장"},
        "action": "create", "target": "extension:", "it_only": True},
    ("POST", "/desk/extensions/<int:extension_id>/<any(approve, reject):verdict>"): {
        "url": "/desk/extensions/{extension}/approve", "action": "change", "target": "extension:{extension}",
        "it_only": True},
    ("POST", "/desk/incidents/<int:incident_id>/<any('mark-lost', 'take-back', resolve):step>"): {
        "url": "/desk/incidents/{incident}/resolve", "form": {"note": "경찰 신고 완료"}, "action": "change",
        "target": "incident:{incident}", "it_only": True},
    ("POST", "/desk/loans/<int:loan_id>/swap"): {
        "url": "/desk/loans/{loan3}/swap", "form": {"asset_tag": "NB-008", "condition": "damaged",
                                                    "accessories_returned": ["charger", "bag"], "data_wiped": "yes",
                                                    "damage_notes": "화면 깨짐"},
        "action": "create", "target": "loan:", "it_only": True},  # the replacement's loan, after the return's
    ("GET", "/desk/inspections"): {"url": "/desk/inspections", "action": "search", "target": "inspections",
                                   "it_only": True},
    ("POST", "/assets/<tag>/inspections"): {"url": "/assets/NB-001/inspections", "form": {"result": "ok"},
                                            "action": "create", "target": "inspection:", "it_only": True},
    ("GET", "/desk/sessions"): {"url": "/desk/sessions?uid=emp1", "action": "view", "target": "sessions:emp1",
                                "it_only": True},
    ("POST", "/desk/sessions/end-all"): {"url": "/desk/sessions/end-all?uid=emp1", "action": "change",
                                         "target": "sessions:emp1", "it_only": True},
    # IT staff may end anyone's session from here; for an auditor another's session does not exist (404)
    ("POST", "/me/sessions/<int:session_id>/end"): {
        "url": "/me/sessions/{emp2_session}/end", "action": "change", "target": "session:{emp2_session}",
        "subjects": ["emp2"], "may_refuse": "auditor"},
}

# The privacy officer's pages (tests/access_log/test_access_log.py).
PRIVACY_ONLY = {("GET", "/privacy"), ("POST", "/privacy/reviews")}


def _pages(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".")[0] in ("web", "privacy")
            for method in rule.methods if method in ("GET", "POST")}


def test_every_page_is_classified(app):
    pages = _pages(app)
    unclassified = pages - NO_PERSONAL_DATA - set(PERSONAL) - PRIVACY_ONLY
    assert not unclassified, f"say whether these pages show personal data (tests/access_log): {unclassified}"
    assert not (NO_PERSONAL_DATA & set(PERSONAL))
    assert not (NO_PERSONAL_DATA | set(PERSONAL) | PRIVACY_ONLY) - pages


@pytest.mark.parametrize("uid, role", [(IT, "it"), (AUDITOR, "auditor")])
def test_pages_never_show_personal_data_without_an_entry(make_app, app, uid, role):
    proxied = make_app(FLEET_PROXY_COUNT=1)
    ids = _seed(proxied)
    client = proxied.test_client()
    headers = {"X-Forwarded-For": CLIENT_IP}
    with proxied.app_context():
        batch = loans.hand_over_many(get_directory(), [loans.HandoverOrder(asset_tag="NB-003", assignee="emp1")],
                                     IT_PRINCIPAL)
        ids["batch"] = batch.id
        ids["booking_day"] = local_time(db.session.get(Reservation, ids["reservation"]).starts_at).date().isoformat()
        db.session.execute(db.delete(AccessEntry))
        db.session.commit()
    ids["in_3_day"] = ids["in_3_days"][:10]
    emp2 = {"username": EMPLOYEE2, "password": EMPLOYEE2 + "pw"}
    assert client.post("/api/v1/auth/token", json=emp2).status_code < 300  # a session of emp2's, for IT to end
    with proxied.app_context():
        ids["emp2_session"] = db.session.execute(db.select(ApiToken.id).where(ApiToken.uid == EMPLOYEE2)).scalar_one()
        db.session.execute(db.delete(AccessEntry))
        db.session.commit()
    log_in(client, uid, headers=headers)
    missing = []
    for (method, rule), case in sorted(PERSONAL.items()):
        if case.get("it_only") and role != "it":
            url = _fill(case["url"], ids)
            response = client.get(url, headers=headers) if method == "GET" else post(client, url, headers=headers)
            assert response.status_code == 403, (rule, response.status_code)
            continue
        before = len(_entries(proxied))
        url = _fill(case["url"], ids)
        if "pdf" in case:
            pdf = client.get(f"/api/v1/documents/{_fill(case['pdf'], ids)}.pdf", headers=headers).data
            before = len(_entries(proxied))
            response = post(client, url, {"file": (io.BytesIO(pdf), "form.pdf")},
                            content_type="multipart/form-data", headers=headers)
        elif method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = post(client, url, _fill(case.get("form", {}), ids), headers=headers)
        entries = _entries(proxied)[before:]
        if response.status_code >= 400:
            assert case.get("may_refuse") in (True, role), (  # True: anyone may be refused; a role: that one
                method, rule, response.status_code, response.get_data(as_text=True)[:500])
            assert entries == [], rule
            continue
        if not entries:
            missing.append((method, rule))
            continue
        entry, target = entries[-1], _fill(case["target"], ids)
        assert entry["actor"] == uid and entry["role"] == role and entry["ip"] == CLIENT_IP, (rule, entry)
        assert entry["action"] == case["action"], (rule, entry)
        assert entry["target"] == target or target.endswith(":") and entry["target"].startswith(target), (rule, entry)
        assert set(case.get("subjects", ["emp1"])) <= set(entry["subjects"]), (rule, entry)
        assert entry["reason"] == case.get("reason"), (rule, entry)
    assert not missing, f"pages that showed personal data without an access entry: {missing}"

    for method, rule in sorted(NO_PERSONAL_DATA):
        if method != "GET" or "<" in rule or rule in ("/login",):
            continue
        before = len(_entries(proxied))
        response = client.get(rule, headers=headers)
        body = response.get_data(as_text=True)
        assert not [m for m in MARKERS if m in body], (rule, response.status_code)
        assert len(_entries(proxied)) == before, rule
