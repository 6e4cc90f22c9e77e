"""Walk every endpoint of the OpenAPI document with every role.

Anonymous callers get 401 everywhere but the public endpoints; auditors never change
anything; employees reach only their own things; nobody ever gets a 5xx.
"""

from __future__ import annotations

import re

import pytest

from tests.fixtures_data import AUDITOR, EMPLOYEE, IT

PUBLIC = {("get", "/healthz"), ("get", "/readyz"), ("get", "/api/v1/openapi.json"), ("post", "/api/v1/auth/token")}
# Operations open to every logged-in person (the service then limits employees to their own things).
ANY_ROLE = {
    ("get", "/api/v1/me"), ("delete", "/api/v1/auth/token"), ("get", "/api/v1/people/{uid}"),
    ("get", "/api/v1/centers"), ("get", "/api/v1/centers/{code}"),
    ("get", "/api/v1/requests"), ("post", "/api/v1/requests"), ("get", "/api/v1/requests/{request_id}"),
    ("post", "/api/v1/requests/{request_id}/cancel"),
    ("get", "/api/v1/loans"), ("get", "/api/v1/loans/{loan_ref}"),
    ("get", "/api/v1/documents/{document_id}"), ("get", "/api/v1/documents/{document_id}.pdf"),
    ("get", "/api/v1/notifications"),
    ("get", "/api/v1/reservations"), ("post", "/api/v1/reservations"),
    ("get", "/api/v1/reservations/{reservation_id}"), ("post", "/api/v1/reservations/{reservation_id}/cancel"),
    ("get", "/api/v1/availability"),
    ("get", "/api/v1/auth/session"), ("get", "/api/v1/auth/sessions"), ("delete", "/api/v1/auth/sessions"),
    ("delete", "/api/v1/auth/sessions/{session_id}"),
    # between hand-over and return: the assignee asks for more time and reports incidents on their own loans
    ("get", "/api/v1/loans/{loan_ref}/extensions"), ("post", "/api/v1/loans/{loan_ref}/extensions"),
    ("get", "/api/v1/extensions/{extension_id}"), ("get", "/api/v1/extensions"),
    ("post", "/api/v1/loans/{loan_ref}/incidents"), ("get", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{incident_id}"), ("get", "/api/v1/incidents/{incident_id}/report.pdf"),
}
# Operations that end the caller's own token: the walk would log itself out half-way.
ENDS_THE_WALK = {("delete", "/api/v1/auth/token"), ("delete", "/api/v1/auth/sessions"),
                 ("delete", "/api/v1/auth/sessions/{session_id}")}
# The inspections due name each assignee: the IT desk works that list (auditors read the events and reports).
IT_ONLY_READS = {("get", "/api/v1/labels.pdf"), ("get", "/api/v1/people/{uid}/sessions"),
                 ("get", "/api/v1/inspections/due")}
# The access log and its review: the privacy officer only (tests/access_log).
PRIVACY_ONLY = {("get", "/api/v1/access-log"), ("get", "/api/v1/access-log/verify"),
                ("get", "/api/v1/access-log/export"), ("post", "/api/v1/access-log/reviews"),
                ("get", "/api/v1/reports/access-review.pdf"), ("get", "/api/v1/reports/access-review.csv")}


SAMPLES: dict[tuple[str, str], str] = {}


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for parameter in item.get("parameters", []):
            enum = parameter.get("schema", {}).get("enum")
            if parameter["in"] == "path" and enum:
                SAMPLES[(path, parameter["name"])] = enum[0]
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path


def _concrete(path: str) -> str:
    """A real URL for a templated path: enum parameters take their first value, others "1"."""
    return re.sub(r"\{([^}]+)\}", lambda m: SAMPLES.get((path, m.group(1)), "1"), path)


def _call(client, method, path, headers=None):
    kwargs = {"headers": headers or {}}
    if method in ("post", "put", "patch"):
        kwargs["json"] = {}
    return getattr(client, method)(_concrete(path), **kwargs)


def test_the_walk_covers_the_api(client):
    operations = set(_operations(client))
    assert ("post", "/api/v1/loans") in operations and len(operations) >= 10


def test_anonymous_callers_get_401(client):
    for method, path in _operations(client):
        if (method, path) in PUBLIC:
            continue
        response = _call(client, method, path)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("uid", [IT, AUDITOR, EMPLOYEE])
def test_roles(client, login, uid):
    headers = login(uid)
    for method, path in _operations(client):
        if (method, path) in PUBLIC or (method, path) in ENDS_THE_WALK:
            continue
        response = _call(client, method, path, headers)
        code = response.status_code
        assert code < 500, (uid, method, path, code, response.get_data(as_text=True)[:300])
        assert code == 200 or response.mimetype in ("application/problem+json",), (method, path, code)
        reads = method == "get"
        if uid == AUDITOR:
            allowed = (reads and (method, path) not in IT_ONLY_READS) or (method, path) in ANY_ROLE or \
                path == "/api/v1/documents/verify"
        elif uid == EMPLOYEE:
            allowed = (method, path) in ANY_ROLE
        else:
            allowed = True
        if (method, path) in PRIVACY_ONLY:
            allowed = False
        if not allowed:
            assert code == 403, (uid, method, path, code)
        else:
            assert code != 403 or path == "/api/v1/people/{uid}", (uid, method, path, code)
