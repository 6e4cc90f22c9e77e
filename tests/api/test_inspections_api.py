"""Inspections through the API and the desk's pages: the due list at a fixed moment, recording an inspection as an
event, needs_repair pointing at the swap, refusals."""

from __future__ import annotations

import json
from datetime import date, timedelta

import time_machine

from fleet.extensions import db
from fleet.models import Event
from fleet.security import get_directory
from fleet.services.loans import HandoverOrder, hand_over
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import stock
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import AUDITOR, EMPLOYEE, IT
from tests.services.test_inspections import seoul
from tests.web.test_pages import EN, KO, log_in, post

START = date(2031, 1, 31)


def _loans(app, monkeypatch):
    monkeypatch.setitem(app.config, "FLEET_INSPECTION_MONTHS", {"laptop": 1})
    stock(app, "NB-1", "NB-2", "NB-3")
    with app.app_context():
        for tag, day in (("NB-1", START), ("NB-2", START + timedelta(days=1))):
            hand_over(get_directory(), HandoverOrder(tag, EMPLOYEE, due_date=date(2032, 1, 1)), IT_PRINCIPAL,
                      now=seoul(day, 10))
        db.session.commit()


def _token(client, uid) -> dict:
    """A token made at the traveller's moment (one from today would have expired by 2031)."""
    token = client.post("/api/v1/auth/token", json={"username": uid, "password": uid + "pw"}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_due_list_at_a_fixed_moment(app, client, monkeypatch):
    _loans(app, monkeypatch)
    # Handed over on 31 January, one month: due on 28 February (the month's last day); the other on 1 March.
    with time_machine.travel(seoul(date(2031, 2, 28), 0, 5), tick=False):
        it_headers, auditor_headers = _token(client, IT), _token(client, AUDITOR)
        items = client.get("/api/v1/inspections/due", headers=it_headers).get_json()["items"]
        assert [(i["asset_tag"], i["due_on"], i["days_overdue"]) for i in items] == [("NB-1", "2031-02-28", 0)]
        assert items[0]["assignee"]["uid"] == EMPLOYEE and items[0]["last_inspected_at"] is None
        assert_problem(client.get("/api/v1/inspections/due", headers=auditor_headers), 403)
    with time_machine.travel(seoul(date(2031, 3, 5), 9), tick=False):
        it_headers = _token(client, IT)
        first = client.get("/api/v1/inspections/due?limit=1", headers=it_headers).get_json()
        rest = client.get(f"/api/v1/inspections/due?limit=1&cursor={first['next_cursor']}",
                          headers=it_headers).get_json()
        assert [i["asset_tag"] for i in first["items"] + rest["items"]] == ["NB-1", "NB-2"]
        assert rest["next_cursor"] is None


def test_recording_an_inspection_is_an_event_and_needs_repair_offers_the_swap(app, client, it_headers,
                                                                             auditor_headers, monkeypatch):
    _loans(app, monkeypatch)
    response = client.post("/api/v1/assets/nb-1/inspections", json={"result": "ok", "note": "배터리 87%"},
                           headers=it_headers)
    assert response.status_code == 201, response.get_json()
    ok = response.get_json()
    assert (ok["asset_tag"], ok["result"], ok["swap_url"], ok["inspected_by"]) == ("NB-1", "ok", None, IT)
    broken = client.post("/api/v1/assets/NB-2/inspections", json={"result": "needs_repair", "note": "키보드 불량"},
                         headers=it_headers).get_json()
    assert broken["swap_url"] == f"/api/v1/loans/{broken['loan_id']}/swap"
    in_stock = client.post("/api/v1/assets/NB-3/inspections", json={"result": "needs_repair", "note": "액정 파손"},
                           headers=it_headers).get_json()
    assert in_stock["loan_id"] is None and in_stock["swap_url"] is None
    with app.app_context():
        inspected = [(e.subject_id, json.loads(e.data)["after"]) for e in db.session.execute(
            db.select(Event).where(Event.action == "asset.inspected").order_by(Event.seq)).scalars()]
    assert [(tag, data["result"], data["note"]) for tag, data in inspected] == [
        ("NB-1", "ok", "배터리 87%"), ("NB-2", "needs_repair", "키보드 불량"), ("NB-3", "needs_repair", "액정 파손")]
    assert inspected[0][1]["loan"].startswith("L-")
    history = client.get("/api/v1/assets/NB-1/history", headers=auditor_headers).get_json()["items"]
    assert history[-1]["action"] == "asset.inspected"


def test_bad_inspections_are_refused(app, client, it_headers, auditor_headers, monkeypatch):
    _loans(app, monkeypatch)
    assert_problem(client.post("/api/v1/assets/NB-1/inspections", json={"result": "fine"}, headers=it_headers), 422)
    body = assert_problem(client.post("/api/v1/assets/NB-1/inspections", json={"result": "needs_repair"},
                                      headers=it_headers), 422)
    assert "note" in body["errors"]
    assert_problem(client.post("/api/v1/assets/NOPE/inspections", json={"result": "ok"}, headers=it_headers), 404)
    assert_problem(client.post("/api/v1/assets/NB-1/inspections", json={"result": "ok"}, headers=auditor_headers),
                   403)
    assert client.post("/api/v1/assets/NB-3/status", json={"status": "retired", "reason": "x"},
                       headers=it_headers).status_code == 200
    assert_problem(client.post("/api/v1/assets/NB-3/inspections", json={"result": "ok"}, headers=it_headers), 409)


def test_the_desk_pages_in_both_languages(app, client, monkeypatch):
    _loans(app, monkeypatch)
    with time_machine.travel(seoul(date(2031, 3, 5), 9), tick=True):
        log_in(client, IT)
        ko = client.get("/desk/inspections", headers=KO).get_data(as_text=True)
        assert "점검 대상" in ko and "NB-1" in ko and "NB-2" in ko and "노트북 1개월" in ko and "없음" in ko
        en = client.get("/desk/inspections", headers=EN).get_data(as_text=True)
        assert "Inspections due" in en and "Laptop 1 months" in en
    log_in(client, IT)
    page = client.get("/assets/NB-2", headers=KO).get_data(as_text=True)
    assert 'for="inspection-result"' in page and "점검 기록" in page
    refused = post(client, "/assets/NB-2/inspections", {"result": "needs_repair", "note": ""}, headers=KO)
    assert refused.status_code == 422 and "수리가 필요하면 입력해야 합니다." in refused.get_data(as_text=True)
    done = post(client, "/assets/NB-2/inspections", {"result": "needs_repair", "note": "배터리 부풂"}, headers=EN)
    assert done.status_code == 302
    page = client.get(done.headers["Location"], headers=EN).get_data(as_text=True)
    assert "take it back and hand over another one" in page and "배터리 부풂" in page
