"""Reservations and availability through the API: book, list, read, cancel, pick up; who may do what; the
refusals as problem details; the CLI's no-show release."""

from __future__ import annotations

from datetime import timedelta

from fleet.extensions import db
from fleet.models import Asset, Event, Reservation
from fleet.security import get_directory
from fleet.services import reservations as svc
from fleet.services.events import verify_chain
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import stock
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT
from tests.support import pdf
from tests.support.clock import fleet_today

URL = "/api/v1/reservations"


def day(offset: int) -> str:
    """A local day `offset` days after Fleet's today."""
    return (fleet_today() + timedelta(days=offset)).isoformat()


def test_an_employee_books_a_category_for_themself_and_sees_it(app, client, login):
    stock(app, "NB-1", "NB-2")
    emp = login(EMPLOYEE)
    response = client.post(URL, json={"center": "JJ", "category": "laptop", "quantity": 2, "starts_at": day(3),
                                      "ends_at": day(7), "purpose": "재택근무 주간"}, headers=emp)
    assert response.status_code == 201, response.get_json()
    booked = response.get_json()
    assert booked["person"] == EMPLOYEE and booked["booked_by"] == EMPLOYEE and booked["status"] == "booked"
    assert booked["starts_at"] == f"{day(3)}T00:00:00+09:00" and booked["ends_at"] == f"{day(8)}T00:00:00+09:00"
    assert booked["asset_tag"] is None and booked["quantity"] == 2 and booked["purpose"] == "재택근무 주간"
    assert client.get(f"{URL}/{booked['id']}", headers=emp).get_json()["id"] == booked["id"]
    assert [r["id"] for r in client.get(URL, headers=emp).get_json()["items"]] == [booked["id"]]
    # another employee neither sees it nor may cancel it; an auditor sees it without the purpose
    other = login(EMPLOYEE2)
    assert client.get(f"{URL}/{booked['id']}", headers=other).status_code == 404
    assert client.get(URL, headers=other).get_json()["items"] == []
    assert client.post(f"{URL}/{booked['id']}/cancel", headers=other).status_code == 404
    seen = client.get(f"{URL}/{booked['id']}", headers=login(AUDITOR)).get_json()
    assert seen["purpose"] is None and seen["person"] == EMPLOYEE
    assert client.post(f"{URL}/{booked['id']}/cancel", headers=login(AUDITOR)).status_code == 403
    # the laptops are booked up for those days: a second employee gets 409 naming the period, not the person
    response = client.post(URL, json={"center": "JJ", "category": "laptop", "starts_at": f"{day(5)}T09:00",
                                      "ends_at": f"{day(5)}T18:00"}, headers=other)
    problem = assert_problem(response, 409)
    assert f"{day(5)} 09:00 KST" in problem["detail"] and "이지은" not in problem["detail"]
    # cancelled: the units are free again
    cancelled = client.post(f"{URL}/{booked['id']}/cancel", headers=emp).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["closed_at"]
    assert client.post(f"{URL}/{booked['id']}/cancel", headers=emp).status_code == 409
    response = client.post(URL, json={"center": "JJ", "category": "laptop", "starts_at": f"{day(5)}T09:00",
                                      "ends_at": f"{day(5)}T18:00"}, headers=other)
    assert response.status_code == 201


