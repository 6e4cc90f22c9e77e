"""Extensions of loans through the API: asked by the assignee or IT staff, decided by IT staff, with the
hand-over's directory check, FLEET_MAX_LOAN_DAYS, bookings of the asset, the event and the mail."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from fleet.extensions import db
from fleet.models import Event, Loan, LoanExtension, Notification
from fleet.services.events import verify_chain
from tests.api.test_auth_api import assert_problem
from tests.api.test_hand_over_booked import book
from tests.api.test_loans_api import hand_over, stock
from tests.api.test_reservations_api import day
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT, IT2
from tests.support.clock import fleet_today

REASON = "출산휴가 연장 (maternity leave extended)"


def lend(app, client, headers, tag="NB-001", assignee=EMPLOYEE, due_in=10) -> dict:
    stock(app, tag)
    response = hand_over(client, headers, tag, assignee, due_date=day(due_in))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ask(client, headers, loan, until, reason=REASON):
    return client.post(f"/api/v1/loans/{loan['number']}/extensions", json={"until": until, "reason": reason},
                       headers=headers)


def decide(client, headers, ext_id, verdict="approve", note="확인함"):
    return client.post(f"/api/v1/extensions/{ext_id}/{verdict}", json={"note": note}, headers=headers)


def due_date(app, loan) -> date:
    with app.app_context():
        return db.session.get(Loan, loan["id"]).due_date


def events(app, action) -> list[Event]:
    with app.app_context():
        return list(db.session.execute(db.select(Event).where(Event.action == action).order_by(Event.seq)).scalars())


def test_the_assignee_asks_and_it_staff_approve(app, client, it_headers, employee_headers, login):
    loan = lend(app, client, it_headers)
    response = ask(client, employee_headers, loan, day(40))
    assert response.status_code == 201, response.get_json()
    ext = response.get_json()
    assert ext["status"] == "pending" and ext["due_from"] == day(10) and ext["until"] == day(40)
    assert ext["reason"] == REASON and ext["requested_by"] == EMPLOYEE and ext["loan_number"] == loan["number"]
    assert due_date(app, loan) == date.fromisoformat(day(10))
    # one pending extension per loan
    assert "pending" in assert_problem(ask(client, employee_headers, loan, day(50)), 409)["detail"]
    # the assignee cannot decide, nor can another employee see it
    assert_problem(decide(client, employee_headers, ext["id"]), 403)
    assert_problem(client.get(f"/api/v1/extensions/{ext['id']}", headers=login(EMPLOYEE2)), 404)
    assert_problem(ask(client, login(EMPLOYEE2), loan, day(40)), 404)

    response = decide(client, it_headers, ext["id"])
    assert response.status_code == 200, response.get_json()
    approved = response.get_json()
    assert approved["status"] == "approved" and approved["decided_by"] == IT and approved["decision_note"] == "확인함"
    assert due_date(app, loan) == date.fromisoformat(day(40))
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=employee_headers).get_json()["due_date"] == day(40)
    assert_problem(decide(client, it_headers, ext["id"]), 409)
    assert_problem(decide(client, it_headers, ext["id"], "reject"), 409)

    # The event says from what to what, never the reason or the note.
    extended = events(app, "loan.extended")
    assert len(extended) == 1
    data = json.loads(extended[0].data)
    assert data["before"] == {"due_date": day(10)} and data["after"]["due_date"] == day(40)
    with app.app_context():
        every = db.session.execute(db.select(Event.data)).scalars().all()
        assert not any("출산휴가" in d or "확인함" in d for d in every)
        mail = db.session.execute(db.select(Notification).where(Notification.kind == "extension_approved")).scalar()
        assert mail.recipient_uid == EMPLOYEE and mail.data["extension_id"] == ext["id"]
        assert data["notification_id"] == mail.id
        assert verify_chain().valid

    # The history: the assignee and IT staff read the reason; an auditor reads everything else.
    history = client.get(f"/api/v1/loans/{loan['number']}/extensions", headers=employee_headers).get_json()["items"]
    assert [(e["due_from"], e["until"], e["status"], e["reason"]) for e in history] == [
        (day(10), day(40), "approved", REASON)]
    audited = client.get(f"/api/v1/loans/{loan['id']}/extensions", headers=login(AUDITOR)).get_json()["items"]
    assert audited[0]["until"] == day(40) and "reason" not in audited[0] and "decision_note" not in audited[0]
    assert_problem(ask(client, login(AUDITOR), loan, day(60)), 403)


def test_it_staff_extend_at_once_and_a_rejection_keeps_the_due_date(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    response = ask(client, it_headers, loan, day(20), reason="부서 요청")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "approved" and due_date(app, loan) == date.fromisoformat(day(20))
    ext = ask(client, employee_headers, loan, day(30)).get_json()
    assert ext["due_from"] == day(20)
    rejected = decide(client, it_headers, ext["id"], "reject", note="반납 후 재신청 바랍니다")
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert due_date(app, loan) == date.fromisoformat(day(20))
    with app.app_context():
        kinds = db.session.execute(db.select(Notification.kind).order_by(Notification.id)).scalars().all()
        assert kinds[-2:] == ["extension_approved", "extension_rejected"]
    assert [json.loads(e.data)["after"]["due_date"] for e in events(app, "loan.extended")] == [day(20)]


def test_it_staff_cannot_approve_their_own_loans_extension(app, client, it_headers, login):
    loan = lend(app, client, it_headers, assignee=IT2)
    ext = ask(client, login(IT2), loan, day(30)).get_json()
    assert ext["status"] == "pending"  # IT staff's own loan: not approved at once
    assert "their own" in assert_problem(decide(client, login(IT2), ext["id"]), 403)["detail"]
    assert decide(client, it_headers, ext["id"]).status_code == 200


def test_bad_input_is_422_and_changes_nothing(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    assert "until" in assert_problem(ask(client, employee_headers, loan, day(5)), 422)["errors"]
    assert "until" in assert_problem(ask(client, employee_headers, loan, day(10)), 422)["errors"]
    assert "reason" in assert_problem(ask(client, employee_headers, loan, day(30), reason=""), 422)["errors"]
    assert "until" in assert_problem(ask(client, employee_headers, loan, "soon"), 422)["errors"]
    assert_problem(client.post(f"/api/v1/loans/{loan['id']}/extensions", json={"until": day(30), "reason": "x",
                                                                               "extra": 1},
                               headers=employee_headers), 422)
    assert_problem(ask(client, employee_headers, {"number": "L-2026-999999"}, day(30)), 404)
    assert_problem(decide(client, it_headers, 999999), 404)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(LoanExtension)).scalar() == 0


def test_refused_by_fleet_max_loan_days_counted_from_the_hand_over(app, make_app, client, it_headers,
                                                                   employee_headers):
    loan = lend(app, client, it_headers)
    latest = (fleet_today() + timedelta(days=365)).isoformat()
    body = assert_problem(ask(client, employee_headers, loan, (fleet_today() + timedelta(days=366)).isoformat()), 422)
    assert "365 days" in body["detail"] and latest in body["detail"]
    # The limit is a setting, and the approval checks it again: a pending extension past a lowered limit.
    ext = ask(client, employee_headers, loan, day(40)).get_json()
    strict = make_app(FLEET_MAX_LOAN_DAYS="30")
    body = assert_problem(decide(strict.test_client(), it_headers, ext["id"]), 422)
    assert "30 days" in body["detail"] and body["type"].endswith("loan-too-long")
    assert due_date(app, loan) == date.fromisoformat(day(10))
    assert decide(client, it_headers, ext["id"]).status_code == 200


def test_refused_by_a_booking_of_the_asset_before_the_new_date(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    book(client, it_headers, "NB-001", EMPLOYEE2, day(20), day(22))
    ext = ask(client, employee_headers, loan, day(25)).get_json()
    body = assert_problem(decide(client, it_headers, ext["id"]), 409)
    assert f"{day(20)} 00:00 KST – {day(23)} 00:00 KST" in body["detail"] and EMPLOYEE2 not in body["detail"]
    assert body["type"].endswith("asset-booked")
    assert due_date(app, loan) == date.fromisoformat(day(10))
    with app.app_context():
        assert db.session.get(LoanExtension, ext["id"]).status == "pending"
    # IT staff's own extension past the booking is refused the same way; up to the booking's first day is fine.
    assert decide(client, it_headers, ext["id"], "reject").status_code == 200
    assert_problem(ask(client, it_headers, loan, day(21)), 409)
    assert ask(client, it_headers, loan, day(20)).get_json()["status"] == "approved"


def test_a_booking_of_the_assignee_themself_is_not_in_the_way(app, client, it_headers):
    loan = lend(app, client, it_headers)
    book(client, it_headers, "NB-001", EMPLOYEE, day(20), day(22))
    assert ask(client, it_headers, loan, day(30)).get_json()["status"] == "approved"


def test_refused_when_the_assignee_was_disabled_meanwhile(app, client, it_headers, login, slapd):
    loan = lend(app, client, it_headers, assignee=EMPLOYEE2)
    assert ask(client, it_headers, loan, day(15)).get_json()["status"] == "approved"
    pending = ask(client, login(EMPLOYEE2), loan, day(20)).get_json()
    dn = f"uid={EMPLOYEE2},ou=people,dc=example,dc=kr"
    slapd.modify(f"dn: {dn}\nchangetype: modify\nadd: employeeType\nemployeeType: inactive\n")
    try:
        body = assert_problem(decide(client, it_headers, pending["id"]), 422)
        assert "disabled" in body["detail"] and body["type"].endswith("assignee-disabled")
        assert_problem(ask(client, it_headers, loan, day(25)), 422)  # IT staff extending at once: refused too
    finally:
        slapd.modify(f"dn: {dn}\nchangetype: modify\ndelete: employeeType\n")
    assert due_date(app, loan) == date.fromisoformat(day(15))
    assert decide(client, it_headers, pending["id"]).status_code == 200


def test_directory_down_is_503_and_changes_nothing(app, make_app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    ext = ask(client, employee_headers, loan, day(30)).get_json()
    down = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI="ldap://127.0.0.1:1", FLEET_LDAP_TIMEOUT="1")
    assert "directory" in assert_problem(decide(down.test_client(), it_headers, ext["id"]), 503)["detail"].lower()
    assert_problem(ask(down.test_client(), it_headers, loan, day(30)), 503)
    assert due_date(app, loan) == date.fromisoformat(day(10))
    # reading goes on
    assert down.test_client().get(f"/api/v1/loans/{loan['id']}/extensions", headers=it_headers).status_code == 200


def test_a_return_cancels_the_pending_extension(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    ext = ask(client, employee_headers, loan, day(30)).get_json()
    returned = client.post(f"/api/v1/loans/{loan['id']}/return", headers=it_headers,
                           json={"condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": True})
    assert returned.status_code == 200
    assert client.get(f"/api/v1/extensions/{ext['id']}", headers=it_headers).get_json()["status"] == "cancelled"
    assert "returned" in assert_problem(decide(client, it_headers, ext["id"]), 409)["detail"]
    assert_problem(ask(client, employee_headers, loan, day(30)), 409)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_mail_says_the_new_due_date(app, client, it_headers, employee_headers, language):
    from fleet.services.mail_content import gather

    loan = lend(app, client, it_headers)
    ext = ask(client, employee_headers, loan, day(30)).get_json()
    decide(client, it_headers, ext["id"], note="OK, 30일까지")
    with app.test_request_context():
        mail = db.session.execute(db.select(Notification).where(Notification.kind == "extension_approved")).scalar()
        content = gather(mail, language)
    text = " ".join([content.subject, *content.lines, *(f"{k} {v}" for k, v in content.facts)])
    assert loan["number"] in content.subject and "OK, 30일까지" in text
    assert ("연장" in content.subject) if language == "ko" else ("extended" in content.subject)


def test_the_loan_register_shows_the_history_of_the_due_date(app, client, it_headers, employee_headers,
                                                            auditor_headers):
    from tests.api.test_reports_api import _csv

    loan = lend(app, client, it_headers)
    ask(client, it_headers, loan, day(20))
    ext = ask(client, employee_headers, loan, day(30)).get_json()
    decide(client, it_headers, ext["id"])
    rows = _csv(client.get("/api/v1/reports/loans.csv?reason=연장 이력 점검", headers=auditor_headers))
    assert rows[0][-1] == "연장 Extensions"
    row = next(r for r in rows if r[0] == loan["number"])
    assert row[-1] == f"{day(10)}→{day(20)} · {day(20)}→{day(30)}" and row[6] == day(30)
    assert REASON not in " ".join(" ".join(r) for r in rows)


def make_overdue(app, loan, days: int = 5) -> None:
    with app.app_context():
        db.session.get(Loan, loan["id"]).due_date = fleet_today() - timedelta(days=days)
        db.session.commit()


def test_an_overdue_loan_is_extended_to_today_at_the_earliest(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    make_overdue(app, loan)
    body = assert_problem(ask(client, employee_headers, loan, day(-2)), 422)
    assert body["errors"]["until"] == ["Must be today or later."]
    assert ask(client, employee_headers, loan, day(0)).get_json()["due_from"] == day(-5)


def test_the_list_of_extensions_is_the_desks_queue(app, client, it_headers, employee_headers, login):
    first = lend(app, client, it_headers)
    second = lend(app, client, it_headers, tag="NB-002", assignee=EMPLOYEE2)
    mine = ask(client, employee_headers, first, day(30)).get_json()
    theirs = ask(client, login(EMPLOYEE2), second, day(30), reason="육아휴직").get_json()
    decide(client, it_headers, theirs["id"], "reject")
    pending = client.get("/api/v1/extensions?status=pending", headers=it_headers).get_json()
    assert [e["id"] for e in pending["items"]] == [mine["id"]] and pending["next_cursor"] is None
    page = client.get("/api/v1/extensions?limit=1", headers=it_headers).get_json()
    assert [e["id"] for e in page["items"]] == [theirs["id"]] and page["next_cursor"]
    rest = client.get(f"/api/v1/extensions?limit=1&cursor={page['next_cursor']}", headers=it_headers).get_json()
    assert [e["id"] for e in rest["items"]] == [mine["id"]]
    assert [e["id"] for e in client.get("/api/v1/extensions", headers=employee_headers).get_json()["items"]] == [
        mine["id"]]
    audited = client.get("/api/v1/extensions", headers=login(AUDITOR)).get_json()["items"]
    assert len(audited) == 2 and all("reason" not in e for e in audited)
    assert "status" in assert_problem(client.get("/api/v1/extensions?status=maybe", headers=it_headers),
                                      422)["errors"]
