"""Pages through the test client: log-in, every page renders for its roles, CSRF, headers, languages."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.api.test_loans_api import stock
from tests.fixtures_data import AUDITOR, DISABLED, EMPLOYEE, IT

TRANSLATIONS = Path(__file__).resolve().parents[2] / "fleet" / "translations" / "ko" / "LC_MESSAGES"


def csrf(client, path="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def log_in(client, uid, password=None):
    token = csrf(client)
    return client.post("/login", data={"username": uid, "password": password or uid + "pw", "csrf_token": token})


def test_compiled_translations_are_up_to_date():
    with open(TRANSLATIONS / "messages.po", "rb") as po:
        catalog = read_po(po)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    committed = (TRANSLATIONS / "messages.mo").read_bytes()
    assert compiled.getvalue() == committed, "run: pybabel compile -d fleet/translations"


@pytest.mark.parametrize("uid,home", [(IT, "/desk"), (AUDITOR, "/audit"), (EMPLOYEE, "/me")])
def test_log_in_lands_on_the_role_home(client, uid, home):
    response = log_in(client, uid)
    assert response.status_code == 302 and response.headers["Location"].endswith(home)


def test_wrong_password_and_disabled_are_refused_on_the_page(client):
    for uid, password in [(IT, "nope"), (DISABLED, "gone1pw")]:
        response = log_in(client, uid, password)
        assert response.status_code == 401
        assert uid in response.get_data(as_text=True)  # what was typed is kept
        assert "wrong" in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client):
    response = client.post("/login", data={"username": IT, "password": "it1pw"})
    assert response.status_code == 403
    log_in(client, IT)
    assert client.post("/desk/handover", data={"asset_tag": "X", "assignee": EMPLOYEE}).status_code == 403


def test_api_writes_ignore_the_session_cookie(client):
    log_in(client, IT)
    assert client.post("/api/v1/centers", json={"code": "X", "name": "x", "kind": "office"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 200


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "HttpOnly" in log_in(client, IT).headers["Set-Cookie"]


def test_pages_for_it(app, client):
    stock(app, "NB-001")
    log_in(client, IT)
    for path in ["/desk", "/desk/handover", "/desk/return", "/desk/return?tag=NB-001", "/assets", "/assets/NB-001",
                 "/assets/new", "/assets/NB-001/edit", "/assets/import", "/desk/requests", "/desk/stocktakes",
                 "/desk/labels", "/desk/leavers", "/loans?overdue=1", "/audit", "/audit/events", "/audit/verify", "/me",
                 "/me/request"]:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert "<html" in response.get_data(as_text=True)


def test_employee_cannot_open_the_desk(client):
    log_in(client, EMPLOYEE)
    assert client.get("/desk").status_code == 403
    assert client.get("/audit").status_code == 403
    assert client.get("/me").status_code == 200


def test_korean_by_default_english_on_request(client):
    page = client.get("/login", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    assert "로그인" in page
    page = client.get("/login", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "Log in" in page and "로그인" not in page.replace("한국어", "")
    client.get("/lang/ko")
    assert "로그인" in client.get("/login", headers={"Accept-Language": "en-US"}).get_data(as_text=True)


def test_anonymous_pages_redirect_to_login(client):
    response = client.get("/desk")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_next_cannot_leave_fleet(client):
    token = csrf(client)
    response = client.post("/login?next=//evil.example/x", data={"username": IT, "password": "it1pw",
                                                                  "csrf_token": token})
    assert response.headers["Location"].endswith("/desk")
