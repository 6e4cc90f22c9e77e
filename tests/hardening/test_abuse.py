"""Abuse: SQL and LDAP injection strings in every filter, odd ids and path tricks, oversized
and malformed uploads, security headers, cookies and CSRF on every form. Never a 500,
never more than was asked for, nothing changed by a refused request."""

from __future__ import annotations

import re

import pytest

from fleet.extensions import db
from fleet.models import Asset, Event, LoanRequest
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.factories import create_request
from tests.fixtures_data import EMPLOYEE, IT

INJECTIONS = [
    "' OR '1'='1", "'; DROP TABLE assets; --", '" OR 1=1 --', "%", "_", "\\", "NB-%", "1 UNION SELECT hash FROM events",
    "*", "*)(uid=*))(|(uid=*", "emp1)(|(objectClass=*)", "\\2a", "${jndi:ldap://x}", "../../etc/passwd",
    "𝔣𝔩𝔢𝔢𝔱 😀", "x" * 5000,
]


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
                     for model in (Asset, Event, LoanRequest))


@pytest.fixture
def world(app, client, it_headers):
    stock(app, "NB-001", "NB-002")
    assert hand_over(client, it_headers, tag="NB-001").status_code == 201
    with app.app_context():
        create_request(EMPLOYEE, note="비밀 메모")


def _string_query_parameters(client) -> list[tuple[str, str]]:
    """(path, parameter) for every string query parameter of every list in the API description."""
    spec = client.get("/api/v1/openapi.json").get_json()
    found = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if not get or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] == "query" and parameter.get("schema", {}).get("type") == "string" \
                    and "enum" not in parameter.get("schema", {}) and parameter["name"] != "cursor":
                found.append((path, parameter["name"]))
    return found


def test_injection_strings_in_every_filter_find_nothing_and_change_nothing(app, client, it_headers, world):
    parameters = _string_query_parameters(client)
    assert ("/api/v1/assets", "q") in parameters and ("/api/v1/events", "actor") in parameters
    before = _counts(app)
    seen = 0
    for path, name in parameters:
        for value in INJECTIONS:
            response = client.get(path, query_string={name: value}, headers=it_headers)
            seen += 1
            assert response.status_code < 500, (path, name, value, response.status_code)
            if response.status_code != 200:
                assert response.mimetype == "application/problem+json", (path, name, value)
            elif response.mimetype == "application/json" and "items" in response.get_json():
                # No string here is a tag, a uid, a center or an action, so nothing may match.
                assert response.get_json()["items"] == [], (path, name, value)
            response.close()  # a streamed export (events/export with a reason) ends its generator here, in order
    print(f"\n{len(parameters)} string filters × {len(INJECTIONS)} injection strings = {seen} requests, no 5xx")
    assert _counts(app) == before


@pytest.mark.parametrize("username", ["*", "it1)(uid=*", "*)(|(uid=*", "it1*", "\\2a", "it1\x00", "cn=it1"])
def test_ldap_injection_in_login_and_hand_over(app, client, it_headers, username):
    refused = client.post("/api/v1/auth/token", json={"username": username, "password": "it1pw"})
    assert refused.status_code in (401, 422), refused.status_code
    stock(app, "NB-009")
    response = hand_over(client, it_headers, tag="NB-009", assignee=username)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/people/{username}", headers=it_headers).status_code in (404, 422)


@pytest.mark.parametrize("path", [
    "/api/v1/documents/-1.pdf", "/api/v1/documents/0.pdf", "/api/v1/documents/1e3.pdf",
    "/api/v1/documents/99999999999999999999999.pdf", "/api/v1/documents/..%2F..%2Fetc%2Fpasswd",
    "/api/v1/documents/%2e%2e/%2e%2e/etc/passwd", "/api/v1/documents/1.pdf%00.txt",
    "/api/v1/reports/../../wsgi.py", "/api/v1/reports/inventory.exe", "/api/v1/reports/..%2Finventory.pdf",
    "/api/v1/stocktakes/99999999999999999999/report.pdf", "/audit/reports/inventory.sh",
    "/static/../fleet/config.py", "/static/%2e%2e/%2e%2e/wsgi.py", "/api/v1/loans/L-2026-%2e%2e",
])
def test_odd_ids_and_path_tricks_are_4xx(client, it_headers, path):
    response = client.get(path, headers=it_headers)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert b"FLEET_" not in response.data and b"import " not in response.data


