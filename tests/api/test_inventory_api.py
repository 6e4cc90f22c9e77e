"""Centers and assets through the API: CRUD, filters, pagination, life cycle, import."""

from __future__ import annotations

import pytest

from fleet.extensions import db
from fleet.models import Asset, Event
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over
from tests.factories import create_asset, create_center

CENTER = {"code": "JJ", "name": "진잠도서관 스마트워크센터", "kind": "smart_work_center", "address": "대전 유성구",
          "seats": 12}


def test_centers(client, it_headers, employee_headers, auditor_headers):
    response = client.post("/api/v1/centers", json=CENTER, headers=it_headers)
    assert response.status_code == 201 and response.get_json()["name"] == CENTER["name"]
    assert_problem(client.post("/api/v1/centers", json=CENTER, headers=it_headers), 409)
    assert_problem(client.post("/api/v1/centers", json={**CENTER, "code": "X X"}, headers=it_headers), 422)
    assert_problem(client.post("/api/v1/centers", json={**CENTER, "code": "K", "kind": "castle"},
                               headers=it_headers), 422)
    assert_problem(client.post("/api/v1/centers", json={**CENTER, "code": "E"}, headers=employee_headers), 403)
    assert_problem(client.post("/api/v1/centers", json={**CENTER, "code": "A"}, headers=auditor_headers), 403)
    assert client.get("/api/v1/centers/JJ", headers=employee_headers).get_json()["seats"] == 12
    patched = client.patch("/api/v1/centers/JJ", json={"seats": 20}, headers=it_headers).get_json()
    assert patched["seats"] == 20
    assert_problem(client.patch("/api/v1/centers/JJ", json={"code": "NEW"}, headers=it_headers), 422)
    assert_problem(client.get("/api/v1/centers/NOPE", headers=it_headers), 404)
    assert [c["code"] for c in client.get("/api/v1/centers", headers=auditor_headers).get_json()["items"]] == ["JJ"]


def _asset(**extra):
    return {"asset_tag": "nb-0001", "serial_number": "SN-1", "category": "laptop", "manufacturer": "LG",
            "model": "gram 16", "center": "JJ", "purchase_date": "2026-03-02", "purchase_cost": "1490000",
            "warranty_until": "2029-03-01", "accessories": ["charger", "bag"], **extra}


def test_assets_create_read_update(client, it_headers, auditor_headers, employee_headers):
    client.post("/api/v1/centers", json=CENTER, headers=it_headers)
    response = client.post("/api/v1/assets", json=_asset(), headers=it_headers)
    assert response.status_code == 201, response.get_json()
    asset = response.get_json()
    assert asset["asset_tag"] == "NB-0001" and asset["status"] == "in_stock" and asset["purchase_cost"] == "1490000.00"
    assert_problem(client.post("/api/v1/assets", json=_asset(), headers=it_headers), 409)
    body = assert_problem(client.post("/api/v1/assets", json=_asset(asset_tag="A 1", center="NOPE",
                                                                    category="toaster"), headers=it_headers), 422)
    assert {"category"} <= set(body["errors"])
    assert client.get("/api/v1/assets/nb-0001", headers=auditor_headers).status_code == 200
    assert_problem(client.get("/api/v1/assets/NB-0001", headers=employee_headers), 403)
    patched = client.patch("/api/v1/assets/NB-0001", json={"notes": "키보드 교체", "accessories": ["charger"]},
                           headers=it_headers).get_json()
    assert patched["notes"] == "키보드 교체" and patched["accessories"] == ["charger"]
    assert "status" in assert_problem(client.patch("/api/v1/assets/NB-0001", json={"status": "lost"},
                                                   headers=it_headers), 422)["errors"]
    assert_problem(client.patch("/api/v1/assets/NB-0001", json={"notes": "x"}, headers=auditor_headers), 403)
    history = client.get("/api/v1/assets/NB-0001/history", headers=auditor_headers).get_json()["items"]
    assert [e["action"] for e in history] == ["asset.created", "asset.updated"]
    assert history[1]["data"]["before"]["notes"] is None


