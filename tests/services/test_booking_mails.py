"""Booking mails: the day-before reminder (at the turn of a day in Asia/Seoul, with a test clock) and the
no-show release, queued in the outbox and delivered to a real SMTP server (aiosmtpd on loopback), parsed back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fleet.extensions import db
from fleet.models import Event, Notification, Reservation
from fleet.security import get_directory
from fleet.services import reservations as svc
from fleet.services.reminders import queue_reminders
from tests.factories import IT_PRINCIPAL, create_asset, create_center
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2
from tests.services.test_notifications import ENGLISH, deliver, events, sink  # noqa: F401 (a fixture)

SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2031, 3, 10)  # a fixed Monday: the test clock, not the machine's
D1, D2 = DAY + timedelta(days=1), DAY + timedelta(days=2)
ORG = "[대전광역시 유성구청]"
SECRET = "기밀 인사위원회 회의"  # a purpose: it goes into no mail


def seoul(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=SEOUL)


def ko_time(moment: datetime) -> str:
    """How the Korean mails write a local moment (y. M. d. aaaa h:mm)."""
    half = "오전" if moment.hour < 12 else "오후"
    return f"{moment.year}. {moment.month}. {moment.day}. {half} {(moment.hour - 1) % 12 + 1}:{moment.minute:02d}"


@pytest.fixture
def bookings(app):
    """Bookings made the day before DAY: which starts when, and one cancelled."""
    with app.app_context():
        center = create_center(code="NE", name="노은도서관 스마트워크센터")
        create_asset(center, asset_tag="VC-001", category="vc_kit", manufacturer="Logitech", model="Rally Bar")
        for n in range(3):
            create_asset(center, asset_tag=f"NB-00{n}", category="laptop")
        booked_at = seoul(DAY - timedelta(days=1), 10)

        def book(**values) -> int:
            reservation = svc.book(get_directory(), IT_PRINCIPAL, now=booked_at, purpose=SECRET, **values)
            db.session.commit()
            return reservation.id

        made = {
            # starts on D1 at midnight: reminded on DAY, even at its last minute
            "midnight": book(center="NE", category="laptop", quantity=2, starts_at=seoul(D1, 0),
                             ends_at=seoul(D1, 18), person=EMPLOYEE),
            "vc": book(asset_tag="VC-001", starts_at=seoul(D1, 14), ends_at=seoul(D1, 16), person=EMPLOYEE),
            "english": book(asset_tag="VC-001", starts_at=seoul(D1, 16), ends_at=seoul(D1, 17), person=ENGLISH),
            "cancelled": book(asset_tag="VC-001", starts_at=seoul(D1, 9), ends_at=seoul(D1, 10), person=EMPLOYEE2),
            # starts on D2 at 00:00 Seoul (D1 15:00 UTC): reminded on D1, not on DAY
            "later": book(center="NE", category="laptop", quantity=1, starts_at=seoul(D2, 0),
                          ends_at=seoul(D2, 12), person=EMPLOYEE2),
            "today": book(center="NE", category="laptop", quantity=1, starts_at=seoul(DAY, 9),
                          ends_at=seoul(DAY, 12), person=EMPLOYEE2),
        }
        svc.cancel(db.session.get(Reservation, made["cancelled"]), IT_PRINCIPAL, now=booked_at)
        db.session.commit()
    return made


def reminded(app) -> list[int]:
    with app.app_context():
        return [n.data["reservation_id"] for n in db.session.execute(
            select(Notification).where(Notification.kind == "booking_reminder").order_by(Notification.id)).scalars()]


def run_reminders(app, moment: datetime) -> int:
    with app.app_context():
        counts = queue_reminders(moment)
        db.session.commit()
        return counts.bookings


def test_the_day_before_reminder_follows_the_local_day_once_per_booking(app, bookings):
    last_minute, first_minute = seoul(DAY, 23, 59, 30), seoul(D1, 0, 0, 30)
    assert last_minute.astimezone(ZoneInfo("UTC")).date() == first_minute.astimezone(ZoneInfo("UTC")).date()
    assert run_reminders(app, seoul(DAY, 9)) == 3
    # The bookings of D1, in order of their start; not the cancelled one, not today's, not D2's.
    assert reminded(app) == [bookings["midnight"], bookings["vc"], bookings["english"]]
    assert run_reminders(app, last_minute) == 0  # once per booking, however often it runs
    # A minute later it is D1 in Seoul (the same day in UTC): D2's booking, and no booking twice.
    assert run_reminders(app, first_minute) == 1
    assert run_reminders(app, seoul(D1, 9)) == 0
    assert reminded(app) == [bookings["midnight"], bookings["vc"], bookings["english"], bookings["later"]]
    with app.app_context():
        rows = list(db.session.execute(select(Notification).where(Notification.kind == "booking_reminder")
                                       .order_by(Notification.id)).scalars())
        assert [n.dedupe_key for n in rows][:1] == [f"booking_reminder:{bookings['midnight']}"]
        assert [n.recipient_uid for n in rows] == [EMPLOYEE, EMPLOYEE, ENGLISH, EMPLOYEE2]
        assert all(SECRET not in str(n.data) for n in rows)
        queued = db.session.execute(select(Event).where(Event.action == "notification.queued")).scalars()
        assert sorted(int(e.subject_id) for e in queued) == sorted(n.id for n in rows)


def test_a_booking_cancelled_or_released_before_the_day_before_gets_no_reminder(app, bookings):
    with app.app_context():
        svc.cancel(db.session.get(Reservation, bookings["vc"]), IT_PRINCIPAL, now=seoul(DAY, 8))
        db.session.commit()
    assert run_reminders(app, seoul(DAY, 9)) == 2
    assert bookings["vc"] not in reminded(app) and bookings["cancelled"] not in reminded(app)


def test_the_reminders_are_delivered_in_each_persons_language_without_the_purpose(app, bookings, sink):  # noqa: F811
    run_reminders(app, seoul(DAY, 9))
    result = deliver(app, sink, at=seoul(DAY, 9, 1))
    assert (result.sent, result.failed) == (3, 0)
    by_subject = {m["Subject"]: (m, r) for m, r in zip(sink.messages(), sink.received, strict=True)}
    vc_subject = f"{ORG} 내일 시작하는 예약 안내: {ko_time(seoul(D1, 14))}"
    assert vc_subject in by_subject and f"{ORG} 내일 시작하는 예약 안내: {ko_time(seoul(D1, 0))}" in by_subject
    message, envelope = by_subject[vc_subject]
    assert envelope.rcpt_tos == ["emp1@example.kr"] and message["To"].addresses[0].display_name == "이지은"
    raw_headers = envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii")  # RFC 2047: the headers are ASCII
    assert "=?utf-8?" in raw_headers
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"예약: #{bookings['vc']}" in text and "VC-001" in text and "노은도서관 스마트워크센터" in text
    assert f"종료: {ko_time(seoul(D1, 16))}" in text and "24시간" in text
    assert "VC-001" in html
    laptops = by_subject[f"{ORG} 내일 시작하는 예약 안내: {ko_time(seoul(D1, 0))}"][0]
    assert "노트북 2대" in laptops.get_body(("plain",)).get_content()
    [english] = [m for m in sink.messages() if m["To"].addresses[0].addr_spec.startswith("emp4")]
    assert english["Subject"].startswith("[") and "Your booking starts tomorrow" in english["Subject"]
    assert english["Content-Language"] == "en"
    for m in sink.messages():
        for part in ("plain", "html"):
            assert SECRET not in m.get_body((part,)).get_content()


def test_a_no_show_release_queues_the_mail_in_its_transaction_and_it_is_delivered(app, bookings, sink):  # noqa: F811
    with app.app_context():
        released = svc.release_no_shows(now=seoul(DAY, 13))  # today's booking ended at 12:00
        assert [r.id for r in released] == [bookings["today"]]
        db.session.rollback()  # a release rolled back queues nothing
        assert db.session.execute(select(Notification)).first() is None
        released = svc.release_no_shows(now=seoul(DAY, 13))
        db.session.commit()
        [row] = db.session.execute(select(Notification)).scalars()
        assert (row.kind, row.recipient_uid, row.data) == ("booking_released", EMPLOYEE2,
                                                           {"reservation_id": bookings["today"]})
    [no_show] = events(app, "reservation.no_show")
    assert no_show["subject"] == str(bookings["today"]) and no_show["after"]["notification_id"] == row.id
    with app.app_context():  # released once: a second run releases and queues nothing
        assert svc.release_no_shows(now=seoul(DAY, 14)) == []
        db.session.commit()
    result = deliver(app, sink, at=seoul(DAY, 13, 1))
    assert (result.sent, result.failed) == (1, 0)
    [message] = sink.messages()
    assert message["Subject"] == f"{ORG} 예약 #{bookings['today']} 해제 안내 (미수령)"
    assert message["To"].addresses[0].addr_spec == "emp2@example.kr"
    text = message.get_body(("plain",)).get_content()
    assert "예약이 해제되었습니다" in text and f"시작: {ko_time(seoul(DAY, 9))}" in text and SECRET not in text
