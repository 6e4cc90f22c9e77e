"""Pages between hand-over and return, through the test client, in Korean and English: the assignee asks for
more time from their page, the desk decides on the loan's page (or extends at once), refusals on the page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleet.extensions import db
from fleet.models import Loan, LoanExtension
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2, IT
from tests.support.clock import fleet_today
from tests.web.helpers import hand_over, stock
from tests.web.test_pages import EN, KO, log_in, post, text


def day(offset: int) -> str:
    return (fleet_today() + timedelta(days=offset)).isoformat()


def lend(app, tag="NB-001", assignee=EMPLOYEE, due_in=10) -> int:
    stock(app, tag)
    loan_id, _ = hand_over(app, tag, assignee, due_date=fleet_today() + timedelta(days=due_in))
    return loan_id


@pytest.mark.parametrize("headers,words", [
    (KO, ("기간 연장 요청", "새 반납 예정일", "연장 요청을 보냈습니다", "승인")),
    (EN, ("Ask for more time", "New due date", "Your extension is asked for", "Approve")),
])
def test_the_assignee_asks_for_more_time_and_the_desk_approves(app, client, headers, words):
    loan_id = lend(app)
    log_in(client, EMPLOYEE, headers=headers)
    me = text(client.get("/me", headers=headers))
    assert f"/me/loans/{loan_id}/extend" in me and words[0] in me
    form = client.get(f"/me/loans/{loan_id}/extend", headers=headers)
    assert form.status_code == 200 and words[1] in text(form) and 'name="viewport"' in text(form)
    assert f'min="{day(11)}"' in text(form)
    sent = post(client, f"/me/loans/{loan_id}/extend", {"until": day(40), "reason": "출산휴가 연장"}, headers=headers,
                follow_redirects=True)
    assert sent.status_code == 200 and words[2] in text(sent)
    client.post("/logout")
    log_in(client, IT, headers=headers)
    dashboard = text(client.get("/desk", headers=headers))
    assert 'id="pending-extensions"' in dashboard
    page = text(client.get(f"/desk/loans/{loan_id}", headers=headers))
    assert "출산휴가 연장" in page and words[3] in page
    with app.app_context():
        ext = db.session.execute(db.select(LoanExtension)).scalar_one()
        ext_id = ext.id
    done = post(client, f"/desk/extensions/{ext_id}/approve", {"note": "승인합니다"}, headers=headers)
    assert done.status_code == 302 and "done=extended" in done.headers["Location"]
    with app.app_context():
        assert db.session.get(Loan, loan_id).due_date.isoformat() == day(40)
    assert 'id="pending-extensions"' not in text(client.get("/desk", headers=headers))


def test_a_refusal_is_said_on_the_page_and_changes_nothing(app, client):
    loan_id = lend(app, assignee=EMPLOYEE2)
    log_in(client, EMPLOYEE, headers=KO)
    # someone else's loan looks absent
    assert client.get(f"/me/loans/{loan_id}/extend", headers=KO).status_code == 404
    client.post("/logout")
    log_in(client, EMPLOYEE2, headers=EN)
    refused = post(client, f"/me/loans/{loan_id}/extend", {"until": day(5), "reason": "x"}, headers=EN)
    assert refused.status_code == 422 and "Must be after" in text(refused)
    too_long = post(client, f"/me/loans/{loan_id}/extend", {"until": day(400), "reason": "x"}, headers=KO)
    assert too_long.status_code == 422 and "365" in text(too_long)
    client.post("/logout")
    log_in(client, IT, headers=KO)
    extended = post(client, f"/desk/loans/{loan_id}/extend", {"until": day(20), "reason": "부서 요청"}, headers=KO)
    assert extended.status_code == 302
    again = post(client, f"/desk/loans/{loan_id}/extend", {"until": day(15), "reason": "부서 요청"}, headers=KO)
    assert again.status_code == 422 and 'id="error"' in text(again)
    with app.app_context():
        assert db.session.get(Loan, loan_id).due_date.isoformat() == day(20)
        assert db.session.execute(db.select(db.func.count()).select_from(LoanExtension)).scalar() == 1
