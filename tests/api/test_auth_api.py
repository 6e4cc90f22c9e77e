"""Log-in, tokens, /me, /people and the error format, against the real slapd."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleet.db import utcnow
from fleet.extensions import db
from fleet.models import ApiToken
from tests.fixtures_data import AUDITOR, DISABLED, EMPLOYEE, IT, NOT_ELIGIBLE
from tests.support.slapd import start_test_directory


def _token(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_login_gives_a_token_with_roles_from_the_directory(client):
    response = _token(client, IT, "it1pw")
    assert response.status_code == 201
    body = response.get_json()
    assert body["uid"] == IT and body["roles"] == ["employee", "it"] and len(body["token"]) >= 40
    assert "+" in body["expires_at"] or body["expires_at"].endswith("Z")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).get_json()
    assert me["uid"] == IT and me["name"] == "김민수" and me["department"] == "정보통신과"
    assert me["roles"] == ["employee", "it"]


def test_auditor_role(client):
    assert _token(client, AUDITOR, "audit1pw").get_json()["roles"] == ["auditor", "employee"]


def test_token_is_stored_only_as_a_hash(client, app):
    token = _token(client, EMPLOYEE, "emp1pw").get_json()["token"]
    with app.app_context():
        stored = db.session.execute(db.select(ApiToken)).scalar_one()
        assert token not in (stored.token_hash, stored.uid) and len(stored.token_hash) == 64


@pytest.mark.parametrize("username,password", [
    (IT, "wrong"), (IT, ""), ("nobody", "x"), (DISABLED, "gone1pw"),
    ("*", "x"), ("*)(uid=*", "x"), ("\\2a", "x"), ("it1)(|(uid=*", "it1pw"),
])
def test_refused_logins_all_look_alike(client, username, password):
    body = assert_problem(_token(client, username, password), 401)
    assert "wrong" in body["detail"]


def test_a_nul_character_is_refused_before_the_directory_is_asked(client):
    assert_problem(_token(client, "it1\x00", "it1pw"), 422)


def test_not_eligible_person_can_still_log_in(client):
    assert _token(client, NOT_ELIGIBLE, "outsider1pw").status_code == 201


def test_logout_revokes_the_token(client):
    token = _token(client, EMPLOYEE, "emp1pw").get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=headers), 401)


def test_expired_token_is_refused(client, app):
    token = _token(client, EMPLOYEE, "emp1pw").get_json()["token"]
    with app.app_context():
        db.session.execute(db.update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_garbage_tokens_are_401(client):
    for value in ["Bearer nope", "Bearer " + "x" * 5000, "Bearer ", "Bearer \x00"]:
        assert_problem(client.get("/api/v1/me", headers={"Authorization": value}), 401)
    assert_problem(client.get("/api/v1/me"), 401)


def test_people_lookup_by_role(client, login):
    it = login(IT)
    body = client.get(f"/api/v1/people/{DISABLED}", headers=it).get_json()
    assert body["name"] == "한상우" and body["active"] is False and body["eligible"] is False
    body = client.get(f"/api/v1/people/{NOT_ELIGIBLE}", headers=login(AUDITOR)).get_json()
    assert body["active"] is True and body["eligible"] is False and body["open_loans"] == []
    assert client.get(f"/api/v1/people/{EMPLOYEE}", headers=login(EMPLOYEE)).status_code == 200
    assert_problem(client.get(f"/api/v1/people/{IT}", headers=login(EMPLOYEE)), 403)
    assert_problem(client.get("/api/v1/people/nobody", headers=it), 404)
    for weird in ["*", "*)(uid=*", "%2A"]:
        assert_problem(client.get(f"/api/v1/people/{weird}", headers=it), 404)
    assert_problem(client.get("/api/v1/people/a%00b", headers=it), 422)


def test_error_format_everywhere(client, login):
    assert_problem(client.get("/api/v1/nope"), 404)
    assert_problem(client.put("/api/v1/me"), 405)
    bad_json = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert_problem(bad_json, 400)
    body = assert_problem(client.post("/api/v1/auth/token", json={"username": 5}), 422)
    assert set(body["errors"]) == {"username", "password"}
    body = assert_problem(client.post("/api/v1/auth/token", json={"username": "a", "password": "b", "x": 1}), 422)
    assert "x" in body["errors"]
    assert_problem(client.post("/api/v1/auth/token", json=[1, 2]), 422)


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok" and body["checks"] == {
        "database": "ok", "directory": "ok",
        "signing": "unsigned: no FLEET_SIGNING_KEY is configured, PDFs and checkpoints are not signed"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "TRACE"])
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_answer_other_methods_with_405(client, path, method):
    """Found by the fuzz run: the pages' CSRF check ran first and answered 403 "the form has expired"."""
    response = client.open(path, method=method)
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_readiness_names_the_directory_when_it_is_down(make_app):
    app = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI="ldap://127.0.0.1:1", FLEET_LDAP_TIMEOUT="1")
    body = assert_problem(app.test_client().get("/readyz"), 503)
    assert "directory" in body["detail"] and "database" not in body["detail"]


def test_login_answers_503_when_the_directory_is_down(make_app):
    app = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI="ldap://127.0.0.1:1", FLEET_LDAP_TIMEOUT="1")
    body = assert_problem(_token(app.test_client(), IT, "it1pw"), 503)
    assert "directory" in body["detail"].lower()


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in spec["paths"] and "/api/v1/me" in spec["paths"]
    post = spec["paths"]["/api/v1/auth/token"]["post"]
    assert {"201", "400", "401", "422", "503"} <= set(post["responses"])
    problem = spec["components"]["responses"]["UNAUTHORIZED"]["content"]
    assert "application/problem+json" in problem


def test_every_operation_lists_its_statuses_without_a_catch_all(client):
    """Found by the fuzz run: a catch-all `default` response documented every status, so nothing was undocumented;
    under it, a log-in with a body that is not JSON answered a 400 that the operation did not list."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method != "parameters":
                assert "default" not in operation["responses"], (method, path)
    response = client.post("/api/v1/auth/token", data=b'{"username": "it1", ', content_type="application/json")
    assert_problem(response, 400)
    assert "400" in paths["/api/v1/auth/token"]["post"]["responses"]


def test_another_organisations_directory_through_settings_only(make_app):
    server = start_test_directory("acme.ldif", suffix="o=acme,c=us")
    try:
        app = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI=server.uri, FLEET_LDAP_PEOPLE_BASE="ou=staff,o=acme,c=us",
                       FLEET_LDAP_BIND_DN=server.root_dn, FLEET_LDAP_BIND_PASSWORD=server.root_pw,
                       FLEET_LDAP_ACTIVE_FILTER="(!(description=disabled))",
                       FLEET_LDAP_IT_GROUP="cn=desk,ou=roles,o=acme,c=us", FLEET_LDAP_AUDITOR_GROUP="",
                       FLEET_LDAP_ELIGIBLE_GROUP="", FLEET_LDAP_DEPARTMENT_ATTR="departmentNumber")
        client = app.test_client()
        token = _token(client, "ada", "adapw").get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = client.get("/api/v1/me", headers=headers).get_json()
        assert me["name"] == "Ada Lovelace" and me["department"] == "Engineering" and me["roles"] == ["employee", "it"]
        bob = client.get("/api/v1/people/bob", headers=headers).get_json()
        assert bob["active"] is False and bob["eligible"] is False
        assert_problem(_token(client, "bob", "bobpw"), 401)
        assert_problem(client.get("/api/v1/people/nobody", headers=headers), 404)
    finally:
        server.stop()
