"""Repairs through the API: refused on loan, closed fixed (stock or quarantine) and beyond repair (retired),
costs summed exactly in Decimal, the overdue flag, the filters, the events."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from fleet.extensions import db
from fleet.models import Event, Repair
from fleet.services import assets as asset_service
from fleet.services import repairs as repair_service
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.factories import IT_PRINCIPAL, create_center
from tests.fixtures_data import EMPLOYEE, IT
from tests.support.clock import FLEET_ZONE, fleet_today
from tests.web.test_pages import EN, KO, log_in


def send(client, headers, tag="NB-001", **extra):
    body = {"asset_tag": tag, "vendor": "LG전자 서비스센터", "ticket": "RMA-77", "fault": "화면 깜빡임", **extra}
    return client.post("/api/v1/repairs", json=body, headers=headers)


def close(client, headers, repair_id, **body):
    return client.post(f"/api/v1/repairs/{repair_id}/close", json=body, headers=headers)


def asset(client, headers, tag="NB-001"):
    return client.get(f"/api/v1/assets/{tag}", headers=headers).get_json()


def events(app, action):
    with app.app_context():
        return [(e.subject_id, json.loads(e.data)) for e in
                db.session.execute(db.select(Event).where(Event.action == action).order_by(Event.seq)).scalars()]


def test_a_repair_of_an_asset_on_loan_is_refused_and_changes_nothing(app, client, it_headers):
    stock(app, "NB-001")
    assert hand_over(client, it_headers).status_code == 201
    body = assert_problem(send(client, it_headers), 409)
    assert "on loan" in body["detail"] and "take it back or swap it" in body["detail"]
    assert asset(client, it_headers)["status"] == "on_loan"
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Repair)).scalar_one() == 0
    assert events(app, "repair.opened") == []


def test_closed_fixed_a_wiped_laptop_goes_back_to_stock(app, client, it_headers):
    stock(app, "NB-001")
    response = send(client, it_headers, under_warranty=True)
    assert response.status_code == 201, response.get_json()
    repair = response.get_json()
    assert (repair["status"], repair["asset_tag"], repair["center"], repair["under_warranty"]) == \
        ("open", "NB-001", "JJ", True)
    assert repair["overdue"] is False and repair["cost"] is None and repair["asset_status_before"] == "in_stock"
    assert asset(client, it_headers)["status"] == "in_repair"
    # A second repair of the same asset while the first is open: 409.
    assert_problem(send(client, it_headers), 409)
    # The status cannot be moved by hand past the open repair.
    assert_problem(client.post("/api/v1/assets/NB-001/status", json={"status": "in_stock", "reason": "x"},
                               headers=it_headers), 409)
    response = close(client, it_headers, repair["id"], result="fixed", cost="0", data_wiped=True, note="패널 교체")
    assert response.status_code == 200, response.get_json()
    closed = response.get_json()
    assert (closed["status"], closed["result"], closed["cost"], closed["asset_status_after"]) == \
        ("closed", "fixed", "0.00", "in_stock")
    assert asset(client, it_headers)["status"] == "in_stock"
    assert_problem(close(client, it_headers, repair["id"], result="fixed"), 409)  # closed already
    opened, = events(app, "repair.opened")
    assert opened[0] == "NB-001" and opened[1]["before"] == {"status": "in_stock"}
    assert opened[1]["after"]["status"] == "in_repair" and opened[1]["after"]["vendor"] == "LG전자 서비스센터"
    closed_event, = events(app, "repair.closed")
    assert closed_event[1]["after"]["status"] == "in_stock" and closed_event[1]["after"]["cost"] == "0.00"
    history = client.get("/api/v1/assets/NB-001/history", headers=it_headers).get_json()["items"]
    assert [e["action"] for e in history][-2:] == ["repair.opened", "repair.closed"]


def test_closed_fixed_a_laptop_whose_data_is_not_wiped_goes_to_quarantine(app, client, it_headers):
    stock(app, "NB-001")
    stock(app, "MON-1", category="monitor")
    first = send(client, it_headers).get_json()
    second = send(client, it_headers, tag="MON-1").get_json()
    assert close(client, it_headers, first["id"], result="fixed").get_json()["asset_status_after"] == "quarantine"
    assert asset(client, it_headers)["status"] == "quarantine"
    # A monitor holds no data: back in stock without a wipe.
    assert close(client, it_headers, second["id"], result="fixed").get_json()["asset_status_after"] == "in_stock"
    # From quarantine it can go to a vendor again.
    assert send(client, it_headers).status_code == 201


def test_beyond_repair_retires_the_asset_with_the_repair_as_reason(app, client, it_headers):
    stock(app, "NB-001")
    repair = send(client, it_headers, ticket=None).get_json()
    response = close(client, it_headers, repair["id"], result="beyond_repair", cost=95000)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["asset_status_after"] == "retired"
    assert asset(client, it_headers)["status"] == "retired"
    (_, data), = events(app, "repair.closed")
    assert data["after"]["status"] == "retired" and data["after"]["result"] == "beyond_repair"
    assert data["reason"] == f"Beyond repair (repair {repair['id']}, LG전자 서비스센터)"
    assert_problem(send(client, it_headers), 409)  # retired is final


def test_repair_costs_add_up_exactly_on_the_asset_page(app, client, it_headers, login):
    stock(app, "NB-001")
    costs = ["0.10", "0.20", 0.1, "1234567.89"]  # floats would make 0.1 + 0.2 + 0.1 = 0.4000000000000001
    for cost in costs:
        repair = send(client, it_headers).get_json()
        assert close(client, it_headers, repair["id"], result="fixed", cost=cost,
                     data_wiped=True).status_code == 200
    with app.app_context():
        stored = [r.cost for r in db.session.execute(db.select(Repair).order_by(Repair.id)).scalars()]
        assert all(isinstance(c, Decimal) for c in stored)
        assert sum(stored) == Decimal("1234568.29")
    listed = client.get("/api/v1/repairs?asset_tag=NB-001", headers=it_headers).get_json()["items"]
    assert [r["cost"] for r in listed] == ["1234567.89", "0.10", "0.20", "0.10"]
    log_in(client, IT)
    html = client.get("/assets/NB-001", headers=EN).get_data(as_text=True)
    assert 'id="repair-total">1,234,568.29<' in html and "Total repair cost" in html
    assert "수리비 합계" in client.get("/assets/NB-001", headers=KO).get_data(as_text=True)


def test_bad_input_is_a_422_that_changes_nothing(app, client, it_headers):
    stock(app, "NB-001")
    tomorrow = (fleet_today() + timedelta(days=2)).isoformat()
    body = assert_problem(send(client, it_headers, sent_at=tomorrow), 422)
    assert "sent_at" in body["errors"]
    assert_problem(send(client, it_headers, vendor=""), 422)
    assert_problem(send(client, it_headers, colour="red"), 422)
    assert_problem(send(client, it_headers, tag="NOPE"), 404)
    assert asset(client, it_headers)["status"] == "in_stock"
    repair = send(client, it_headers).get_json()
    for bad in ({"result": "mended"}, {"result": "fixed", "cost": -1}, {"result": "fixed", "cost": "NaN"},
                {"result": "fixed", "returned_at": "2001-01-01"}):
        assert_problem(close(client, it_headers, repair["id"], **bad), 422)
    assert asset(client, it_headers)["status"] == "in_repair"
    assert_problem(close(client, it_headers, 999999, result="fixed"), 404)


def test_only_it_staff_send_and_close_auditors_read(app, client, it_headers, auditor_headers, login):
    stock(app, "NB-001")
    assert_problem(send(client, auditor_headers), 403)
    assert_problem(send(client, login(EMPLOYEE)), 403)
    repair = send(client, it_headers).get_json()
    assert client.get("/api/v1/repairs", headers=auditor_headers).status_code == 200
    assert client.get(f"/api/v1/repairs/{repair['id']}", headers=auditor_headers).get_json()["id"] == repair["id"]
    assert_problem(client.get("/api/v1/repairs", headers=login(EMPLOYEE)), 403)


def test_a_repair_open_longer_than_the_limit_is_flagged_and_filtered(app, client, it_headers):
    stock(app, "NB-001", "NB-002", "NB-003")
    limit = app.config["FLEET_REPAIR_DAYS"]
    today = fleet_today()
    old = send(client, it_headers, tag="NB-001", sent_at=(today - timedelta(days=limit + 1)).isoformat(),
                   under_warranty=True).get_json()
    edge = send(client, it_headers, tag="NB-002", sent_at=(today - timedelta(days=limit)).isoformat(),
                    under_warranty=True).get_json()
    send(client, it_headers, tag="NB-003")  # no warranty end: not under warranty
    assert (old["overdue"], old["days_open"]) == (True, limit + 1)
    assert (edge["overdue"], edge["days_open"]) == (False, limit)
    flagged = client.get("/api/v1/repairs?overdue=true", headers=it_headers).get_json()["items"]
    assert [r["asset_tag"] for r in flagged] == ["NB-001"]
    assert len(client.get("/api/v1/repairs?overdue=false", headers=it_headers).get_json()["items"]) == 2
    assert [r["asset_tag"] for r in client.get("/api/v1/repairs?under_warranty=false&center=JJ",
                                               headers=it_headers).get_json()["items"]] == ["NB-003"]
    first = client.get("/api/v1/repairs?limit=2", headers=it_headers).get_json()
    rest = client.get(f"/api/v1/repairs?limit=2&cursor={first['next_cursor']}", headers=it_headers).get_json()
    assert [r["asset_tag"] for r in first["items"] + rest["items"]] == ["NB-003", "NB-002", "NB-001"]
    log_in(client, IT)
    for headers, text in ((EN, f"Repairs open over {limit} days"), (KO, f"{limit}일 넘게 수리 중")):
        html = client.get("/desk", headers=headers).get_data(as_text=True)
        assert text in html
        assert 'id="tile-repairs"' in html and "<b>1</b>" in html.split('id="tile-repairs"')[1][:200]
    listed = client.get("/desk/repairs?overdue=1").get_data(as_text=True)
    assert "NB-001" in listed and "NB-002" not in listed


def test_a_repair_open_on_an_earlier_day_keeps_its_moment(app, client, it_headers):
    stock(app, "NB-001")
    moment = datetime.combine(fleet_today() - timedelta(days=3), time(14, 30), tzinfo=FLEET_ZONE)
    repair = send(client, it_headers, sent_at=moment.isoformat()).get_json()
    assert datetime.fromisoformat(repair["sent_at"]) == moment
    assert repair["days_open"] == 3


def test_the_inventory_of_a_past_day_replays_the_repairs(app, client, auditor_headers):
    def noon(days_ago: int) -> datetime:
        return datetime.combine(fleet_today() - timedelta(days=days_ago), time(12), tzinfo=FLEET_ZONE)

    with app.app_context():
        create_center(code="JJ", name="진잠도서관 스마트워크센터")
        asset_service.create_asset(IT_PRINCIPAL, asset_tag="NB-001", category="laptop", center="JJ", now=noon(6))
        repair = repair_service.open_repair(IT_PRINCIPAL, asset_tag="NB-001", vendor="LG", fault="전원",
                                            sent_at=noon(4), now=noon(4))
        repair_service.close_repair(repair, IT_PRINCIPAL, result="fixed", data_wiped=True, returned_at=noon(2),
                                    now=noon(2))
        db.session.commit()

    def status_on(days_ago: int) -> str:
        day = (fleet_today() - timedelta(days=days_ago)).isoformat()
        response = client.get(f"/api/v1/reports/inventory.csv?as_of={day}", headers=auditor_headers)
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        return dict(zip(rows[0], rows[1], strict=True))["상태 Status"]

    assert [status_on(5), status_on(3), status_on(1)] == ["재고 In stock", "수리 중 In repair", "재고 In stock"]


def test_the_database_refuses_a_second_open_repair_of_an_asset(app, client, it_headers):
    """The unique partial index, not only the service's check: a row written past the check is refused."""
    stock(app, "NB-001")
    first = send(client, it_headers).get_json()
    with app.app_context():
        original = db.session.get(Repair, first["id"])
        db.session.add(Repair(asset_id=original.asset_id, vendor="x", fault="x", sent_at=original.sent_at,
                              under_warranty=False, status="open", asset_status_before="in_repair",
                              opened_by="it1"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert close(client, it_headers, first["id"], result="fixed", data_wiped=True).status_code == 200
    assert send(client, it_headers).status_code == 201  # closed: the asset may go again
