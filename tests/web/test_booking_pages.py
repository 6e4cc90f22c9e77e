"""The booking pages, in Korean and English: an employee books and cancels their own, IT staff book for anyone
and see a center's week, the desk's day list hands over, the dashboard counts today's pick-ups."""

from __future__ import annotations

import re
from datetime import timedelta

from fleet.extensions import db
from fleet.models import Reservation
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2, IT
from tests.support.clock import fleet_today
from tests.web.helpers import stock
from tests.web.test_pages import EN, KO, log_in, post, text


def day(offset: int) -> str:
    return (fleet_today() + timedelta(days=offset)).isoformat()


def test_an_employee_books_and_cancels_their_own(app, client):
    stock(app, "NB-001", "NB-002")
    log_in(client, EMPLOYEE)
    client.get("/lang/ko")
    page = text(client.get("/me/bookings"))
    assert "장비 예약" in page and "예약이 없습니다." in page
    response = post(client, "/me/bookings", {"center": "JJ", "category": "laptop", "quantity": "2",
                                             "starts_day": day(7), "ends_day": day(11), "purpose": "재택근무"})
    assert response.status_code == 302, text(response)
    page = text(client.get(response.headers["Location"]))
    assert "예약했습니다." in page and "노트북 × 2" in page and "재택근무" in page
    # the laptops are all booked: the second booking is refused, in Korean, naming the period
    response = post(client, "/me/bookings", {"center": "JJ", "category": "laptop", "starts_day": day(9),
                                             "starts_time": "09:00", "ends_time": "18:00"})
    assert response.status_code == 409
    assert "남은 것은 0대뿐입니다" in text(response)
    with app.app_context():
        reservation_id = db.session.execute(db.select(Reservation.id)).scalar_one()
    client.get("/lang/en")
    response = post(client, f"/me/bookings/{reservation_id}/cancel")
    assert response.status_code == 302
    page = text(client.get("/me/bookings"))
    assert "Cancelled" in page and "Cancel the booking" not in page
    # bad input is shown on the page, not a 500
    response = post(client, "/me/bookings", {"center": "JJ", "category": "laptop", "starts_day": "someday"})
    assert response.status_code == 422 and "YYYY-MM-DD" in text(response)
    response = post(client, "/me/bookings", {"center": "JJ", "category": "laptop", "starts_day": day(-3)})
    assert response.status_code == 422 and "past" in text(response)


def test_it_staff_book_for_someone_see_the_week_and_hand_over_at_the_desk(app, client):
    stock(app, "NB-001", "NB-002", "NB-003")
    stock(app, "VC-001", category="vc_kit")
    log_in(client, IT)
    # a whole day may start today, at whatever hour the test runs
    response = post(client, "/desk/bookings", {"person": EMPLOYEE, "asset_tag": "VC-001", "starts_day": day(0),
                                               "ends_day": day(0)})
    assert response.status_code == 302, text(response)
    response = post(client, "/desk/bookings", {"person": EMPLOYEE2, "center": "JJ", "category": "laptop",
                                               "quantity": "2", "starts_day": day(0), "ends_day": day(2)})
    assert response.status_code == 302, text(response)
    for headers, words in ((KO, ["예약", "노트북 × 2", "VC-001", "이지은"]),
                           (EN, ["Bookings", "Laptop × 2", "VC-001"])):
        client.get("/lang/" + ("ko" if headers is KO else "en"))
        week = text(client.get(f"/desk/bookings?center=JJ&week={day(0)}"))
        assert all(w in week for w in words), words
        assert "Content-Security-Policy" in client.get("/desk/bookings").headers
    dashboard = text(client.get("/desk"))
    assert re.search(r"id=\"tile-pick-ups\"[^>]*><b>2</b>Today(&#39;|')s pick-ups", dashboard), dashboard
    day_list = text(client.get("/desk/bookings/day?center=JJ"))
    assert "VC-001" in day_list and "Laptop × 2" in day_list
    with app.app_context():
        laptops = db.session.execute(db.select(Reservation.id).where(Reservation.category == "laptop")).scalar()
    response = post(client, f"/desk/bookings/{laptops}/pick-up", {"asset_tags": "NB-001"})
    assert response.status_code == 422 and "Scan 2 different asset tag(s)" in text(response)
    response = post(client, f"/desk/bookings/{laptops}/pick-up", {"asset_tags": "NB-001, NB-003"})
    assert response.status_code == 302 and "/desk/batches/" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(Reservation, laptops).status == "picked_up"
    day_list = text(client.get(f"/desk/bookings/day?center=JJ&day={day(2)}"))
    assert "Take back NB-001" in day_list or "Take back NB-003" in day_list
