"""Fuzz every operation of the live OpenAPI document, as each role, with schemathesis.

Fleet runs under gunicorn as in production (gunicorn.conf.py included); the schema is loaded
from its own /api/v1/openapi.json. Every operation gets schemathesis' examples, coverage
(boundary and invalid values, missing fields, wrong types, undeclared methods) and fuzzing
phases, once as IT staff, once as an auditor, once as an employee and once as the privacy officer, on SQLite and
on PostgreSQL. Every response must

- not be a 5xx (not_a_server_error);
- have a status code the operation documents (status_code_conformance: the document has no
  catch-all `default` response, so an undocumented status fails), and answer an undeclared
  method with 405 and `Allow` (unsupported_method, allow_header_conformance);
- have a documented content type and headers and match the documented schema
  (content_type_conformance, response_headers_conformance, response_schema_conformance);
- if it is an error (4xx, 5xx), be problem details: `application/problem+json` with a type,
  title, status (the response's) and detail (API.md) — problem_details below.

One case is excluded, a false positive of allow_header_conformance: see
_allow_lists_an_overlapping_route. Nothing else is.

Seeded data (centers, assets, loans, requests, documents, a stocktake) is offered to the
generator through schemathesis dictionaries, so path parameters and body fields often name
things that exist and requests reach past the 404s.

Bounded: FLEET_FUZZ_EXAMPLES (default 12) examples per operation in the fuzzing phase, no
shrinking, a fixed seed (FLEET_FUZZ_SEED); about a minute for both databases. A deeper run:
FLEET_FUZZ_EXAMPLES=100 FLEET_FUZZ_SEED=7 .venv/bin/python -m pytest tests/hardening/test_fuzz.py
Only some operations: FLEET_FUZZ_ONLY='reservations|availability' (a regular expression on "METHOD /path").
The summary at the end of the pytest run gives the cases and failures per database and role.
"""

from __future__ import annotations

import os
import re
import time
import zlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
import schemathesis
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.openapi.checks import AllowHeaderMismatch
from schemathesis.pytest.lazy import get_all_tests

from tests.api.test_loans_api import stock
from tests.conftest import _empty_tables
from tests.fixtures_data import AUDITOR, DISABLED, EMPLOYEE, EMPLOYEE2, IT, NOT_ELIGIBLE
from tests.support.clock import fleet_today
from tests.support.fuzz import TALLY
from tests.support.server import GunicornServer

EXAMPLES = int(os.environ.get("FLEET_FUZZ_EXAMPLES", "12"))
SEED = int(os.environ.get("FLEET_FUZZ_SEED", "20261123"))
# A regular expression on "METHOD /path": fuzz only the operations it finds (while working on them); empty: all.
ONLY = os.environ.get("FLEET_FUZZ_ONLY", "")
ROLES = {"it": IT, "auditor": AUDITOR, "employee": EMPLOYEE, "privacy": "privacy1"}
TAGS = ["NB-001", "NB-002", "NB-003", "NB-004", "NB-005", "NB-006", "NE-1"]
PROBLEM_FIELDS = {"type": str, "title": str, "status": int, "detail": str}


