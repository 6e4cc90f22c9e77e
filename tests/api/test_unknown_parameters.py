"""Every API operation refuses query parameters it does not know: 422 naming each, listing the known ones.

A typo in a filter (`from_date` for `from`) used to be ignored: the report of another period came back, registered
and signed as if it were the one asked for. The known parameters are the ones the OpenAPI description lists.
"""

from __future__ import annotations

import pytest

from fleet.extensions import db
from fleet.models import Document
from tests.api.test_auth_api import assert_problem
from tests.fixtures_data import IT

# (path, a typo of a real parameter, the parameters the operation takes)
ENDPOINTS = [
    ("/api/v1/reports/utilisation.pdf", "from_date=2026-01-01", ["as_of", "center", "from", "to", "days", "reason"]),
    ("/api/v1/reports/loans.csv", "to_date=2026-01-31", ["as_of", "center", "from", "to", "days", "reason"]),
    ("/api/v1/assets", "statuss=in_stock", ["limit", "cursor", "status", "center", "category", "q"]),
    ("/api/v1/loans", "overdue_only=true", ["limit", "cursor", "active", "overdue", "assignee", "center"]),
    ("/api/v1/availability", "centre=JINJAM", ["center", "category", "from", "to", "per_asset"]),
    ("/api/v1/events/export", "since=1", ["from", "to", "reason"]),
    ("/api/v1/events", "acton=loan.returned", ["limit", "cursor", "subject", "actor", "action", "from", "to"]),
    ("/api/v1/me", "verbose=1", []),
]


@pytest.mark.parametrize(("path", "query", "known"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_an_unknown_query_parameter_is_refused_by_name(app, client, login, path, query, known):
    with app.app_context():
        documents = db.session.query(Document).count()
    response = client.get(f"{path}?{query}", headers=login(IT))
    problem = assert_problem(response, 422)
    name = query.partition("=")[0]
    assert problem["errors"] == {name: ["Unknown parameter."]}
    assert problem["detail"].startswith(f"Unknown query parameter: {name}. This operation takes: ")
    assert problem["detail"].partition("takes: ")[2] == (", ".join(known) or "none") + "."
    with app.app_context():
        assert db.session.query(Document).count() == documents  # nothing was registered


def test_every_unknown_parameter_is_named(client, login):
    problem = assert_problem(client.get("/api/v1/reports/loans.pdf?from=2026-01-01&from_date=x&until=y&reason=audit",
                                        headers=login(IT)), 422)
    assert set(problem["errors"]) == {"from_date", "until"}


def test_a_known_parameter_still_works(client, login):
    response = client.get("/api/v1/reports/loans.csv?from=2026-01-01&to=2026-01-31&reason=audit", headers=login(IT))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize(("report", "query", "refused"), [
    ("overdue", "from=2026-01-01", "from"),
    ("leavers", "to=2026-01-31", "to"),
    ("loans", "as_of=2026-01-31", "as_of"),
    ("inventory", "from=2026-01-01", "from"),
    ("incidents", "as_of=2026-01-31", "as_of"),
    ("incidents", "days=30", "days"),
])
def test_a_parameter_the_named_report_does_not_take_is_refused(client, login, report, query, refused):
    problem = assert_problem(client.get(f"/api/v1/reports/{report}.pdf?{query}&reason=audit", headers=login(IT)),
                             422)
    assert problem["errors"] == {refused: [f"Not a parameter of the {report} report."]}


def test_pages_still_ignore_unknown_parameters(client, login):
    client.post("/login", data={"username": IT, "password": IT + "pw"})
    assert client.get("/?utm_source=mail").status_code in (200, 302)


def test_the_openapi_description_lists_the_rule_on_every_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
                  if method in ("get", "post", "put", "patch", "delete")]
    assert len(operations) > 40
    missing = [f"{method.upper()} {path}" for path, method, op in operations if "422" not in op["responses"]]
    assert missing == []
