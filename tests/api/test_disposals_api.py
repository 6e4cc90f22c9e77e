"""Disposal in one step: 50 in-stock assets retired with one reason and one registered list PDF, or none at all."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from decimal import Decimal

from fleet.extensions import db
from fleet.models import Asset, Disposal, Document, Event
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over
from tests.factories import create_asset, create_center
from tests.fixtures_data import EMPLOYEE
from tests.support import pdf

TAGS = [f"YS-NB-{n:03d}" for n in range(1, 51)]


def _fifty(app):
    with app.app_context():
        create_center(code="JJ", name="진잠도서관 스마트워크센터")
        for n, tag in enumerate(TAGS, start=1):
            create_asset("JJ", asset_tag=tag, purchase_date=date(2019, 1, n % 28 + 1),
                         purchase_cost=Decimal("1234567.01") if n % 2 else Decimal("1000000.10"))


def _statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(db.select(Asset.asset_tag, Asset.status)).all())


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(model).where(*where)).scalar_one()


def test_fifty_assets_one_on_loan_nothing_is_retired(app, client, it_headers):
    _fifty(app)
    assert hand_over(client, it_headers, TAGS[37], EMPLOYEE).status_code == 201
    events_before = _count(app, Event)
    response = client.post("/api/v1/disposals", json={"asset_tags": TAGS, "reason": "내용연수 경과"},
                           headers=it_headers)
    body = assert_problem(response, 409)
    assert f"{TAGS[37]} (on_loan)" in body["detail"] and "Nothing was retired" in body["detail"]
    assert body["errors"]["asset_tags"] == [f"{TAGS[37]} is on_loan"]
    statuses = _statuses(app)
    assert statuses[TAGS[37]] == "on_loan" and all(statuses[t] == "in_stock" for t in TAGS if t != TAGS[37])
    assert _count(app, Event) == events_before
    assert _count(app, Disposal) == 0 and _count(app, Document, Document.kind == "disposal_list") == 0


def test_fifty_assets_retired_with_one_list(app, client, it_headers, auditor_headers):
    _fifty(app)
    tags = [t.lower() for t in TAGS] + [TAGS[0]]  # spelling and a repeat do not matter
    response = client.post("/api/v1/disposals", json={"asset_tags": tags, "reason": "내용연수 경과 (불용 처분)"},
                           headers=it_headers)
    assert response.status_code == 201, response.get_json()
    disposal = response.get_json()
    assert disposal["number"].endswith(f"-{disposal['id']:06d}") and disposal["number"].startswith("D-")
    assert [i["asset_tag"] for i in disposal["items"]] == TAGS
    assert disposal["purchase_cost_total"] == str(Decimal("1234567.01") * 25 + Decimal("1000000.10") * 25)
    assert set(_statuses(app).values()) == {"retired"}
    with app.app_context():
        changes = [json.loads(e.data) for e in db.session.execute(
            db.select(Event).where(Event.action == "asset.status_changed").order_by(Event.seq)).scalars()]
        assert len(changes) == 50
        assert all(c["after"] == {"status": "retired"} and c["disposal"] == disposal["number"] for c in changes)
        decided, = db.session.execute(db.select(Event).where(Event.action == "disposal.decided")).scalars()
        data = json.loads(decided.data)
        assert decided.subject_id == disposal["number"] and data["after"]["assets"] == 50
    # The registered list: the same bytes for an auditor, with every asset, its age and cost, and the 결재란.
    body = client.get(disposal["document"]["url"], headers=auditor_headers).data
    assert data["after"]["sha256"] == hashlib.sha256(body).hexdigest()
    text = pdf.text(body)
    flat = "".join(text.split())
    assert "불용 결정 목록" in text and "Disposal list" in text and disposal["number"] in flat
    assert all(tag in flat for tag in TAGS)
    assert "결" in text and "담당" in text and "팀장" in text and "과장" in text
    assert "1,234,567" in flat and "55,864,178" in flat  # 25 × 1,234,567.01 + 25 × 1,000,000.10 = 55,864,177.75
    assert re.search(r"\d+년\d+개월\(\d+y\d+m\)", flat)  # each asset's age
    assert all(embedded for _, embedded in pdf.fonts(body))
    again = client.get(f"/api/v1/disposals/{disposal['id']}", headers=auditor_headers).get_json()
    assert again["document"] == disposal["document"]
    # Retired is final: the same list again is refused.
    assert_problem(client.post("/api/v1/disposals", json={"asset_tags": TAGS[:1], "reason": "x"},
                               headers=it_headers), 409)


def test_bad_lists_are_refused_and_change_nothing(app, client, it_headers, auditor_headers):
    _fifty(app)
    assert_problem(client.post("/api/v1/disposals", json={"asset_tags": [], "reason": "x"}, headers=it_headers), 422)
    assert_problem(client.post("/api/v1/disposals", json={"asset_tags": TAGS, "reason": " "}, headers=it_headers),
                   422)
    unknown = assert_problem(client.post("/api/v1/disposals", json={"asset_tags": [*TAGS, "NOPE-1"], "reason": "x"},
                                         headers=it_headers), 404)
    assert "NOPE-1" in unknown["detail"]
    assert_problem(client.post("/api/v1/disposals", json={"asset_tags": TAGS, "reason": "x"},
                               headers=auditor_headers), 403)
    assert set(_statuses(app).values()) == {"in_stock"}
    assert_problem(client.get("/api/v1/disposals/99", headers=auditor_headers), 404)