def test_only_it_staff_book_an_asset_or_for_someone_else(app, client, login, it_headers):
    stock(app, "VC-1", category="vc_kit")
    emp = login(EMPLOYEE)
    body = {"asset_tag": "VC-1", "starts_at": f"{day(2)}T14:00", "ends_at": f"{day(2)}T16:00"}
    assert_problem(client.post(URL, json=body, headers=emp), 403)
    assert_problem(client.post(URL, json={"center": "JJ", "category": "vc_kit", "person": EMPLOYEE2,
                                          "starts_at": day(2), "ends_at": day(2)}, headers=emp), 403)
    response = client.post(URL, json={**body, "person": EMPLOYEE}, headers=it_headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["booked_by"] == IT and response.get_json()["asset_tag"] == "VC-1"
    problem = assert_problem(client.post(URL, json={**body, "starts_at": f"{day(2)}T15:00+09:00",
                                                    "ends_at": f"{day(2)}T17:00"}, headers=it_headers), 409)
    assert f"{day(2)} 14:00 KST – {day(2)} 16:00 KST" in problem["detail"]
    # back-to-back, with the times given in UTC
    utc_start = f"{day(2)}T07:00:00Z"  # 16:00 in Seoul
    assert client.post(URL, json={**body, "starts_at": utc_start, "ends_at": f"{day(2)}T18:00"},
                       headers=it_headers).status_code == 201


def test_bad_periods_are_422_and_write_nothing(app, client, it_headers):
    stock(app, "VC-1", category="vc_kit")
    for starts_at, ends_at, field in ((f"{day(2)}T14:00", f"{day(2)}T14:00", "ends_at"),
                                      (day(-1), day(1), "starts_at"),
                                      (day(1), day(15), "ends_at"),
                                      ("tomorrow", day(2), "starts_at"),
                                      ("2026-13-01", day(2), "starts_at"),
                                      (day(1), "9999-12-31", "ends_at")):
        response = client.post(URL, json={"asset_tag": "VC-1", "starts_at": starts_at, "ends_at": ends_at},
                               headers=it_headers)
        problem = assert_problem(response, 422)
        assert field in problem["errors"], (starts_at, ends_at, problem)
    assert_problem(client.post(URL, json={"starts_at": day(1), "ends_at": day(1)}, headers=it_headers), 422)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Reservation)).scalar() == 0


def test_pick_up_at_the_desk_and_return(app, client, it_headers):
    stock(app, "NB-1", "NB-2", "NB-3")
    booked = client.post(URL, json={"center": "JJ", "category": "laptop", "quantity": 2, "person": EMPLOYEE,
                                    "starts_at": day(0), "ends_at": day(4)}, headers=it_headers).get_json()
    problem = assert_problem(client.post(f"{URL}/{booked['id']}/pick-up", json={"asset_tags": ["NB-1"]},
                                         headers=it_headers), 422)
    assert "asset_tags" in problem["errors"]
    response = client.post(f"{URL}/{booked['id']}/pick-up", json={"asset_tags": ["NB-1", "NB-3"]},
                           headers=it_headers)
    assert response.status_code == 201, response.get_json()
    loans = response.get_json()
    assert sorted(loan["asset_tag"] for loan in loans) == ["NB-1", "NB-3"]
    assert {loan["due_date"] for loan in loans} == {day(4)} and all(loan["assignee"]["uid"] == EMPLOYEE
                                                                     for loan in loans)
    seen = client.get(f"{URL}/{booked['id']}", headers=it_headers).get_json()
    assert seen["status"] == "picked_up" and sorted(u["asset_tag"] for u in seen["units"]) == ["NB-1", "NB-3"]
    assert_problem(client.post(f"{URL}/{booked['id']}/pick-up", json={"asset_tags": ["NB-2", "NB-3"]},
                               headers=it_headers), 409)
    for loan in loans:
        response = client.post(f"/api/v1/loans/{loan['id']}/return", json={
            "condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": True}, headers=it_headers)
        assert response.status_code == 200
    assert client.get(f"{URL}/{booked['id']}", headers=it_headers).get_json()["status"] == "returned"
    with app.app_context():
        actions = [e.action for e in db.session.execute(db.select(Event).order_by(Event.seq)).scalars()]
        assert actions.count("reservation.picked_up") == 1 and actions[-1] == "reservation.returned"
        assert verify_chain().valid


def test_pick_up_checks_the_directory_again(app, client, it_headers):
    stock(app, "NB-1")
    booked = client.post(URL, json={"asset_tag": "NB-1", "person": EMPLOYEE, "starts_at": day(0),
                                    "ends_at": day(1)}, headers=it_headers).get_json()
    with app.app_context():
        db.session.execute(db.update(Reservation).values(person_uid="gone1"))
        db.session.commit()
    problem = assert_problem(client.post(f"{URL}/{booked['id']}/pick-up", json={}, headers=it_headers), 422)
    assert "disabled" in problem["detail"]
    with app.app_context():
        assert db.session.execute(db.select(Asset.status)).scalar() == "in_stock"


