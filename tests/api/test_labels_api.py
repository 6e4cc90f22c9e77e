"""Label sheets through the API: QR codes that decode, registered, and clear refusals."""

from __future__ import annotations

import hashlib

import pytest

from fleet.extensions import db
from fleet.models import Document
from fleet.services.labels import MAX_LABELS
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import stock
from tests.fixtures_data import EMPLOYEE
from tests.support import pdf


def _documents(app, kind="labels") -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(Document).where(
            Document.kind == kind)).scalar()


def test_labels_for_listed_tags(app, client, it_headers):
    stock(app, "NB-001", "NB-002", "NB-003")
    response = client.get("/api/v1/labels.pdf?tags=nb-001, NB-002 ,NB-001", headers=it_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    body = response.data
    assert sorted(pdf.qr_codes(body)) == ["fleet:asset:NB-001", "fleet:asset:NB-002"]
    flat = pdf.flat_text(body)
    assert "NB-001" in flat and "NB-002" in flat and "NB-003" not in flat and "LGgram16·JJ" in flat
    assert all(embedded for _, embedded in pdf.fonts(body))
    document_id = int(response.headers["X-Fleet-Document-Id"])
    meta = client.get(f"/api/v1/documents/{document_id}", headers=it_headers).get_json()
    assert meta["kind"] == "labels" and meta["sha256"] == hashlib.sha256(body).hexdigest()
    assert client.get(meta["url"], headers=it_headers).data == body


def test_labels_for_a_center(app, client, it_headers):
    stock(app, "NB-001", "NB-002", "NB-003")
    response = client.get("/api/v1/labels.pdf?center=JJ", headers=it_headers)
    assert response.status_code == 200
    assert sorted(pdf.qr_codes(response.data)) == ["fleet:asset:NB-001", "fleet:asset:NB-002", "fleet:asset:NB-003"]
    assert "대전광역시유성구청" in pdf.flat_text(response.data)
    assert _documents(app) == 1


def test_unknown_tags_are_named(app, client, it_headers):
    stock(app, "NB-001")
    problem = assert_problem(client.get("/api/v1/labels.pdf?tags=NB-001,NOPE-1,nope-2", headers=it_headers), 422)
    assert "NOPE-1" in problem["detail"] and "NOPE-2" in problem["detail"] and "NB-001" not in problem["detail"]
    assert problem["errors"]["tags"]
    assert _documents(app) == 0


@pytest.mark.parametrize("query", ["", "?tags=", "?tags=,,", "?center=", "?center=JJ&tags=NB-001",
                                   "?center=NOPE", "?center=%00", "?tags=NB%00001", "?center=" + "X" * 40])
def test_refusals(app, client, it_headers, query):
    stock(app, "NB-001")
    assert_problem(client.get(f"/api/v1/labels.pdf{query}", headers=it_headers), 422)
    assert _documents(app) == 0


def test_at_most_a_thousand_labels(app, client, it_headers):
    stock(app, "NB-001")
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    tags = ",".join(a + b for a in digits for b in digits)[:3 * (MAX_LABELS + 1) - 1]
    problem = assert_problem(client.get(f"/api/v1/labels.pdf?tags={tags}", headers=it_headers), 422)
    assert str(MAX_LABELS) in problem["detail"]


def test_the_tags_query_fits_in_a_url_the_server_takes(client, it_headers):
    """The query once allowed 70,000 characters, which no URL gunicorn takes (8190 bytes, gunicorn.conf.py) holds."""
    tags = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/labels.pdf"]["get"]["parameters"]
    assert [p["schema"]["maxLength"] for p in tags if p["name"] == "tags"] == [4000]
    body = assert_problem(client.get("/api/v1/labels.pdf?tags=" + "N" * 4001, headers=it_headers), 422)
    assert set(body["errors"]) == {"tags"}


def test_a_center_with_no_assets(app, client, it_headers):
    stock(app)
    assert_problem(client.get("/api/v1/labels.pdf?center=JJ", headers=it_headers), 422)


def test_only_it_prints_labels(app, client, login, auditor_headers):
    stock(app, "NB-001")
    assert_problem(client.get("/api/v1/labels.pdf?center=JJ", headers=auditor_headers), 403)
    assert_problem(client.get("/api/v1/labels.pdf?center=JJ", headers=login(EMPLOYEE)), 403)
    assert_problem(client.get("/api/v1/labels.pdf?center=JJ"), 401)
