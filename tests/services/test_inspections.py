"""Inspections at the turn of a day in Asia/Seoul, with a fixed clock: due from local midnight, the assignee
reminded once per due inspection (however often the reminders run), in their language, delivered and read back;
an inspection recorded at the desk moves the next one on."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fleet.extensions import db
from fleet.models import Event, Notification
from fleet.security import get_directory
from fleet.services.inspections import add_months, list_due, record_inspection
from fleet.services.loans import HandoverOrder, hand_over
from tests.api.test_loans_api import stock
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2
from tests.services.test_notifications import deliver, sink  # noqa: F401 (a fixture)
from tests.services.test_reminders import run_reminders

SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2031, 9, 10)  # the day the first laptop falls due: a fixed day, not the machine's
ORG = "[대전광역시 유성구청]"


def seoul(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=SEOUL)


@pytest.fixture
def loans(app, monkeypatch):
    """Two laptops and a monitor handed over on 10 March 2031 at 08:30 in Seoul (23:30 on the 9th in UTC): with
    laptops every 6 months, the laptops are due on 10 September (local), the monitor never."""
    monkeypatch.setitem(app.config, "FLEET_INSPECTION_MONTHS", {"laptop": 6})
    stock(app, "NB-1", "NB-2")
    stock(app, "MON-1", category="monitor")
    made = {}
    with app.app_context():
        for tag, person in (("NB-1", EMPLOYEE), ("NB-2", "emp4"), ("MON-1", EMPLOYEE2)):
            loan = hand_over(get_directory(), HandoverOrder(tag, person, due_date=date(2032, 3, 1)), IT_PRINCIPAL,
                             now=seoul(date(2031, 3, 10), 8, 30))
            made[tag] = loan.id
        db.session.execute(db.delete(Notification))  # the receipts: not what this test is about
        db.session.commit()
    return made


def reminded(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [(n.data["loan_id"], n.data["due_on"], n.recipient_uid) for n in db.session.execute(
            db.select(Notification).where(Notification.kind == "inspection_due").order_by(Notification.id)).scalars()]


def due_tags(app, moment: datetime) -> list[str]:
    with app.app_context(), time_machine.travel(moment, tick=False):
        return [d.loan.asset.asset_tag for d in list_due().items]


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert add_months(date(2031, 3, 10), 6) == date(2031, 9, 10)
    assert add_months(date(2031, 8, 31), 6) == date(2032, 2, 29)
    assert add_months(date(2031, 11, 30), 3) == date(2032, 2, 29)
    assert add_months(date(2030, 12, 31), 2) == date(2031, 2, 28)


def test_due_and_reminded_once_from_local_midnight(app, loans):
    last_minute, first_minute = seoul(DAY - timedelta(days=1), 23, 59, 30), seoul(DAY, 0, 0, 30)
    assert last_minute.astimezone(ZoneInfo("UTC")).date() == first_minute.astimezone(ZoneInfo("UTC")).date()
    assert due_tags(app, last_minute) == []
    assert run_reminders(app, last_minute).inspections == 0 and reminded(app) == []
    assert due_tags(app, first_minute) == ["NB-1", "NB-2"]
    counts = run_reminders(app, first_minute)
    assert counts.inspections == 2
    expected = [(loans["NB-1"], DAY.isoformat(), EMPLOYEE), (loans["NB-2"], DAY.isoformat(), "emp4")]
    assert reminded(app) == expected
    # Once per due inspection: again that day, the next day, a week later, nothing more.
    for moment in (seoul(DAY, 9), seoul(DAY + timedelta(days=1), 9), seoul(DAY + timedelta(days=7), 9)):
        assert run_reminders(app, moment).inspections == 0
    assert reminded(app) == expected
    with app.app_context():
        queued = [e for e in db.session.execute(db.select(Event).where(Event.action == "notification.queued"))
                  .scalars() if '"inspection_due"' in e.data]
        assert len(queued) == 2


def test_an_inspection_moves_the_next_one_on_and_a_new_due_day_is_reminded_again(app, loans):
    run_reminders(app, seoul(DAY, 9))
    with app.app_context():
        record_inspection(IT_PRINCIPAL, "NB-1", result="ok", note="배터리 정상", now=seoul(DAY, 10))
        db.session.commit()
    assert due_tags(app, seoul(DAY, 11)) == ["NB-2"]
    next_day = add_months(DAY, 6)  # 10 March 2032
    assert due_tags(app, seoul(next_day - timedelta(days=1), 23, 59)) == ["NB-2"]
    assert due_tags(app, seoul(next_day, 0, 1)) == ["NB-1", "NB-2"]
    run_reminders(app, seoul(next_day, 0, 1))
    assert reminded(app)[-1] == (loans["NB-1"], next_day.isoformat(), EMPLOYEE)
    assert len(reminded(app)) == 3  # NB-2's inspection is the same one as before: not reminded again


def test_the_reminder_is_delivered_in_each_persons_language(app, loans, sink):  # noqa: F811
    run_reminders(app, seoul(DAY, 9))
    result = deliver(app, sink, at=seoul(DAY, 9, 1))
    assert (result.sent, result.failed) == (2, 0)
    by_to = {m["To"].addresses[0].addr_spec: m for m in sink.messages()}
    korean, english = by_to["emp1@example.kr"], by_to["emp4@example.kr"]
    # Compared without spaces: Python's email package drops the space where it folds a long encoded subject
    # ("정기 점검" comes back "정기점검"), a defect of the mail path in general, not of this message.
    assert "".join(korean["Subject"].split()) == "".join(f"{ORG} NB-1 정기 점검 안내".split())
    body = korean.get_body(("plain",)).get_content()
    assert "정기 점검(배터리, 업데이트, 상태) 대상입니다" in body and "NB-1" in body and "2031. 9. 10." in body
    assert english["Subject"].endswith("Please bring NB-2 in for its inspection")
    assert "due for its periodic inspection" in english.get_body(("plain",)).get_content()


def test_no_interval_no_inspection(app, loans, monkeypatch):
    monkeypatch.setitem(app.config, "FLEET_INSPECTION_MONTHS", {})
    assert due_tags(app, seoul(DAY + timedelta(days=400), 9)) == []
    assert run_reminders(app, seoul(DAY + timedelta(days=400), 9)).inspections == 0
