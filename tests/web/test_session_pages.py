"""Page sessions: a cookie with only a random secret, log-out that ends it, time limits the page can read,
one's own sessions and the desk's view of a person's, and the actor re-check on the pages."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import time_machine

from fleet.extensions import db
from fleet.models import ApiToken, Asset, Event
from fleet.services.auth import _hash
from tests.fixtures_data import EMPLOYEE, IT
from tests.web.helpers import stock
from tests.web.test_pages import csrf, log_in, post, text

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
META = re.compile(r'<meta name="fleet-session-expires" content="([^"]+)">')
PARKIT_DN = "uid=parkit,ou=people,dc=example,dc=kr"


def _secret(client) -> str:
    return client.get_cookie("fleet_session").value


def _rows(app, uid):
    with app.app_context():
        return db.session.execute(db.select(ApiToken).where(ApiToken.uid == uid)).scalars().all()


def test_a_cookie_replayed_after_log_out_goes_to_the_log_in_page(app, client):
    assert log_in(client, IT).status_code == 302
    copied = _secret(client)
    assert client.get("/desk").status_code == 200
    out = post(client, "/logout")
    assert out.status_code == 302 and "/login" in out.headers["Location"]
    client.set_cookie("fleet_session", copied)  # the copy made before the log-out
    replayed = client.get("/desk")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert _rows(app, IT) == []
    with app.app_context():
        actions = list(db.session.execute(db.select(Event.action).order_by(Event.seq)).scalars())
    assert actions == ["auth.logged_in", "auth.logged_out"]


def test_the_cookies_carry_no_identity_only_a_random_secret(app, client):
    log_in(client, IT)
    secret = _secret(client)
    assert len(secret) >= 40 and IT not in secret
    rows = _rows(app, IT)
    assert len(rows) == 1 and rows[0].kind == "page" and rows[0].token_hash == _hash(secret) != secret
    with client.session_transaction() as session:  # Flask's own cookie: the language and the form token
        assert set(session) <= {"lang", "csrf_token"}


def test_a_page_secret_is_no_api_token(client):
    log_in(client, IT)
    answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {_secret(client)}"})
    assert answer.status_code == 401


def test_the_page_says_when_the_session_ends_and_asking_does_not_renew(app, make_app):
    limited = make_app(FLEET_IDLE_MINUTES="30", FLEET_SESSION_HOURS="12").test_client()
    with time_machine.travel(T0, tick=False) as clock:
        assert not META.search(text(limited.get("/login")))  # nothing to warn about before the log-in
        log_in(limited, IT)
        clock.move_to(T0 + timedelta(minutes=5))
        page = text(limited.get("/desk"))  # renews the idle clock: ends 0:35
        assert datetime.fromisoformat(META.search(page).group(1)) == T0 + timedelta(minutes=35)
        assert '<meta name="fleet-session-idle-minutes" content="30">' in page
        assert '<meta name="fleet-session-seconds-left" content="1800">' in page  # what the page counts down
        clock.move_to(T0 + timedelta(minutes=20))
        asked = limited.get("/api/v1/auth/session").get_json()  # the page's cookie, a read: no renewal
        assert datetime.fromisoformat(asked["ends_at"]) == T0 + timedelta(minutes=35)
        assert asked["seconds_left"] == 15 * 60 and asked["kind"] == "page"
        assert _rows(app, IT)[0].last_used_at == T0 + timedelta(minutes=5)
        token = csrf(limited, "/me")  # a page view: renews the clock to 0:20
        clock.move_to(T0 + timedelta(minutes=20, seconds=30))  # within the minute: a request would not renew
        extended = limited.post("/session/extend", headers={"X-CSRF-Token": token})
        assert datetime.fromisoformat(extended.get_json()["expires_at"]) == T0 + timedelta(minutes=50, seconds=30)
        assert _rows(app, IT)[0].last_used_at == T0 + timedelta(minutes=20, seconds=30)


def test_an_idle_page_session_ends_and_the_log_in_page_says_why(app, make_app):
    limited = make_app(FLEET_IDLE_MINUTES="30").test_client()
    with time_machine.travel(T0, tick=False) as clock:
        log_in(limited, IT)
        clock.move_to(T0 + timedelta(minutes=31))
        gone = limited.get("/desk")
        assert gone.status_code == 302 and "ended=expired" in gone.headers["Location"]
        assert "fleet_session=;" in gone.headers["Set-Cookie"]  # the browser forgets the dead secret
        notice = limited.get(gone.headers["Location"])
    assert 'id="ended"' in text(notice)
    assert _rows(app, IT) == []


def test_my_sessions_show_where_and_log_out_everywhere_ends_tokens_too(app, client):
    token = client.post("/api/v1/auth/token", json={"username": EMPLOYEE, "password": EMPLOYEE + "pw"}).get_json()
    log_in(client, EMPLOYEE)
    client.get("/lang/en")
    page = text(client.get("/me/sessions"))
    assert "<h1>My sessions</h1>" in page and page.count("127.0.0.1") >= 2 and "API token" in page
    assert "This session" in page
    out = post(client, "/me/sessions/end-all")
    assert out.status_code == 302 and "ended=everywhere" in out.headers["Location"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 401
    assert client.get("/me").status_code == 302
    assert _rows(app, EMPLOYEE) == []


def test_it_staff_see_and_end_a_persons_sessions_at_the_desk(app, client, make_app):
    other = app.test_client()
    log_in(other, EMPLOYEE)
    log_in(client, IT)
    client.get("/lang/en")
    page = text(client.get(f"/desk/sessions?uid={EMPLOYEE}"))
    assert "<h1>Sessions of a person</h1>" in page and "127.0.0.1" in page and 'for="uid"' not in page
    assert '<label>User name <input name="uid"' in page
    ended = post(client, f"/desk/sessions/end-all?uid={EMPLOYEE}")
    assert ended.status_code == 302
    assert "Sessions ended: 1." in text(client.get(ended.headers["Location"]))
    assert other.get("/me").status_code == 302
    assert log_in(other, EMPLOYEE).status_code == 302
    assert other.get("/desk/sessions").status_code == 403  # employees do not see others' sessions


def _hand_over_page(client, tag):
    return post(client, "/desk/handover", {"asset_tag": tag, "assignee": EMPLOYEE})


def test_a_disabled_giver_is_sent_to_the_log_in_page_at_the_next_hand_over(app, make_app, slapd, parkit):
    stock(app, "NB-001", "NB-002")
    rechecked = make_app(FLEET_ROLE_RECHECK_SECONDS="1").test_client()
    log_in(rechecked, parkit)
    assert _hand_over_page(rechecked, "NB-001").status_code == 302  # to the new loan
    csrf_token = csrf(rechecked, "/me")
    slapd.modify(f"dn: {PARKIT_DN}\nchangetype: modify\nreplace: employeeType\nemployeeType: inactive\n")
    time.sleep(1.1)
    refused = rechecked.post("/desk/handover", data={"asset_tag": "NB-002", "assignee": EMPLOYEE,
                                                     "csrf_token": csrf_token})
    assert refused.status_code == 302 and "ended=disabled" in refused.headers["Location"]
    with app.app_context():
        assert db.session.execute(db.select(Asset.status).where(Asset.asset_tag == "NB-002")).scalar() == "in_stock"
    assert _rows(app, parkit) == []


def test_a_giver_out_of_the_it_group_gets_403_on_the_desk(app, make_app, slapd, parkit):
    stock(app, "NB-001")
    rechecked = make_app(FLEET_ROLE_RECHECK_SECONDS="1").test_client()
    log_in(rechecked, parkit)
    assert rechecked.get("/desk/handover").status_code == 200
    csrf_token = csrf(rechecked, "/me")
    slapd.modify(f"dn: cn=fleet-it,ou=groups,dc=example,dc=kr\nchangetype: modify\ndelete: member\n"
                 f"member: {PARKIT_DN}\n")
    time.sleep(1.1)
    refused = rechecked.post("/desk/handover", data={"asset_tag": "NB-001", "assignee": EMPLOYEE,
                                                     "csrf_token": csrf_token})
    assert refused.status_code == 403
    assert rechecked.get("/me").status_code == 200  # still an employee
    assert 'href="/desk/handover"' not in text(rechecked.get("/me"))