def test_asset_filters_search_and_pages(app, client, it_headers):
    with app.app_context():
        jj, nn = create_center(code="JJ").code, create_center(code="NE", name="노은도서관").code
        for i in range(7):
            create_asset(center=jj if i % 2 else nn, asset_tag=f"NB-{i:03d}",
                         category="laptop" if i < 5 else "monitor", model="gram 100%" if i == 3 else "gram 16")
    page = client.get("/api/v1/assets?limit=3", headers=it_headers).get_json()
    tags = [a["asset_tag"] for a in page["items"]]
    with app.app_context():
        create_asset(center=jj, asset_tag="NB-NEW")  # inserted between pages: nothing skipped or repeated
    while page["next_cursor"]:
        page = client.get(f"/api/v1/assets?limit=3&cursor={page['next_cursor']}", headers=it_headers).get_json()
        tags += [a["asset_tag"] for a in page["items"]]
    assert tags == [f"NB-{i:03d}" for i in range(7)] + ["NB-NEW"]
    get = lambda q: [a["asset_tag"] for a in client.get(f"/api/v1/assets?{q}", headers=it_headers).get_json()["items"]]  # noqa: E731
    assert get("category=monitor") == ["NB-005", "NB-006"]
    assert get("center=NE&category=laptop") == ["NB-000", "NB-002", "NB-004"]
    assert get("q=100%25") == ["NB-003"]
    assert get("q=nb-00") == [f"NB-{i:03d}" for i in range(7)]
    for text in ["%", "_", "' OR 1=1 --", "\\", "*)(uid=*"]:
        assert client.get("/api/v1/assets", query_string={"q": text}, headers=it_headers).status_code == 200
    assert get("q=%25") == [] or get("q=%25") == ["NB-003"]
    assert_problem(client.get("/api/v1/assets?status=bogus", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/assets?center=NOPE", headers=it_headers), 422)


@pytest.mark.parametrize("start,target", [("in_stock", "in_stock"), ("in_stock", "on_loan"),
                                          ("in_stock", "quarantine"), ("in_stock", "in_repair")])
def test_illegal_moves_are_409_naming_the_status(app, client, it_headers, start, target):
    with app.app_context():
        tag = create_asset().asset_tag
    body = assert_problem(client.post(f"/api/v1/assets/{tag}/status", json={"status": target, "reason": "x"},
                                      headers=it_headers), 409)
    assert start in body["detail"]


def test_life_cycle_moves_and_quarantine_release(app, client, it_headers):
    with app.app_context():
        tag = create_asset(center=create_center(code="JJ")).asset_tag
    loan = hand_over(client, it_headers, tag).get_json()
    client.post(f"/api/v1/loans/{loan['id']}/return", json={"condition": "good", "data_wiped": False},
                headers=it_headers)
    url = f"/api/v1/assets/{tag}/status"
    assert "wipe_method" in assert_problem(client.post(url, json={"status": "in_stock", "reason": "wiped"},
                                                       headers=it_headers), 422)["errors"]
    released = client.post(url, json={"status": "in_stock", "reason": "검사 완료", "wipe_method": "보안 삭제"},
                           headers=it_headers)
    assert released.status_code == 200 and released.get_json()["status"] == "in_stock"
    lost = client.post(url, json={"status": "lost", "reason": "분실"}, headers=it_headers)
    assert lost.get_json()["status"] == "lost"
    assert client.post(url, json={"status": "in_stock", "reason": "찾음"}, headers=it_headers).status_code == 200
    assert_problem(client.post(url, json={"status": "in_stock", "reason": ""}, headers=it_headers), 422)
    with app.app_context():
        wipe = db.session.execute(db.select(Event.data).where(Event.action == "asset.status_changed")).scalars().first()
        assert '"wipe"' in wipe and "보안 삭제" in wipe


def test_stock_is_disposed_of_with_a_reason_and_retired_is_final(app, client, it_headers):
    """불용 처분: an old laptop in stock is retired without going to repair first; a reason is required."""
    with app.app_context():
        tag = create_asset().asset_tag
    url = f"/api/v1/assets/{tag}/status"
    assert "reason" in assert_problem(client.post(url, json={"status": "retired", "reason": " "},
                                                  headers=it_headers), 422)["errors"]
    assert client.get(f"/api/v1/assets/{tag}", headers=it_headers).get_json()["status"] == "in_stock"
    retired = client.post(url, json={"status": "retired", "reason": "불용 처분 (내용연수 경과)"}, headers=it_headers)
    assert retired.status_code == 200 and retired.get_json()["status"] == "retired"
    with app.app_context():
        event = db.session.execute(db.select(Event).where(Event.action == "asset.status_changed")).scalar_one()
        assert '"before":{"status":"in_stock"}' in event.data.replace(" ", "") and "불용 처분" in event.data
    body = assert_problem(client.post(url, json={"status": "in_stock", "reason": "x"}, headers=it_headers), 409)
    assert "retired is final" in body["detail"]
    assert_problem(hand_over(client, it_headers, tag), 409)


def test_an_asset_on_loan_declared_lost_closes_its_loan(app, client, it_headers):
    with app.app_context():
        tag = create_asset().asset_tag
    loan = hand_over(client, it_headers, tag).get_json()
    response = client.post(f"/api/v1/assets/{tag}/status", json={"status": "lost", "reason": "도난"},
                           headers=it_headers)
    assert response.get_json()["status"] == "lost"
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=it_headers).get_json()["status"] == "lost"


def test_purchase_cost_bounds_are_what_the_column_holds(client, it_headers):
    """The largest cost NUMERIC(14, 2) holds is accepted on every database; one cent more is a 422, not a
    database error on PostgreSQL only."""
    client.post("/api/v1/centers", json=CENTER, headers=it_headers)
    response = client.post("/api/v1/assets", json=_asset(purchase_cost=999999999999.99), headers=it_headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["purchase_cost"] == "999999999999.99"
    for cost in (10**12, "1000000000000", -1):
        body = assert_problem(client.post("/api/v1/assets", json=_asset(asset_tag="NB-2", purchase_cost=cost),
                                          headers=it_headers), 422)
        assert "purchase_cost" in body["errors"], body
    assert "purchase_cost" in assert_problem(client.patch("/api/v1/assets/NB-0001", json={"purchase_cost": 10**12},
                                                          headers=it_headers), 422)["errors"]


def test_the_openapi_document_describes_purchase_cost_truthfully(client):
    """Found by the fuzz run: the bounds were printed as strings (not OpenAPI), and the cost that the API answers
    as a decimal string was documented as a number."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("AssetCreate", "AssetUpdate"):
        cost = schemas[name]["properties"]["purchase_cost"]
        assert cost["type"] == "number" and cost["minimum"] == 0 and cost["maximum"] == 999999999999.99, cost
    assert schemas["Asset"]["properties"]["purchase_cost"]["type"] == "string"


CSV_HEADER = "asset_tag,serial_number,category,manufacturer,model,center,purchase_date,purchase_cost,accessories\n"


def _import(client, headers, text, content_type="text/csv"):
    return client.post("/api/v1/assets/import", data=text.encode("utf-8"), content_type=content_type,
                       headers=headers)


def test_import_all_rows(app, client, it_headers):
    with app.app_context():
        create_center(code="JJ")
    rows = "".join(f"NB-{i:04d},SN{i},laptop,LG,gram 16,JJ,2026-01-0{1 + i % 9},\"1,490,000\",charger;bag\n"
                   for i in range(30))
    response = _import(client, it_headers, "\ufeff" + CSV_HEADER + rows)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"created": 30}
    asset = client.get("/api/v1/assets/NB-0007", headers=it_headers).get_json()
    assert asset["accessories"] == ["charger", "bag"] and asset["purchase_cost"] == "1490000.00"


def test_import_is_all_or_nothing_with_row_and_column(app, client, it_headers):
    with app.app_context():
        create_center(code="JJ")
        create_asset(asset_tag="NB-TAKEN")
    text = CSV_HEADER + ("NB-1,S1,laptop,LG,g,JJ,2026-01-01,100,\n"
                         "NB-2,S2,toaster,LG,g,JJ,2026-01-01,100,\n"
                         "NB-3,S3,laptop,LG,g,NOPE,someday,abc,\n"
                         "NB-1,S4,laptop,LG,g,JJ,,,\n"
                         "NB-TAKEN,S5,laptop,LG,g,JJ,,,\n")
    body = assert_problem(_import(client, it_headers, text), 422)
    assert set(body["errors"]) >= {"row 3, category", "row 4, center", "row 4, purchase_date",
                                   "row 4, purchase_cost", "row 5, asset_tag", "row 6, asset_tag"}
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Asset)).scalar() == 1
    assert "row 1, colour" in assert_problem(_import(client, it_headers, "asset_tag,colour,category,center\n"), 422)[
        "errors"]
    assert_problem(_import(client, it_headers, ""), 422)
    assert_problem(_import(client, it_headers, CSV_HEADER), 422)
    assert_problem(_import(client, it_headers, "a,b", content_type="application/json"), 422)
    assert_problem(client.post("/api/v1/assets/import", data=b"\xff\xfe\x00", content_type="text/csv",
                               headers=it_headers), 422)


def test_import_records_disposed_stock_as_retired(app, client, it_headers):
    with app.app_context():
        create_center(code="JJ")
    header = "asset_tag,category,center,status,status_reason\n"
    bad = header + "NB-1,laptop,JJ,retired,\nNB-2,laptop,JJ,on_loan,x\nNB-3,laptop,JJ,lost,x\n"
    body = assert_problem(_import(client, it_headers, bad), 422)
    assert set(body["errors"]) == {"row 2, status_reason", "row 3, status", "row 4, status"}
    good = header + "NB-1,laptop,JJ,retired,불용 처분 2026-11\nNB-2,laptop,JJ,,\nNB-3,laptop,JJ,in_stock,\n"
    assert _import(client, it_headers, good).get_json() == {"created": 3}
    statuses = {tag: client.get(f"/api/v1/assets/{tag}", headers=it_headers).get_json()["status"]
                for tag in ("NB-1", "NB-2", "NB-3")}
    assert statuses == {"NB-1": "retired", "NB-2": "in_stock", "NB-3": "in_stock"}
    with app.app_context():
        actions = db.session.execute(db.select(Event.action, Event.subject_id).order_by(Event.seq)).all()
        assert [a for a, subject in actions if subject == "NB-1"] == ["asset.created", "asset.status_changed"]


@pytest.mark.parametrize("cost", ["NaN", "Infinity", "-Infinity", "1e20"])
def test_import_refuses_costs_that_are_no_amount(app, client, it_headers, cost):
    """`NaN` parses as a decimal but cannot be compared: it was a 500."""
    with app.app_context():
        create_center(code="JJ")
    body = assert_problem(_import(client, it_headers, CSV_HEADER + f"NB-1,S1,laptop,LG,g,JJ,2026-01-01,{cost},\n"),
                          422)
    assert set(body["errors"]) == {"row 2, purchase_cost"}, body
