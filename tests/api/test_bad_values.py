"""Values no column can hold are the client's mistake: 4xx problems, never a 500, on both databases."""

from __future__ import annotations

import pytest

from tests.api.test_auth_api import assert_problem


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
