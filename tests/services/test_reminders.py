"""Reminders at the turn of a day in Asia/Seoul, with a test clock: due soon, overdue, the weekly summary, leavers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleet.extensions import db
from fleet.models import Event, Notification
from fleet.security import get_directory
from fleet.services.directory_sync import sync_directory
from fleet.services.loans import HandoverOrder, hand_over
from fleet.services.reminders import ReminderSchedule, queue_reminders
from tests.api.test_loans_api import stock
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2
from tests.services.test_notifications import deliver, sink  # noqa: F401 (a fixture)

SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2031, 3, 10)  # a fixed Monday: the test clock, not the machine's
DESK = "it-desk@example.kr"


def seoul(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=SEOUL)


@pytest.fixture
def loans(app, monkeypatch):
    """Loans handed over a month before DAY, due on the days named (relative to DAY)."""
    monkeypatch.setitem(app.config, "FLEET_MAIL_IT_DESK", DESK)
    due = {"A": 7, "B": 1, "C": 2, "D": 3, "E": -1, "F": -8, "G": -7, "H": -5}
    stock(app, *[f"NB-{name}" for name in due])
    made = {}
    with app.app_context():
        for name, offset in due.items():
            loan = hand_over(get_directory(), HandoverOrder(f"NB-{name}", EMPLOYEE, due_date=DAY + timedelta(offset)),
                             IT_PRINCIPAL, now=seoul(DAY - timedelta(days=30), 10, 0))
            made[name] = loan.id
        db.session.execute(db.delete(Notification))  # the receipts: not what this test is about
        db.session.commit()
    return made


def queued(app) -> list[tuple[str, int | None, int | None]]:
    with app.app_context():
        return [(n.kind, n.data.get("loan_id"), n.data.get("days")) for n in
                db.session.execute(db.select(Notification).order_by(Notification.id)).scalars()]


def run_reminders(app, moment: datetime):
    with app.app_context():
        counts = queue_reminders(moment)
        db.session.commit()
        return counts


def test_reminders_follow_the_local_day_and_are_queued_once_per_loan_and_day(app, loans):
    last_minute = seoul(DAY, 23, 59, 30)
    first_minute = seoul(DAY + timedelta(days=1), 0, 0, 30)
    assert last_minute.astimezone(ZoneInfo("UTC")).date() == first_minute.astimezone(ZoneInfo("UTC")).date()

    counts = run_reminders(app, last_minute)
    assert (counts.day, counts.due_soon, counts.overdue, counts.summary) == (DAY, 2, 2, 1)
    expected = [("due_soon", loans["A"], 7), ("due_soon", loans["B"], 1), ("overdue", loans["E"], 1),
                ("overdue", loans["F"], 8), ("weekly_summary", None, None)]
    assert queued(app) == expected
    # Once per loan and day, however often it runs that day.
    assert run_reminders(app, seoul(DAY, 23, 59, 59)).total == 0
    assert queued(app) == expected
    # A minute later it is the next day in Seoul (the same day in UTC): the next day's reminders.
    counts = run_reminders(app, first_minute)
    assert (counts.day, counts.due_soon, counts.overdue, counts.summary) == (DAY + timedelta(days=1), 1, 1, 0)
    assert queued(app)[5:] == [("due_soon", loans["C"], 1), ("overdue", loans["G"], 8)]
    with app.app_context():
        overdue = db.session.execute(db.select(Notification).where(Notification.kind == "overdue")).scalars().first()
        assert overdue.cc_address == DESK and overdue.dedupe_key == f"overdue:{loans['E']}:{DAY.isoformat()}"
        queued_events = db.session.execute(db.select(Event).where(Event.action == "notification.queued")).scalars()
        assert len(list(queued_events)) == 7


def test_the_worker_queues_at_remind_at_once_per_local_day(app):
    schedule = ReminderSchedule()
    with app.app_context():
        assert not schedule.due(seoul(DAY, 8, 59, 59))
        assert schedule.due(seoul(DAY, 9, 0))
        schedule.done(seoul(DAY, 9, 0))
        assert not schedule.due(seoul(DAY, 9, 0, 1)) and not schedule.due(seoul(DAY, 23, 59, 59))
        assert not schedule.due(seoul(DAY + timedelta(days=1), 0, 0, 1))
        assert schedule.due(seoul(DAY + timedelta(days=1), 9, 0))
        late_start = ReminderSchedule()  # a worker started in the afternoon queues the day's reminders at once
        assert late_start.due(seoul(DAY, 15, 0))


def test_reminders_and_the_summary_are_delivered_with_a_copy_to_the_desk(app, loans, sink):  # noqa: F811
    run_reminders(app, seoul(DAY, 9, 0))
    result = deliver(app, sink, at=seoul(DAY, 9, 1))
    assert result.sent == 5
    by_subject = {m["Subject"]: (m, r) for m, r in zip(sink.messages(), sink.received, strict=True)}
    subjects = sorted(by_subject)
    assert "[대전광역시 유성구청] 반납 연체: NB-E (1일)" in subjects
    assert "[대전광역시 유성구청] 반납 연체: NB-F (8일)" in subjects
    overdue, envelope = by_subject["[대전광역시 유성구청] 반납 연체: NB-E (1일)"]
    assert envelope.rcpt_tos == ["emp1@example.kr", DESK] and overdue["Cc"] == DESK
    summary, envelope = by_subject[f"[대전광역시 유성구청] 주간 요약 ({DAY.year}. {DAY.month}. {DAY.day}. 주)"]
    assert envelope.rcpt_tos == [DESK]
    text = summary.get_body(("plain",)).get_content()
    assert "연체 대여: 4" in text and "NB-F" in text and "대기 중인 신청: 0" in text


def test_a_directory_sync_tells_the_desk_of_new_leavers_once(app, slapd, monkeypatch, sink):  # noqa: F811
    monkeypatch.setitem(app.config, "FLEET_MAIL_IT_DESK", DESK)
    stock(app, "NB-001")
    with app.app_context():
        hand_over(get_directory(), HandoverOrder("NB-001", EMPLOYEE2), IT_PRINCIPAL)
        db.session.commit()
    dn = f"uid={EMPLOYEE2},ou=people,dc=example,dc=kr"
    slapd.modify(f"dn: {dn}\nchangetype: modify\nadd: employeeType\nemployeeType: inactive\n")
    try:
        for _ in range(2):
            with app.app_context():
                sync_directory(get_directory(), "cli")
                db.session.commit()
    finally:
        slapd.modify(f"dn: {dn}\nchangetype: modify\ndelete: employeeType\n")
    assert [kind for kind, _, _ in queued(app)] == ["handover_receipt", "leavers"]
    deliver(app, sink)
    leavers = next(m for m in sink.messages() if m["To"].addresses[0].addr_spec == DESK)
    assert leavers["Subject"] == "[대전광역시 유성구청] 장비를 보유한 퇴직·비활성 사용자 1명"
    assert "emp2 | 최준호 | 비활성화됨 | NB-001" in leavers.get_body(("plain",)).get_content()