def test_availability_per_category_and_per_asset(app, client, it_headers, employee_headers):
    stock(app, "NB-1", "NB-2")
    client.post(URL, json={"asset_tag": "NB-1", "person": EMPLOYEE, "starts_at": f"{day(2)}T09:00",
                           "ends_at": f"{day(2)}T18:00"}, headers=it_headers)
    response = client.get(f"/api/v1/availability?center=JJ&category=laptop&from={day(2)}&to={day(2)}&per_asset=true",
                          headers=employee_headers)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["units"] == 2 and answer["from"] == f"{day(2)}T00:00:00+09:00"
    assert [(p["starts_at"][11:16], p["ends_at"][11:16], p["free"]) for p in answer["free"]] == [
        ("00:00", "09:00", 2), ("09:00", "18:00", 1), ("18:00", "00:00", 2)]
    assert [(a["asset_tag"], len(a["free"])) for a in answer["assets"]] == [("NB-1", 2), ("NB-2", 1)]
    assert_problem(client.get(f"/api/v1/availability?center=XX&category=laptop&from={day(2)}&to={day(2)}",
                              headers=employee_headers), 422)
    assert_problem(client.get(f"/api/v1/availability?center=JJ&category=laptop&from={day(2)}&to={day(200)}",
                              headers=employee_headers), 422)


def test_release_no_shows_command(app):
    stock(app, "VC-1", category="vc_kit")
    with app.app_context():
        start = svc.local_midnight(fleet_today() + timedelta(days=1)) + timedelta(hours=14)
        svc.book(get_directory(), IT_PRINCIPAL, asset_tag="VC-1", person=EMPLOYEE, starts_at=start,
                 ends_at=start + timedelta(hours=2))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fleet", "release-no-shows", "--at", (start + timedelta(hours=1)).isoformat()])
    assert result.exit_code == 0 and "0 booking(s)" in result.output
    result = runner.invoke(args=["fleet", "release-no-shows", "--at", (start + timedelta(hours=2)).isoformat()])
    assert result.exit_code == 0 and "1 booking(s)" in result.output and "VC-1" in result.output
    result = runner.invoke(args=["fleet", "release-no-shows", "--at", "2026-12-01T10:00"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.execute(db.select(Reservation.status)).scalar() == "no_show"


def test_the_utilisation_report_per_center_and_category(app, client, auditor_headers):
    """Two laptops, one booked for the whole of a day and one booking cancelled: 50 % that day, in PDF and CSV."""
    stock(app, "NB-1", "NB-2")
    target = fleet_today() - timedelta(days=10)
    with app.app_context():
        start = svc.local_midnight(target)
        booked_then = start - timedelta(days=1)  # booked the day before, as a desk would have
        kept = svc.book(get_directory(), IT_PRINCIPAL, center="JJ", category="laptop", person=EMPLOYEE,
                        starts_at=start, ends_at=start + timedelta(days=1), purpose="비공개 용도", now=booked_then)
        other = svc.book(get_directory(), IT_PRINCIPAL, center="JJ", category="laptop", person=EMPLOYEE2,
                         starts_at=start + timedelta(hours=9), ends_at=start + timedelta(hours=18), now=booked_then)
        svc.cancel(other, IT_PRINCIPAL, now=booked_then)
        db.session.commit()
        assert kept.status == "booked"
    response = client.get(f"/api/v1/reports/utilisation.csv?from={target}&to={target}", headers=auditor_headers)
    assert response.status_code == 200
    rows = [line.split(",") for line in response.data.decode("utf-8-sig").strip().splitlines()]
    assert rows[1] == ["JJ", "진잠도서관 스마트워크센터", "laptop", "2", "24.0", "50.0", "2", "1", "0"]
    response = client.get(f"/api/v1/reports/utilisation.pdf?from={target}&to={target}", headers=auditor_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf.flat_text(response.data)
    assert "Bookingutilisation" in text and "50.0" in text and "비공개" not in text and "이지은" not in text