def test_oversized_uploads_are_413_and_change_nothing(make_app, app):
    small = make_app(FLEET_MAX_UPLOAD_BYTES=2048)
    client = small.test_client()
    token = client.post("/api/v1/auth/token", json={"username": IT, "password": "it1pw"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    before = _counts(app)
    rows = "asset_tag,serial_number,category,manufacturer,model,center\n" + "".join(
        f"NB-{i:04d},SN{i},laptop,LG,gram,JJ\n" for i in range(200))
    problem = assert_problem(client.post("/api/v1/assets/import", data=rows.encode(), content_type="text/csv",
                                         headers=headers), 413)
    assert problem["detail"] == "The upload is too large."
    assert_problem(client.post("/api/v1/documents/verify", data=b"%PDF-1.7\n" + b"0" * 4096,
                               content_type="application/pdf", headers=headers), 413)
    assert _counts(app) == before


@pytest.mark.parametrize("body", [b"\xff\xfe\x00garbage", b"asset_tag\n\x00", b"", b"no,header,we,know\n1,2,3,4\n",
                                  b"asset_tag,serial_number,category,manufacturer,model,center\n"
                                  b"=cmd|' /C calc'!A0,SN,laptop,LG,gram,JJ\n"])
def test_malformed_csv_imports_are_4xx_and_change_nothing(app, client, it_headers, body):
    before = _counts(app)
    response = client.post("/api/v1/assets/import", data=body, content_type="text/csv", headers=it_headers)
    assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json", response.data
    assert _counts(app) == before


@pytest.mark.parametrize("content, content_type", [
    (b"not a pdf", "application/pdf"), (b"", "application/pdf"), (b"%PDF-1.7 truncated", "application/pdf"),
    (b"--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nabc\r\n--x--\r\n",
     "multipart/form-data; boundary=x"),
    (b"--broken", "multipart/form-data; boundary=x"),
])
def test_malformed_pdf_uploads_are_answered_not_crashed(client, it_headers, content, content_type):
    response = client.post("/api/v1/documents/verify", data=content, content_type=content_type, headers=it_headers)
    assert response.status_code < 500
    if response.status_code == 200:
        assert response.get_json()["registered"] is False
    else:
        assert response.mimetype == "application/problem+json"


def _log_in_on_the_page(client, uid="it1", password="it1pw"):
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": uid, "password": password, "csrf_token": csrf})
    assert response.status_code == 302
    return response


def test_pages_carry_security_headers(client):
    _log_in_on_the_page(client)
    for path in ("/login", "/desk", "/assets", "/audit/events"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split(
            "script-src")[-1].split(";")[0], (path, csp)
    assert client.get("/desk").headers["Cache-Control"] == "no-store"


def test_session_cookies_are_secure_in_production(make_app):
    production = make_app(FLEET_ENV="production").test_client()
    cookie = _log_in_on_the_page(production).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_every_form_post_needs_the_csrf_token(app, client, world):
    _log_in_on_the_page(client)
    values = {"tag": "NB-002", "loan_id": 1, "request_id": 1, "document_id": 1, "stocktake_id": 1,
              "batch_id": 1, "notification_id": 1, "reservation_id": 1, "action": "approve", "code": "ko",
              "session_id": 1, "extension_id": 1, "verdict": "approve", "incident_id": 1, "step": "resolve",
              "repair_id": 1}
    posts = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            posts.append(rule.rule.replace("<", "{").replace(">", "}"))
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<[^>]*{name}>", str(values[name]), path)
            before = _counts(app)
            response = client.post(path, data={"reason": "x", "assignee": EMPLOYEE, "asset_tag": "NB-002"})
            assert response.status_code == 403, (path, response.status_code)
            assert "did not come from Fleet" in response.get_data(as_text=True)
            assert _counts(app) == before, path
    print(f"\n{len(posts)} form posts refused without the CSRF token")
    assert len(posts) >= 15
