"""Sessions and tokens that end when they should: log-out, idle and absolute limits, the actor re-check,
"log out everywhere", the directory sync, and their events. Real slapd, both databases."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from fleet.extensions import db
from fleet.models import ApiToken, Asset, Event
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2, IT

# A moment for the test clock (time-machine moves the wall clock only; the re-check's bound is monotonic).
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
PARKIT_DN = "uid=parkit,ou=people,dc=example,dc=kr"
IT_GROUP = "cn=fleet-it,ou=groups,dc=example,dc=kr"


def _token(client, uid, password=None):
    response = client.post("/api/v1/auth/token", json={"username": uid, "password": password or uid + "pw"})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}, response.get_json()["token"]


def _events(app, prefix="auth."):
    with app.app_context():
        rows = db.session.execute(db.select(Event).where(Event.action.like(f"{prefix}%")).order_by(Event.seq))
        return [(e.actor, e.action, e.subject_id, json.loads(e.data) if e.data else {}) for e in rows.scalars()]


def _rows(app, uid=None):
    with app.app_context():
        query = db.select(ApiToken)
        if uid:
            query = query.where(ApiToken.uid == uid)
        return db.session.execute(query).scalars().all()


# ---- log-out, one session, everywhere ---------------------------------------------------------------------


def test_sessions_are_listed_and_ended_one_or_all(app, client):
    first, secret = _token(client, IT)
    second, _ = _token(client, IT)
    listed = client.get("/api/v1/auth/sessions", headers=first).get_json()["items"]
    assert [s["kind"] for s in listed] == ["api", "api"] and sum(s["current"] for s in listed) == 1
    assert all(s["address"] == "127.0.0.1" and s["last_used_at"] and s["idle_expires_at"] for s in listed)
    other = next(s["id"] for s in listed if not s["current"])
    assert client.delete(f"/api/v1/auth/sessions/{other}", headers=first).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=second), 401)
    assert client.get("/api/v1/me", headers=first).status_code == 200
    third, _ = _token(client, IT)
    assert client.delete("/api/v1/auth/sessions", headers=first).get_json() == {"ended": 2}
    assert_problem(client.get("/api/v1/me", headers=first), 401)
    assert_problem(client.get("/api/v1/me", headers=third), 401)
    assert _rows(app, IT) == []
    events = _events(app)
    assert [e[1] for e in events] == ["auth.logged_in", "auth.logged_in", "auth.logged_out", "auth.logged_in",
                                      "auth.logged_out_everywhere"]
    assert events[-1][3]["after"] == {"reason": "self", "pages": 0, "tokens": 2}
    # Never the secret, its hash or the row's id in the log.
    with app.app_context():
        log = " ".join(e.data or "" for e in db.session.execute(db.select(Event)).scalars())
    assert secret not in log and "token" not in log.replace('"tokens"', "")


def test_a_token_that_logged_out_is_worthless(client):
    headers, _ = _token(client, EMPLOYEE)
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert_problem(client.delete("/api/v1/auth/token", headers=headers), 401)


def test_nobody_ends_anothers_session_but_it_staff(app, client):
    employee, _ = _token(client, EMPLOYEE)
    other, _ = _token(client, EMPLOYEE2)
    it, _ = _token(client, IT)
    theirs = client.get("/api/v1/auth/sessions", headers=other).get_json()["items"][0]["id"]
    assert_problem(client.delete(f"/api/v1/auth/sessions/{theirs}", headers=employee), 404)
    assert_problem(client.get(f"/api/v1/people/{EMPLOYEE2}/sessions", headers=employee), 403)
    assert_problem(client.delete(f"/api/v1/people/{EMPLOYEE2}/sessions", headers=employee), 403)
    assert client.get("/api/v1/me", headers=other).status_code == 200
    listed = client.get(f"/api/v1/people/{EMPLOYEE}/sessions", headers=it).get_json()["items"]
    assert len(listed) == 1 and not listed[0]["current"]
    assert client.delete(f"/api/v1/people/{EMPLOYEE}/sessions", headers=it).get_json() == {"ended": 1}
    assert_problem(client.get("/api/v1/me", headers=employee), 401)
    assert client.delete(f"/api/v1/auth/sessions/{theirs}", headers=it).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=other), 401)
    # An id beyond any database integer is simply not there (the fuzz found a 500 on SQLite).
    assert_problem(client.delete(f"/api/v1/auth/sessions/{10 ** 30}", headers=it), 404)
    everywhere = [e for e in _events(app) if e[1] == "auth.logged_out_everywhere"]
    assert everywhere == [(IT, "auth.logged_out_everywhere", EMPLOYEE,
                           {"after": {"reason": "it", "pages": 0, "tokens": 1}})]


# ---- time limits, on a test clock ----------------------------------------------------------------------------


def test_idle_limit_ends_a_token_and_use_renews_it(app, make_app):
    limited = make_app(FLEET_IDLE_MINUTES="30", FLEET_SESSION_HOURS="12").test_client()
    with time_machine.travel(T0, tick=False) as clock:
        headers, _ = _token(limited, IT)
        clock.move_to(T0 + timedelta(minutes=29))
        assert limited.get("/api/v1/me", headers=headers).status_code == 200  # renews: idle until 0:59
        clock.move_to(T0 + timedelta(minutes=58))
        assert limited.get("/api/v1/me", headers=headers).status_code == 200  # renews: idle until 1:28
        clock.move_to(T0 + timedelta(minutes=88))
        body = assert_problem(limited.get("/api/v1/me", headers=headers), 401)
    assert "expired" in body["detail"]
    assert _rows(app, IT) == []
    assert _events(app)[-1][1:] == ("auth.session_expired", IT, {"after": {"kind": "api", "limit": "idle"}})


def test_the_absolute_limit_ends_even_a_busy_session(app, make_app):
    limited = make_app(FLEET_IDLE_MINUTES="30", FLEET_SESSION_HOURS="1").test_client()
    with time_machine.travel(T0, tick=False) as clock:
        headers, _ = _token(limited, IT)
        for minutes in (20, 40, 59):
            clock.move_to(T0 + timedelta(minutes=minutes))
            assert limited.get("/api/v1/me", headers=headers).status_code == 200
        clock.move_to(T0 + timedelta(minutes=60))
        assert_problem(limited.get("/api/v1/me", headers=headers), 401)
    assert _events(app)[-1][3] == {"after": {"kind": "api", "limit": "absolute"}}


def test_reads_renew_the_idle_clock_at_most_once_a_minute(app, make_app):
    limited = make_app(FLEET_IDLE_MINUTES="30").test_client()
    with time_machine.travel(T0, tick=False) as clock:
        headers, _ = _token(limited, IT)
        for seconds in (10, 30, 59):
            clock.move_to(T0 + timedelta(seconds=seconds))
            assert limited.get("/api/v1/me", headers=headers).status_code == 200
            assert _rows(app, IT)[0].last_used_at == T0  # no write on these reads
        clock.move_to(T0 + timedelta(seconds=61))
        assert limited.get("/api/v1/me", headers=headers).status_code == 200
        assert _rows(app, IT)[0].last_used_at == T0 + timedelta(seconds=61)


def test_the_session_endpoint_tells_the_time_left_and_does_not_renew(app, make_app):
    limited = make_app(FLEET_IDLE_MINUTES="30", FLEET_SESSION_HOURS="12").test_client()
    with time_machine.travel(T0, tick=False) as clock:
        headers, _ = _token(limited, IT)
        clock.move_to(T0 + timedelta(minutes=10))
        body = limited.get("/api/v1/auth/session", headers=headers).get_json()
        assert _rows(app, IT)[0].last_used_at == T0  # asking did not renew
    assert datetime.fromisoformat(body["ends_at"]) == T0 + timedelta(minutes=30)
    assert datetime.fromisoformat(body["idle_expires_at"]) == T0 + timedelta(minutes=30)
    assert datetime.fromisoformat(body["expires_at"]) == T0 + timedelta(hours=12)
    assert body["seconds_left"] == 20 * 60 and body["idle_minutes"] == 30 and body["kind"] == "api"


def test_the_session_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get"} <= set(paths["/api/v1/auth/session"])
    assert {"get", "delete"} <= set(paths["/api/v1/auth/sessions"])
    assert {"delete"} <= set(paths["/api/v1/auth/sessions/{session_id}"])
    assert {"get", "delete"} <= set(paths["/api/v1/people/{uid}/sessions"])


# ---- the actor re-check against the real directory -------------------------------------------------------------


def _disable(slapd, uid="parkit"):
    slapd.modify(f"dn: uid={uid},ou=people,dc=example,dc=kr\nchangetype: modify\nreplace: employeeType\n"
                 "employeeType: inactive\n")


def _leave_it_group(slapd):
    slapd.modify(f"dn: {IT_GROUP}\nchangetype: modify\ndelete: member\nmember: {PARKIT_DN}\n")


def test_a_disabled_giver_is_refused_at_the_next_hand_over_after_the_bound(app, make_app, slapd, parkit):
    stock(app, "NB-001", "NB-002")
    rechecked = make_app(FLEET_ROLE_RECHECK_SECONDS="1").test_client()
    headers, _ = _token(rechecked, parkit)
    assert hand_over(rechecked, headers, "NB-001").status_code == 201
    _disable(slapd)
    time.sleep(1.1)  # past the bound: the next request asks the directory again
    body = assert_problem(hand_over(rechecked, headers, "NB-002"), 401)
    assert "disabled" in body["detail"]
    assert _rows(app, parkit) == []  # every session and token of theirs ended
    with app.app_context():
        assert db.session.execute(db.select(Asset.status).where(Asset.asset_tag == "NB-002")).scalar() == "in_stock"
    assert _events(app)[-1] == ("fleet", "auth.logged_out_everywhere", parkit,
                                {"after": {"reason": "disabled", "pages": 0, "tokens": 1}})


def test_a_giver_taken_out_of_the_it_group_loses_the_desk_at_once(app, make_app, slapd, parkit):
    stock(app, "NB-001", "NB-002")
    rechecked = make_app(FLEET_ROLE_RECHECK_SECONDS="1").test_client()
    headers, _ = _token(rechecked, parkit)
    assert hand_over(rechecked, headers, "NB-001").status_code == 201
    _leave_it_group(slapd)
    time.sleep(1.1)
    assert_problem(hand_over(rechecked, headers, "NB-002"), 403)
    assert_problem(rechecked.get("/api/v1/assets", headers=headers), 403)
    assert rechecked.get("/api/v1/me", headers=headers).get_json()["roles"] == ["employee"]
    assert [r.roles for r in _rows(app, parkit)] == ["employee"]  # the session carries the new roles
    lost = [e for e in _events(app) if e[1] == "auth.role_lost"]
    assert lost == [("fleet", "auth.role_lost", parkit, {"after": {"lost": ["it"], "roles": ["employee"]}})]


def test_within_the_bound_the_re_check_asks_the_directory_nothing(app, make_app, parkit, ldap_operations):
    stock(app, "NB-001", "NB-002")
    rechecked = make_app(FLEET_ROLE_RECHECK_SECONDS="60").test_client()
    headers, _ = _token(rechecked, parkit)
    assert hand_over(rechecked, headers, "NB-001").status_code == 201  # opens this thread's connection
    ldap_operations.clear()
    assert hand_over(rechecked, headers, "NB-002", assignee=EMPLOYEE2).status_code == 201
    assert ldap_operations == ["search_ext", "compare_ext"]  # the assignee's check only


def test_after_the_bound_the_re_check_is_one_search(app, make_app, parkit, ldap_operations):
    stock(app, "NB-001", "NB-002")
    rechecked = make_app(FLEET_ROLE_RECHECK_SECONDS="1").test_client()
    headers, _ = _token(rechecked, parkit)
    assert hand_over(rechecked, headers, "NB-001").status_code == 201
    time.sleep(1.1)
    ldap_operations.clear()
    assert hand_over(rechecked, headers, "NB-002", assignee=EMPLOYEE2).status_code == 201
    assert ldap_operations == ["search_ext", "search_ext", "compare_ext"]  # the giver; then the assignee
    assert len(ldap_operations) <= 3


def test_with_the_directory_down_returns_go_on_and_hand_overs_are_503(app, client, make_app):
    stock(app, "NB-001", "NB-002")
    headers, _ = _token(client, IT)
    loan = hand_over(client, headers, "NB-001").get_json()
    down = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI="ldap://127.0.0.1:1", FLEET_LDAP_TIMEOUT="1",
                    FLEET_ROLE_RECHECK_SECONDS="0").test_client()
    back = down.post(f"/api/v1/loans/{loan['id']}/return", headers=headers,
                     json={"condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": True})
    assert back.status_code == 200, back.get_json()  # the last known roles stand
    assert_problem(hand_over(down, headers, "NB-002"), 503)
    assert down.get("/api/v1/assets", headers=headers).status_code == 200
    assert len(_rows(app, IT)) == 1  # nothing ended for want of an answer


def test_the_directory_sync_ends_a_leavers_sessions_and_tokens(app, client, slapd, parkit):
    theirs, _ = _token(client, parkit)
    it, _ = _token(client, IT)
    _disable(slapd)
    assert client.post("/api/v1/directory/sync", headers=it).status_code == 200
    # The default bound (60 s) has not passed: it is the sync that ended them.
    assert_problem(client.get("/api/v1/me", headers=theirs), 401)
    assert client.get("/api/v1/me", headers=it).status_code == 200
    assert ("it1", "auth.logged_out_everywhere", parkit,
            {"after": {"reason": "leaver", "pages": 0, "tokens": 1}}) in _events(app)


@pytest.mark.parametrize("setting", ["FLEET_IDLE_MINUTES", "FLEET_SESSION_HOURS"])
def test_a_limit_that_is_no_positive_number_stops_the_start(make_app, setting):
    with pytest.raises(RuntimeError, match=setting.split("_")[1]):
        make_app(**{setting: "0"})


def test_the_older_token_hours_setting_still_sets_the_absolute_limit(make_app):
    assert make_app(FLEET_TOKEN_HOURS="2").config["FLEET_SESSION_HOURS"] == 2
    assert make_app(FLEET_TOKEN_HOURS="2", FLEET_SESSION_HOURS="3").config["FLEET_SESSION_HOURS"] == 3
    client = make_app(FLEET_TOKEN_HOURS="2").test_client()
    with time_machine.travel(T0, tick=False):
        body = client.post("/api/v1/auth/token", json={"username": IT, "password": IT + "pw"}).get_json()
    assert datetime.fromisoformat(body["expires_at"]) == T0 + timedelta(hours=2)


def test_a_role_given_in_the_directory_counts_after_the_bound(app, make_app, slapd, parkit):
    auditors = "cn=fleet-auditors,ou=groups,dc=example,dc=kr"
    rechecked = make_app(FLEET_ROLE_RECHECK_SECONDS="1").test_client()
    headers, _ = _token(rechecked, parkit)
    slapd.modify(f"dn: {auditors}\nchangetype: modify\nadd: member\nmember: {PARKIT_DN}\n")
    try:
        time.sleep(1.1)
        assert rechecked.get("/api/v1/me", headers=headers).get_json()["roles"] == ["auditor", "employee", "it"]
    finally:
        slapd.modify(f"dn: {auditors}\nchangetype: modify\ndelete: member\nmember: {PARKIT_DN}\n")
    gained = [e for e in _events(app) if e[1] == "auth.role_gained"]
    assert gained == [("fleet", "auth.role_gained", parkit,
                       {"after": {"gained": ["auditor"], "roles": ["auditor", "employee", "it"]}})]
