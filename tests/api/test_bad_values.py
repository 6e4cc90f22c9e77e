"""Values no column can hold are the client's mistake: 4xx problems, never a 500, on both databases."""

from __future__ import annotations

import pytest
import requests

from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import stock
from tests.fixtures_data import IT
from tests.support.server import GunicornServer


@pytest.mark.parametrize("path", ["/api/v1/centers/%00", "/api/v1/assets/%00", "/api/v1/assets?center=%00",
                                  "/api/v1/assets?q=%00", "/api/v1/loans/99999999999",
                                  "/api/v1/loans/L-2026-99999999999", "/api/v1/requests/99999999999",
                                  "/api/v1/documents/99999999999.pdf", "/api/v1/people/%00",
                                  "/api/v1/events?actor=%00", "/api/v1/loans?assignee=%00"])
def test_odd_values_in_urls(client, it_headers, path):
    response = client.get(path, headers=it_headers)
    assert response.status_code < 500, (path, response.status_code)
    if response.status_code == 200:  # a filter that can match nothing simply finds nothing
        assert response.get_json()["items"] == []
    else:
        assert response.mimetype == "application/problem+json"


def test_odd_values_in_bodies(client, it_headers):
    assert_problem(client.post("/api/v1/centers", headers=it_headers,
                               json={"code": "A", "name": "x\x00y", "kind": "office"}), 422)
    assert_problem(client.post("/api/v1/loans", headers=it_headers, json={"asset_tag": "\x00", "assignee": "emp1"}),
                   422)
    assert client.get("/api/v1/centers", headers=it_headers).get_json()["items"] == []


@pytest.mark.parametrize("text", ["\\ud9b4", "x\\udebf", "\\uDBFF\\uDBFF"])
def test_half_a_surrogate_pair_is_refused(app, client, it_headers, text):
    """Found by the fuzz run: `"\\ud9b4"` is valid JSON but no text; a hand-over with it in an accessory reached the
    event log's hash, which could not encode it (a 500). Now a 422 for any field, before anything is written."""
    stock(app, "NB-001")
    body = '{"asset_tag": "NB-001", "assignee": "emp1", "accessories": ["' + text + '"]}'
    assert_problem(client.post("/api/v1/loans", data=body, content_type="application/json", headers=it_headers),
                   422)
    body = '{"code": "A", "name": "' + text + '", "kind": "office"}'
    assert_problem(client.post("/api/v1/centers", data=body, content_type="application/json", headers=it_headers),
                   422)
    assert client.get("/api/v1/loans", headers=it_headers).get_json()["items"] == []
    # A whole pair is a character like any other, escaped or not.
    body = '{"code": "B", "name": "\\ud83d\\ude00 \U0001f600", "kind": "office"}'
    response = client.post("/api/v1/centers", data=body.encode(), content_type="application/json",
                           headers=it_headers)
    assert response.status_code == 201 and response.get_json()["name"] == "\U0001f600 \U0001f600"


@pytest.mark.parametrize("path", ["/api/v1/requests/2147483648", "/api/v1/loans/2147483648",
                                  "/api/v1/loans/L-2026-2147483648", "/api/v1/documents/2147483648",
                                  "/api/v1/stocktakes/2147483648", "/api/v1/requests/4611686018427387903"])
def test_ids_past_32_bits_name_nothing_on_every_database(client, it_headers, path):
    """Ids are INTEGER columns (32 bits on PostgreSQL). Found by the fuzz run: GET /requests/{id} between 2**31 and
    2**62 reached PostgreSQL, which refused it (a 422 the operation does not document); SQLite answered 404."""
    assert_problem(client.get(path, headers=it_headers), 404)
    if path.startswith("/api/v1/requests/"):
        assert_problem(client.post(f"{path}/approve", json={}, headers=it_headers), 404)


def test_a_hand_over_names_a_request_id_past_32_bits_as_a_field_error(client, it_headers):
    body = assert_problem(client.post("/api/v1/loans", json={"asset_tag": "NB-1", "assignee": "emp1",
                                                              "request_id": 2**31}, headers=it_headers), 422)
    assert set(body["errors"]) == {"request_id"}, body


@pytest.fixture
def server(app, app_config):
    settings = {k: v for k, v in app_config.items() if k.startswith("FLEET_") and isinstance(v, str)}
    srv = GunicornServer(settings, workers=1).start()
    yield srv
    srv.stop()


def test_long_urls_under_gunicorn_are_judged_by_fleet_or_refused_as_a_problem(server, client):
    """Found by the fuzz run: gunicorn's default request line (4094 bytes) turned away URLs that Fleet's filters
    allow, with an HTML page. gunicorn.conf.py takes 8190 bytes, and what gunicorn still refuses is a problem."""
    token = requests.post(f"{server.url}/api/v1/auth/token", json={"username": IT, "password": "it1pw"},
                          timeout=30).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    # Every filter at its longest, in Korean (9 URL bytes a character): about 4.4 KB of URL, which Fleet judges.
    response = requests.get(f"{server.url}/api/v1/loans", params={"assignee": "가" * 256, "center": "가" * 32,
                                                                  "cursor": "가" * 200}, headers=headers, timeout=30)
    assert response.status_code == 422 and response.json()["errors"], response.text
    response = requests.get(f"{server.url}/api/v1/assets", params={"q": "x" * 9000}, headers=headers, timeout=30)
    assert response.status_code == 414 and response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 414 and body["title"] and body["detail"] and body["type"]
    # Documented: any operation can meet the limit.
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = [operation for item in paths.values() for method, operation in item.items() if method != "parameters"]
    assert operations and all("414" in operation["responses"] for operation in operations)
