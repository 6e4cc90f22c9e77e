"""Factory fixtures: log-ins and fresh objects with sensible defaults (STYLE.md, 7)."""

from __future__ import annotations

import pytest

# The test directory (tests/ldif/directory.ldif): uid -> password is uid + "pw".
IT = "it1"
IT2 = "it2"
AUDITOR = "audit1"
EMPLOYEE = "emp1"
EMPLOYEE2 = "emp2"
LONG_DEPARTMENT = "emp3"
DISABLED = "gone1"
NOT_ELIGIBLE = "outsider1"


@pytest.fixture
def login(client):
    """login(uid) -> headers with a bearer token for that person (password uid + 'pw')."""
    cache: dict[str, dict] = {}

    def _login(uid: str) -> dict:
        if uid not in cache:
            response = client.post("/api/v1/auth/token", json={"username": uid, "password": uid + "pw"})
            assert response.status_code == 201, response.get_json()
            cache[uid] = {"Authorization": f"Bearer {response.get_json()['token']}"}
        return cache[uid]

    return _login


@pytest.fixture
def it_headers(login):
    return login(IT)


@pytest.fixture
def auditor_headers(login):
    return login(AUDITOR)


@pytest.fixture
def employee_headers(login):
    return login(EMPLOYEE)