def problem_details(ctx, response, case) -> None:
    """Every error is RFC 9457 problem details, as API.md says: the media type and the four fields."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if content_type != "application/problem+json":
        raise AssertionError(f"A {response.status_code} answered {content_type or 'no content type'}, "
                             "not application/problem+json")
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"A {response.status_code} problem body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise AssertionError(f"A {response.status_code} problem body is not an object")
    for name, kind in PROBLEM_FIELDS.items():
        if not isinstance(body.get(name), kind) or (kind is str and not body[name]):
            raise AssertionError(f"A {response.status_code} problem lacks a {kind.__name__} `{name}`: {body}")
    if body["status"] != response.status_code:
        raise AssertionError(f"The problem says status {body['status']}, the response is {response.status_code}")
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, unsupported_method, allow_header_conformance, problem_details]


# Operations that may end the role's own token (log-out, log out everywhere, a session by id, IT ending a person's).
LOGS_OUT = {"DELETE /api/v1/auth/token", "DELETE /api/v1/auth/sessions", "DELETE /api/v1/auth/sessions/{session_id}",
            "DELETE /api/v1/people/{uid}/sessions"}


def _login(url: str, uid: str) -> dict[str, str]:
    response = requests.post(f"{url}/api/v1/auth/token", json={"username": uid, "password": uid + "pw"}, timeout=30)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _seed(app, url: str) -> dict[str, list]:
    """A little of everything, made through the API as a desk would: what the generator may name."""
    it, employee, employee2 = _login(url, IT), _login(url, EMPLOYEE), _login(url, EMPLOYEE2)

    def post(path: str, headers: dict, body: dict | None = None, status: int = 201) -> dict:
        response = requests.post(f"{url}{path}", json=body or {}, headers=headers, timeout=60)
        assert response.status_code == status, (path, response.text)
        return response.json()

    stock(app, *TAGS[:-1])
    post("/api/v1/centers", it, {"code": "NE", "name": "노은도서관", "kind": "library_info_room", "seats": 4})
    post("/api/v1/assets", it, {"asset_tag": "NE-1", "category": "monitor", "center": "NE"})
    loans = [post("/api/v1/loans", it, {"asset_tag": "NB-001", "assignee": EMPLOYEE, "accessories": ["charger"]}),
             post("/api/v1/loans", it, {"asset_tag": "NB-002", "assignee": EMPLOYEE2})]
    post(f"/api/v1/loans/{loans[1]['id']}/return", it, {"condition": "good", "data_wiped": True}, status=200)
    pending = post("/api/v1/requests", employee, {"reason": "pregnancy", "needed_from": fleet_today().isoformat(),
                                                  "note": "출산 예정"})
    approved = post("/api/v1/requests", employee2, {"reason": "childcare", "needed_from": "2099-01-01",
                                                    "center": "JJ"})
    post(f"/api/v1/requests/{approved['id']}/approve", it, {"note": "OK"}, status=200)
    tomorrow = (fleet_today() + timedelta(days=1)).isoformat()
    reservations = [post("/api/v1/reservations", employee, {"center": "JJ", "category": "laptop",
                                                            "starts_at": tomorrow, "ends_at": tomorrow}),
                    post("/api/v1/reservations", it, {"asset_tag": "NE-1", "person": EMPLOYEE2,
                                                      "starts_at": f"{tomorrow}T14:00",
                                                      "ends_at": f"{tomorrow}T16:00"})]
    stocktake = post("/api/v1/stocktakes", it, {"center": "JJ"})
    post(f"/api/v1/stocktakes/{stocktake['id']}/scans", it, {"asset_tag": "NB-003"})
    report = requests.get(f"{url}/api/v1/reports/inventory.pdf", headers=it, timeout=60)
    assert report.status_code == 200, report.text
    loan = requests.get(f"{url}/api/v1/loans/{loans[1]['id']}", headers=it, timeout=30).json()
    documents = [loans[0]["handover_document"]["id"], loan["return_document"]["id"],
                 int(report.headers["X-Fleet-Document-Id"])]
    return {
        "tags": TAGS,
        "centers": ["JJ", "NE"],
        "uids": [IT, AUDITOR, EMPLOYEE, EMPLOYEE2, DISABLED, NOT_ELIGIBLE],
        "loan_refs": [str(loan["id"]) for loan in loans] + [loan["number"] for loan in loans],
        "request_ids": [pending["id"], approved["id"]],
        "document_ids": documents,
        "stocktake_ids": [stocktake["id"]],
        "reservation_ids": [r["id"] for r in reservations],
        "tag_lists": ["NB-001,NB-002", "NE-1", "NB-003, NB-404"],
        "dates": [fleet_today().isoformat(), "2099-01-01", "2099-12-31"],
        "moments": [tomorrow, f"{tomorrow}T09:00", f"{tomorrow}T18:00+09:00", "2099-01-01"],
    }


def _config(seeds: dict[str, list], seed: int) -> schemathesis.Config:
    """Examples, coverage and a bounded fuzzing phase; the seeded values mixed into what is generated."""
    bindings = {
        "path.tag": "tags", "body.asset_tag": "tags", "body.loans[*].asset_tag": "tags",
        "path.code": "centers", "body.center": "centers", "query.center": "centers",
        "path.uid": "uids", "body.assignee": "uids", "body.requester": "uids", "query.assignee": "uids",
        "query.requester": "uids", "body.loans[*].assignee": "uids",
        "path.loan_ref": "loan_refs", "path.request_id": "request_ids", "body.request_id": "request_ids",
        "path.document_id": "document_ids", "path.stocktake_id": "stocktake_ids", "query.tags": "tag_lists",
        "body.needed_from": "dates", "body.needed_until": "dates", "body.due_date": "dates",
        "body.loans[*].due_date": "dates",
        "path.reservation_id": "reservation_ids", "body.person": "uids", "query.person": "uids",
        "body.starts_at": "moments", "body.ends_at": "moments", "query.from": "moments", "query.to": "moments",
        "query.starts_from": "moments", "query.starts_before": "moments", "body.asset_tags[*]": "tags",
    }
    return schemathesis.Config.from_dict({
        "seed": seed,
        "generation": {"max-examples": EXAMPLES, "no-shrink": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "dictionaries": {name: {"values": values} for name, values in seeds.items()},
        "parameters": {key: {"dictionary": name, "probability": 0.6} for key, name in bindings.items()},
    })


@pytest.fixture(scope="module")
def fuzz_target(_session_app, app_config, database_url) -> Iterator[tuple[str, dict]]:
    _empty_tables(_session_app)
    settings = {k: v for k, v in app_config.items() if k.startswith("FLEET_") and isinstance(v, str)}
    server = GunicornServer(settings, workers=2).start()
    try:
        yield server.url, _seed(_session_app, server.url)
    finally:
        server.stop()


@pytest.fixture(scope="module", params=list(ROLES))
def role(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def run_name(role, database_url) -> Iterator[str]:
    name = f"{database_url.split(':')[0]} as {role}"
    started = time.monotonic()
    yield name
    TALLY.seconds[name] += time.monotonic() - started


@pytest.fixture(scope="module")
def role_headers(fuzz_target, role) -> dict[str, str]:
    url, _ = fuzz_target
    return _login(url, ROLES[role])


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_target, role, run_name):
    """Loaded afresh for each role: schemathesis keeps state on the schema (what it has tried, values it learnt from
    responses), and each role's run should stand on its own. Each run (database and role) has a seed of its own,
    fixed, so the six runs explore six ways and a failure comes back the same."""
    url, seeds = fuzz_target
    seed = SEED + zlib.crc32(run_name.encode()) % 10_000
    return schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=_config(seeds, seed))


def test_every_operation_as_every_role(fuzz_target, fuzz_schema, role, role_headers, run_name):
    """Each operation's schemathesis test (examples, coverage, fuzzing); every failure is collected, none stops
    the run, and the test fails at the end listing them all."""
    url, _ = fuzz_target
    failures: list[str] = []

    def check(case) -> None:
        headers = role_headers
        if case.operation.label in LOGS_OUT:
            headers = _login(url, ROLES[role])  # logging out ends the token: spend a fresh one
        response = case.call(headers=headers, timeout=60)
        TALLY.sent(run_name, case.operation.label, response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            found = list(group.exceptions)
        except (Failure, AssertionError) as exc:
            found = [exc]
        else:
            return
        for failure in found:
            if _allow_lists_an_overlapping_route(failure, case):
                TALLY.excluded[run_name] += 1
                continue
            title = getattr(failure, "title", None) or type(failure).__name__
            if TALLY.failed(run_name, case.operation.label, title, str(failure)):
                failures.append(f"{case.operation.label}: {title}\n{_cut(str(failure).strip(), 1500)}\n"
                                f"    {_cut(case.as_curl_command(headers=headers), 600)}")

    # schemathesis' pytest integration (`schemathesis.pytest.from_fixture`) builds these same tests, but its
    # lazy loader writes `Node._nodeid`, which pytest 9 no longer has; so the tests it would build are run here.
    for built in get_all_tests(schema=fuzz_schema, test_func=check, settings=None, given_kwargs=None):
        if isinstance(built, Err):  # the document itself is wrong for this operation: nothing can be generated
            error = built.err()
            label = f"{(error.method or '').upper()} {error.path}".strip()
            TALLY.failed(run_name, label, "Invalid schema", str(error))
            failures.append(f"{label}: Invalid schema\n{error}")
            continue
        operation, operation_test = built.ok()
        if ONLY and not re.search(ONLY, operation.label):
            continue
        operation_test()
    if failures:
        pytest.fail(f"{len(failures)} failures as {role}:\n\n" + "\n\n".join(failures), pytrace=False)


def _allow_lists_an_overlapping_route(failure: BaseException, case) -> bool:
    """The one excluded case, a false positive of allow_header_conformance.

    /api/v1/assets/import is also /api/v1/assets/{tag} with the tag "import" (as /api/v1/loans/bulk is
    /api/v1/loans/{loan_ref}), so Werkzeug rightly answers OPTIONS with the methods of both routes, while
    schemathesis compares `Allow` with the literal path's operations only. Excluded when nothing documented is
    missing and every extra method is documented on a templated path that the same URL matches.
    """
    if not isinstance(failure, AllowHeaderMismatch) or failure.missing_methods:
        return False
    path = case.operation.path
    also = set()
    for template, item in case.operation.schema.raw_schema["paths"].items():
        if template != path and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            also |= {method.upper() for method in item if method != "parameters"}
    return bool(also) and set(failure.undocumented_methods) <= also


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
