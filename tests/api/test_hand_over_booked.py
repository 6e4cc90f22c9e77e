"""A plain hand-over of an asset booked for someone else is refused (409 naming the booked period); the pick-up of
that booking, a loan due by the day the booking starts and a cancelled booking are not in the way."""

from __future__ import annotations

from fleet.extensions import db
from fleet.models import Loan
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.api.test_reservations_api import URL, day
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2


def book(client, headers, tag: str, person: str, starts: str, ends: str) -> dict:
    response = client.post(URL, json={"asset_tag": tag, "person": person, "starts_at": starts, "ends_at": ends},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def loans(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar_one()


def test_a_booking_running_now_keeps_the_asset_for_its_person(app, client, it_headers):
    stock(app, "NB-001")
    booked = book(client, it_headers, "NB-001", EMPLOYEE, day(0), day(1))  # today 00:00 until the end of tomorrow
    for due in (day(0), day(3)):  # due today or later: the booking runs now either way
        problem = assert_problem(hand_over(client, it_headers, "NB-001", EMPLOYEE2, due_date=due), 409)
        assert "NB-001 is booked for someone else" in problem["detail"]
        assert f"{day(0)} 00:00 KST – {day(2)} 00:00 KST" in problem["detail"]  # the period, not the person
        assert EMPLOYEE not in problem["detail"] and "이지은" not in problem["detail"]
        assert problem["errors"]["asset_tag"] == [f"Booked {day(0)} 00:00 KST – {day(2)} 00:00 KST."]
    bulk = client.post("/api/v1/loans/bulk", headers=it_headers, json={"loans": [
        {"asset_tag": "NB-001", "assignee": EMPLOYEE2, "due_date": day(3)}]})
    assert "loans.0.asset_tag" in assert_problem(bulk, 409)["errors"]
    assert loans(app) == 0
    # The pick-up of that very booking hands it over.
    response = client.post(f"{URL}/{booked['id']}/pick-up", json={}, headers=it_headers)
    assert response.status_code == 201, response.get_json()
    assert [loan["assignee"]["uid"] for loan in response.get_json()] == [EMPLOYEE]


def test_a_loan_due_by_the_day_a_booking_starts_is_fine(app, client, it_headers):
    stock(app, "NB-001", "NB-002", "NB-003")
    book(client, it_headers, "NB-001", EMPLOYEE, day(5), day(6))
    book(client, it_headers, "NB-002", EMPLOYEE, f"{day(4)}T14:00", f"{day(4)}T16:00")
    cancelled = book(client, it_headers, "NB-003", EMPLOYEE, day(1), day(2))
    # due on the day the booking starts (back to back), as when booking
    problem = assert_problem(hand_over(client, it_headers, "NB-001", EMPLOYEE2, due_date=day(6)), 409)
    assert f"{day(5)} 00:00 KST – {day(7)} 00:00 KST" in problem["detail"]
    assert hand_over(client, it_headers, "NB-001", EMPLOYEE2, due_date=day(5)).status_code == 201
    problem = assert_problem(hand_over(client, it_headers, "NB-002", EMPLOYEE2, due_date=day(5)), 409)
    assert f"{day(4)} 14:00 KST – {day(4)} 16:00 KST" in problem["detail"]
    # the person who booked it may have it by a plain hand-over too
    assert hand_over(client, it_headers, "NB-002", EMPLOYEE, due_date=day(5)).status_code == 201
    assert_problem(hand_over(client, it_headers, "NB-003", EMPLOYEE2, due_date=day(3)), 409)
    assert client.post(f"{URL}/{cancelled['id']}/cancel", headers=it_headers).status_code == 200
    assert hand_over(client, it_headers, "NB-003", EMPLOYEE2, due_date=day(3)).status_code == 201
    assert loans(app) == 3
