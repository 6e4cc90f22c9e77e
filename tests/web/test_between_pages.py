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


def back_date(app, loan_id: int, days: int = 3) -> None:
    from fleet.db import utcnow

    with app.app_context():
        db.session.get(Loan, loan_id).checked_out_at = utcnow() - timedelta(days=days)
        db.session.commit()


@pytest.mark.parametrize("headers,words", [
    (KO, ("장비 사고 신고", "신고가 IT 지원실에 전달되었습니다", "처리 중인 사고 신고", "교체했습니다")),
    (EN, ("Report a problem with a device", "Your report reached the IT desk", "Open incident reports",
          "Swapped: the broken device")),
])
def test_the_assignee_reports_damage_and_the_desk_swaps_from_the_report(app, client, headers, words):
    loan_id = lend(app)
    back_date(app, loan_id)
    stock(app, "NB-NEW")
    log_in(client, EMPLOYEE, headers=headers)
    form = client.get(f"/me/loans/{loan_id}/incident", headers=headers)
    assert form.status_code == 200 and words[0] in text(form)
    sent = post(client, f"/me/loans/{loan_id}/incident", {
        "kind": "damaged", "happened_day": day(0), "happened_time": "00:00", "place": "집",
        "description": "커피를 쏟아 키보드 고장"}, headers=headers, follow_redirects=True)
    assert sent.status_code == 200 and words[1] in text(sent)
    client.post("/logout")
    log_in(client, IT, headers=headers)
    dashboard = text(client.get("/desk", headers=headers))
    assert words[2] in dashboard and 'id="open-incidents"' in dashboard
    page = text(client.get(f"/desk/loans/{loan_id}", headers=headers))
    assert "커피를 쏟아 키보드 고장" in page and 'name="incident_id"' in page
    with app.app_context():
        from fleet.models import Incident

        incident_id = db.session.execute(db.select(Incident.id)).scalar_one()
    done = post(client, f"/desk/loans/{loan_id}/swap", {
        "asset_tag": "nb-new", "condition": "damaged", "damage_notes": "키보드 고장", "data_wiped": "no",
        "accessories_returned": ["charger", "bag"], "incident_id": str(incident_id)}, headers=headers,
        follow_redirects=True)
    assert done.status_code == 200 and words[3] in text(done)
    with app.app_context():
        from fleet.models import Incident

        incident = db.session.get(Incident, incident_id)
        assert incident.status == "closed" and incident.resolution == "swapped"
        assert db.session.get(Loan, incident.replacement_loan_id).asset.asset_tag == "NB-NEW"


def test_a_stolen_device_is_reported_printed_and_marked_lost_from_the_page(app, client):
    loan_id = lend(app)
    back_date(app, loan_id)
    log_in(client, EMPLOYEE, headers=EN)
    post(client, f"/me/loans/{loan_id}/incident", {"kind": "stolen", "happened_day": day(-1),
                                                    "happened_time": "18:30", "place": "Bus 102",
                                                    "description": "Bag taken"}, headers=EN)
    client.post("/logout")
    log_in(client, IT, headers=KO)
    page = text(client.get(f"/desk/loans/{loan_id}", headers=KO))
    assert "도난·분실 신고서" in page and "분실로 처리" in page
    with app.app_context():
        from fleet.models import Incident

        incident_id = db.session.execute(db.select(Incident.id)).scalar_one()
    pdf = client.get(f"/api/v1/incidents/{incident_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    done = post(client, f"/desk/incidents/{incident_id}/mark-lost", headers=KO)
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Loan, loan_id).status == "lost"


def test_a_swap_refused_on_the_page_says_why_and_changes_nothing(app, client):
    loan_id = lend(app)
    stock(app, "NB-NEW")
    hand_over(app, "NB-NEW", EMPLOYEE2)
    log_in(client, IT, headers=KO)
    refused = post(client, f"/desk/loans/{loan_id}/swap", {"asset_tag": "NB-NEW", "condition": "damaged",
                                                          "damage_notes": "x", "data_wiped": "no"}, headers=KO)
    assert refused.status_code == 409 and "아무것도 교체하지 않았습니다" in text(refused)
    with app.app_context():
        assert db.session.get(Loan, loan_id).status == "active"
    bad = post(client, f"/me/loans/{loan_id}/incident", {"kind": "lost", "happened_day": "x"}, headers=KO)
    assert bad.status_code == 404  # IT staff report only their own loans, like anyone
