"""Log-in attempts are limited per user name and per client: 429 with Retry-After, the
directory not asked; other users and other clients go on logging in."""

from __future__ import annotations

import re

import pytest

from tests.api.test_auth_api import assert_problem
from tests.fixtures_data import IT


@pytest.fixture
def limited(make_app):
    app = make_app(FLEET_LOGIN_LIMIT_PER_USER="3 per minute", FLEET_LOGIN_LIMIT_PER_CLIENT="5 per minute")
    return app.test_client()


def _token(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_per_user_name_limit_answers_429_with_retry_after(limited, ldap_operations):
    codes = [_token(limited, IT, "wrong").status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    ldap_operations.clear()
    refused = _token(limited, " IT1 ", "it1pw")  # the right password, the same user however spelt
    problem = assert_problem(refused, 429)
    assert "Too many log-in attempts" in problem["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert ldap_operations == []  # refused before the directory is asked
    # Another user from the same client still logs in.
    assert _token(limited, "emp1", "emp1pw").status_code == 201


def test_per_client_limit_holds_across_user_names(limited):
    codes = [_token(limited, name, "wrong", address="10.0.0.2").status_code
             for name in ("a1", "a2", "a3", "a4", "a5", "a6")]
    assert codes == [401] * 5 + [429]
    # Another client is not affected.
    assert _token(limited, "emp2", "emp2pw", address="10.0.0.3").status_code == 201


def test_the_login_page_counts_too(limited):
    form = limited.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    for _ in range(3):
        page = limited.post("/login", data={"username": "emp3", "password": "wrong", "csrf_token": csrf},
                            environ_base={"REMOTE_ADDR": "10.0.0.4"}, headers={"Accept": "text/html"})
        assert page.status_code == 401  # wrong password, counted
    refused = limited.post("/login", data={"username": "emp3", "password": "emp3pw", "csrf_token": csrf},
                           environ_base={"REMOTE_ADDR": "10.0.0.4"},
                           headers={"Accept": "text/html", "Accept-Language": "ko"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "로그인 시도가 너무 많습니다" in refused.get_data(as_text=True)


def test_other_endpoints_are_not_limited(limited):
    token = _token(limited, IT, "it1pw", address="10.0.0.5").get_json()["token"]
    for _ in range(20):
        assert limited.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_behind_a_proxy_each_client_counts_apart(make_app):
    """With FLEET_PROXY_COUNT=1 the client is the one the proxy names, not the proxy itself."""
    behind = make_app(FLEET_LOGIN_LIMIT_PER_USER="100 per minute", FLEET_LOGIN_LIMIT_PER_CLIENT="2 per minute",
                      FLEET_PROXY_COUNT="1").test_client()

    def attempt(client_address: str) -> int:
        return behind.post("/api/v1/auth/token", json={"username": "emp1", "password": "wrong"},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"},
                           headers={"X-Forwarded-For": client_address}).status_code

    assert [attempt("192.0.2.1") for _ in range(3)] == [401, 401, 429]
    assert attempt("192.0.2.2") == 401  # another desk behind the same proxy


def test_the_limiter_answers_for_log_ins_only(limited):
    """Its headers on a log-in's answer; every other request goes past the limiter's hooks (the hot path)."""
    answer = _token(limited, "emp1", "emp1pw")
    assert answer.status_code == 201 and "X-RateLimit-Limit" in answer.headers
    token = answer.get_json()["token"]
    loans = limited.get("/api/v1/loans", headers={"Authorization": f"Bearer {token}"})
    assert loans.status_code == 200 and "X-RateLimit-Limit" not in loans.headers
