"""Hand-over and return through the API, with the live directory check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fleet.extensions import db
from fleet.models import Asset, Center, Document, Event, LeaverFinding, Loan, Notification
from fleet.services.events import verify_chain
from fleet.services.loans import HandoverOrder, hand_over_many
from fleet.services.loans import hand_over as hand_over_service
from tests.api.test_auth_api import assert_problem
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import DISABLED, EMPLOYEE, EMPLOYEE2, IT, LONG_DEPARTMENT, NOT_ELIGIBLE
from tests.support.clock import fleet_today


def stock(app, *tags: str, category: str = "laptop", accessories=("charger", "bag")) -> None:
    """Put assets in stock at center JJ (created if missing)."""
    with app.app_context():
        center = db.session.execute(db.select(Center).where(Center.code == "JJ")).scalar_one_or_none()
        if center is None:
            center = Center(code="JJ", name="진잠도서관 스마트워크센터", kind="smart_work_center", seats=10)
            db.session.add(center)
        for tag in tags:
            db.session.add(Asset(asset_tag=tag, serial_number=f"SN-{tag}", category=category, manufacturer="LG",
                                 model="gram 16", center=center, status="in_stock", accessories=list(accessories)))
        db.session.commit()


def hand_over(client, headers, tag="NB-001", assignee=EMPLOYEE, **extra):
    return client.post("/api/v1/loans", json={"asset_tag": tag, "assignee": assignee, **extra}, headers=headers)


def test_hand_over_snapshots_the_assignee(app, client, it_headers):
    stock(app, "NB-001")
    response = hand_over(client, it_headers, accessories=["charger"], condition="new", note="재택근무")
    assert response.status_code == 201, response.get_json()
    loan = response.get_json()
    assert loan["number"].startswith(f"L-{fleet_today().year}-") and loan["number"].endswith(f"{loan['id']:06d}")
    assert loan["assignee"] == {"uid": EMPLOYEE, "name": "이지은", "employee_number": "E3001",
                                "department": "민원여권과", "email": "emp1@example.kr"}
    assert loan["status"] == "active" and loan["overdue"] is False and loan["issued_by"] == IT
    assert loan["accessories"] == ["charger"] and loan["handover_document"]["url"].endswith(".pdf")
    assert loan["return_document"] is None
    assert date.fromisoformat(loan["due_date"]) - fleet_today() in (timedelta(days=89), timedelta(days=90),
                                                                   timedelta(days=91))
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == "on_loan"
        event = db.session.execute(db.select(Event).where(Event.action == "loan.handed_over")).scalar_one()
        assert event.actor == IT and '"assignee":"emp1"' in event.data
        assert verify_chain().valid


def test_a_loans_form_addresses_follow_the_mount_point(app, client, it_headers):
    """The forms' addresses are Flask's own (`url_for`), also under a script root (Fleet behind /fleet), where
    they are worked out once per root."""
    stock(app, "NB-001", "NB-002")
    first = hand_over(client, it_headers).get_json()["handover_document"]
    assert first["url"] == f"/api/v1/documents/{first['id']}.pdf"
    mounted = client.post("/api/v1/loans", json={"asset_tag": "NB-002", "assignee": EMPLOYEE2},
                          headers=it_headers, base_url="http://localhost/fleet")
    second = mounted.get_json()["handover_document"]
    assert mounted.status_code == 201 and second["url"] == f"/fleet/api/v1/documents/{second['id']}.pdf"
    assert hand_over(client, it_headers, tag="NB-001").status_code == 409  # the plain root is unchanged by it
    assert client.get(first["url"], headers=it_headers).status_code == 200


def test_loan_and_batch_numbers_take_the_local_year(app, client, it_headers):
    """31 December 15:30 UTC is 1 January 00:30 in Seoul: the numbers say the year printed on the form."""
    stock(app, "NB-001", "NB-002", "NB-003")
    new_year = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    with app.app_context():
        directory = app.extensions["fleet_directory"]
        loan = hand_over_service(directory, HandoverOrder("NB-001", EMPLOYEE), IT_PRINCIPAL, now=new_year)
        batch = hand_over_many(directory, [HandoverOrder("NB-002", EMPLOYEE), HandoverOrder("NB-003", EMPLOYEE2)],
                               IT_PRINCIPAL, now=new_year - timedelta(minutes=31))
        db.session.commit()
        assert loan.number == f"L-2027-{loan.id:06d}"
        assert batch.number == f"B-2026-{batch.id:06d}"  # 23:59 on 31 December in Seoul
        number = loan.number
    assert client.get(f"/api/v1/loans/{number}", headers=it_headers).get_json()["number"] == number


@pytest.mark.parametrize("assignee,phrase,code", [
    ("nobody", "does not exist", "assignee-unknown"),
    (DISABLED, "disabled", "assignee-disabled"),
    (NOT_ELIGIBLE, "not eligible", "assignee-not-eligible"),
    ("*)(uid=*", "does not exist", "assignee-unknown"),
])
def test_directory_refusals_are_422_and_write_nothing(app, client, it_headers, assignee, phrase, code):
    stock(app, "NB-001")
    body = assert_problem(hand_over(client, it_headers, assignee=assignee), 422)
    assert phrase in body["detail"] and body["type"].endswith(code)
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == "in_stock"
        assert db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar() == 0
        # Nothing but the log-in of IT staff (an auth.* event) is in the event log.
        assert db.session.execute(db.select(db.func.count()).select_from(Event)
                                  .where(Event.action.not_like("auth.%"))).scalar() == 0


def test_a_disabled_person_is_refused_at_the_very_next_hand_over(app, client, it_headers, slapd):
    stock(app, "NB-001", "NB-002")
    assert hand_over(client, it_headers, "NB-001", EMPLOYEE2).status_code == 201
    slapd.modify(f"dn: uid={EMPLOYEE2},ou=people,dc=example,dc=kr\nchangetype: modify\n"
                 "add: employeeType\nemployeeType: inactive\n")
    try:
        assert_problem(hand_over(client, it_headers, "NB-002", EMPLOYEE2), 422)
    finally:
        slapd.modify(f"dn: uid={EMPLOYEE2},ou=people,dc=example,dc=kr\nchangetype: modify\n"
                     "delete: employeeType\n")


def test_directory_down_is_503_and_writes_nothing(app, make_app, login):
    stock(app, "NB-001")
    headers = login(IT)
    down = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI="ldap://127.0.0.1:1", FLEET_LDAP_TIMEOUT="1")
    body = assert_problem(hand_over(down.test_client(), headers), 503)
    assert "directory" in body["detail"].lower()
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == "in_stock"
    # Reading goes on while the directory is down.
    assert down.test_client().get("/api/v1/loans", headers=headers).status_code == 200


def test_second_hand_over_of_the_same_asset_is_409(app, client, it_headers):
    stock(app, "NB-001")
    assert hand_over(client, it_headers).status_code == 201
    body = assert_problem(hand_over(client, it_headers, assignee=EMPLOYEE2), 409)
    assert "on_loan" in body["detail"]


def test_hand_over_validation(app, client, it_headers, employee_headers, auditor_headers):
    stock(app, "NB-001")
    assert_problem(hand_over(client, it_headers, tag="NOPE"), 404)
    body = assert_problem(hand_over(client, it_headers, due_date="2000-01-01"), 422)
    assert "due_date" in body["errors"]
    assert_problem(hand_over(client, it_headers, due_date="tomorrow"), 422)
    assert_problem(client.post("/api/v1/loans", json={"assignee": EMPLOYEE}, headers=it_headers), 422)
    assert_problem(hand_over(client, employee_headers), 403)
    assert_problem(hand_over(client, auditor_headers), 403)
    assert_problem(client.post("/api/v1/loans", json={"asset_tag": "NB-001", "assignee": EMPLOYEE}), 401)


def test_return_good_wiped_goes_back_in_stock(app, client, it_headers):
    stock(app, "NB-001")
    loan = hand_over(client, it_headers).get_json()
    response = client.post(f"/api/v1/loans/{loan['id']}/return", headers=it_headers,
                           json={"condition": "good", "accessories_returned": ["charger"], "data_wiped": True})
    assert response.status_code == 200, response.get_json()
    closed = response.get_json()
    assert closed["status"] == "returned" and closed["received_by"] == IT
    assert closed["accessories_missing"] == ["bag"] and closed["return_document"]["id"]
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == "in_stock"
    assert_problem(client.post(f"/api/v1/loans/{loan['id']}/return", headers=it_headers,
                               json={"condition": "good", "data_wiped": True}), 409)


def test_a_loan_keeps_the_center_it_was_handed_over_at(app, client, it_headers):
    """The loan's center is the one of the hand-over, read with the loan, even after its asset moved (the answer
    reads the loan, its asset and both centers in one statement)."""
    stock(app, "NB-001")
    loan = hand_over(client, it_headers).get_json()
    with app.app_context():
        other = Center(code="NO", name="노은도서관 스마트워크센터", kind="smart_work_center", seats=4)
        db.session.add(other)
        db.session.flush()
        db.session.execute(db.update(Asset).where(Asset.asset_tag == "NB-001").values(center_id=other.id))
        db.session.commit()
    for ref in (loan["id"], loan["number"]):
        shown = client.get(f"/api/v1/loans/{ref}", headers=it_headers).get_json()
        assert (shown["center"], shown["asset_tag"], shown["number"]) == ("JJ", "NB-001", loan["number"])
    back = client.post(f"/api/v1/loans/{loan['id']}/return", headers=it_headers,
                       json={"condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": True})
    assert back.status_code == 200 and back.get_json()["center"] == "JJ"


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
                     for model in (Document, Event, Notification))


def test_a_refused_return_changes_nothing(app, client, it_headers):
    """Both refusals of a return after its checks: the loan closed already, the asset no longer on loan (its
    status changed under the loan). On PostgreSQL the return's writes go in one statement: the form it registered
    goes with the rollback too."""
    stock(app, "NB-001", "NB-002")
    first = hand_over(client, it_headers).get_json()
    body = {"condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": True}
    assert client.post(f"/api/v1/loans/{first['id']}/return", headers=it_headers, json=body).status_code == 200
    before = _counts(app)
    refused = assert_problem(client.post(f"/api/v1/loans/{first['id']}/return", headers=it_headers, json=body), 409)
    assert refused["type"].endswith("loan-closed") and _counts(app) == before
    second = hand_over(client, it_headers, tag="NB-002").get_json()
    with app.app_context():
        db.session.execute(db.update(Asset).where(Asset.asset_tag == "NB-002").values(status="in_repair"))
        db.session.commit()
    before = _counts(app)
    refused = assert_problem(client.post(f"/api/v1/loans/{second['id']}/return", headers=it_headers, json=body), 409)
    assert refused["type"].endswith("asset-status-changed") and "in_repair" in refused["detail"]
    assert _counts(app) == before
    assert client.get(f"/api/v1/loans/{second['id']}", headers=it_headers).get_json()["status"] == "active"


def test_a_return_resolves_its_loans_leaver_findings(app, client, it_headers):
    stock(app, "NB-001", "NB-002")
    loans = [hand_over(client, it_headers, tag=tag).get_json() for tag in ("NB-001", "NB-002")]
    with app.app_context():
        for loan in loans:
            db.session.add(LeaverFinding(uid=EMPLOYEE, loan_id=loan["id"], reason="disabled",
                                         found_at=datetime(2026, 12, 1, tzinfo=UTC)))
        db.session.commit()
    back = client.post(f"/api/v1/loans/{loans[0]['id']}/return", headers=it_headers,
                       json={"condition": "good", "accessories_returned": [], "data_wiped": True})
    assert back.status_code == 200, back.get_json()
    with app.app_context():
        resolved = dict(db.session.execute(db.select(LeaverFinding.loan_id, LeaverFinding.resolved_at)).all())
    assert resolved[loans[0]["id"]] is not None and resolved[loans[1]["id"]] is None


@pytest.mark.parametrize("condition,wiped,status", [("good", False, "quarantine"), ("damaged", True, "in_repair"),
                                                    ("damaged", False, "in_repair")])
def test_return_sends_the_asset_where_it_belongs(app, client, it_headers, condition, wiped, status):
    stock(app, "NB-001")
    loan = hand_over(client, it_headers).get_json()
    notes = "화면 깨짐" if condition == "damaged" else None
    body = {"condition": condition, "data_wiped": wiped, "damage_notes": notes}
    assert client.post(f"/api/v1/loans/{loan['number']}/return", headers=it_headers, json=body).status_code == 200
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == status


def test_return_validation(app, client, it_headers):
    stock(app, "NB-001")
    loan = hand_over(client, it_headers).get_json()
    url = f"/api/v1/loans/{loan['id']}/return"
    assert_problem(client.post(url, headers=it_headers, json={"condition": "damaged", "data_wiped": True}), 422)
    assert_problem(client.post(url, headers=it_headers, json={"condition": "meh", "data_wiped": True}), 422)
    body = assert_problem(client.post(url, headers=it_headers, json={"condition": "good", "data_wiped": True,
                                                                     "accessories_returned": ["mouse"]}), 422)
    assert "accessories_returned" in body["errors"]
    assert_problem(client.post("/api/v1/loans/999999/return", headers=it_headers,
                               json={"condition": "good", "data_wiped": True}), 404)
    with app.app_context():
        assert db.session.execute(db.select(Loan.status)).scalar() == "active"


def test_lost_closes_the_loan(app, client, it_headers):
    stock(app, "NB-001")
    loan = hand_over(client, it_headers).get_json()
    response = client.post(f"/api/v1/loans/{loan['id']}/lost", headers=it_headers, json={"reason": "지하철 분실"})
    assert response.get_json()["status"] == "lost"
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == "lost"


def test_loan_visibility(app, client, login):
    stock(app, "NB-001", "NB-002")
    it = login(IT)
    mine = hand_over(client, it, "NB-001", EMPLOYEE).get_json()
    theirs = hand_over(client, it, "NB-002", EMPLOYEE2).get_json()
    emp = login(EMPLOYEE)
    assert [x["id"] for x in client.get("/api/v1/loans", headers=emp).get_json()["items"]] == [mine["id"]]
    assert client.get(f"/api/v1/loans/{mine['id']}", headers=emp).status_code == 200
    assert_problem(client.get(f"/api/v1/loans/{theirs['id']}", headers=emp), 404)
    everyone = client.get("/api/v1/loans?active=true", headers=login("audit1")).get_json()["items"]
    assert {x["id"] for x in everyone} == {mine["id"], theirs["id"]}
    for ref in ["abc", "L-x-1", "99999999999999999999999", "-1"]:
        assert_problem(client.get(f"/api/v1/loans/{ref}", headers=it), 404)


def test_loan_filters_and_pages(app, client, it_headers):
    stock(app, *[f"NB-{i:03d}" for i in range(5)])
    for i in range(5):
        hand_over(client, it_headers, f"NB-{i:03d}", EMPLOYEE if i % 2 else LONG_DEPARTMENT)
    page = client.get("/api/v1/loans?limit=2", headers=it_headers).get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    seen = [x["id"] for x in page["items"]]
    while page["next_cursor"]:
        page = client.get(f"/api/v1/loans?limit=2&cursor={page['next_cursor']}", headers=it_headers).get_json()
        seen += [x["id"] for x in page["items"]]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5
    assert len(client.get(f"/api/v1/loans?assignee={EMPLOYEE}", headers=it_headers).get_json()["items"]) == 2
    assert client.get("/api/v1/loans?overdue=true", headers=it_headers).get_json()["items"] == []
    assert len(client.get("/api/v1/loans?center=JJ", headers=it_headers).get_json()["items"]) == 5
    assert_problem(client.get("/api/v1/loans?center=NOPE", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/loans?active=maybe", headers=it_headers), 422)


def test_bulk_hand_over_is_all_or_nothing(app, client, it_headers):
    stock(app, "NB-001", "NB-002", "NB-003")
    bad = client.post("/api/v1/loans/bulk", headers=it_headers, json={"note": "긴급", "loans": [
        {"asset_tag": "NB-001", "assignee": EMPLOYEE}, {"asset_tag": "NB-002", "assignee": DISABLED}]})
    body = assert_problem(bad, 422)
    assert "loans.1.assignee" in body["errors"] and "Row 2" in body["detail"]
    hand_over(client, it_headers, "NB-003", EMPLOYEE2)
    busy = client.post("/api/v1/loans/bulk", headers=it_headers, json={"loans": [
        {"asset_tag": "NB-001", "assignee": EMPLOYEE}, {"asset_tag": "NB-003", "assignee": EMPLOYEE}]})
    assert "loans.1.asset_tag" in assert_problem(busy, 409)["errors"]
    twice = client.post("/api/v1/loans/bulk", headers=it_headers, json={"loans": [
        {"asset_tag": "NB-001", "assignee": EMPLOYEE}, {"asset_tag": "nb-001", "assignee": EMPLOYEE2}]})
    assert_problem(twice, 422)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar() == 1
    good = client.post("/api/v1/loans/bulk", headers=it_headers, json={"note": "긴급 재택", "loans": [
        {"asset_tag": "NB-001", "assignee": EMPLOYEE}, {"asset_tag": "NB-002", "assignee": LONG_DEPARTMENT}]})
    assert good.status_code == 201, good.get_json()
    batch = good.get_json()
    assert batch["number"].startswith("B-") and len(batch["loans"]) == 2 and batch["batch_document"]["id"]
    assert {x["batch_id"] for x in batch["loans"]} == {batch["id"]}
