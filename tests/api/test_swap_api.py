"""Swap through the API: the return of the broken device and the hand-over of the replacement to the same person,
due the same day, in one step: both forms, both events, one mail, all or nothing."""

from __future__ import annotations

import json

import pytest

from fleet.extensions import db
from fleet.models import Asset, Document, Event, Loan, Notification
from fleet.services.events import verify_chain
from tests.api.test_auth_api import assert_problem
from tests.api.test_extensions_api import lend
from tests.api.test_loans_api import hand_over, stock
from tests.api.test_reservations_api import day
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2

BROKEN = {"condition": "damaged", "damage_notes": "화면 깨짐 (cracked screen)", "accessories_returned": ["charger"],
          "data_wiped": False}


def swap(client, headers, loan, tag="NB-NEW", **body):
    return client.post(f"/api/v1/loans/{loan['number']}/swap", json={**BROKEN, "asset_tag": tag, **body},
                       headers=headers)


def counts(app) -> dict:
    with app.app_context():
        return {model.__name__: db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
                for model in (Loan, Event, Notification, Document)}


def statuses(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(db.select(Asset.asset_tag, Asset.status)).all())


def test_a_swap_returns_the_broken_one_and_hands_over_the_replacement(app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers, due_in=20)
    stock(app, "NB-NEW")
    response = swap(client, it_headers, loan)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    old, new = body["returned"], body["handed_over"]
    assert old["number"] == loan["number"] and old["status"] == "returned" and old["return_condition"] == "damaged"
    assert old["accessories_missing"] == ["bag"] and old["return_document"]["url"].endswith(".pdf")
    assert new["asset_tag"] == "NB-NEW" and new["assignee"]["uid"] == EMPLOYEE and new["due_date"] == day(20)
    assert new["status"] == "active" and new["handover_document"]["url"].endswith(".pdf")
    assert new["accessories"] == ["charger", "bag"] and loan["number"] in new["note"]
    assert statuses(app) == {"NB-001": "in_repair", "NB-NEW": "on_loan"}
    # both forms are registered and render
    for ref in (old["return_document"], new["handover_document"]):
        pdf = client.get(ref["url"], headers=employee_headers)
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    with app.app_context():
        actions = [e.action for e in db.session.execute(db.select(Event).order_by(Event.seq)).scalars()]
        assert actions[-3:] == ["loan.returned", "loan.handed_over", "loan.swapped"]
        swapped = json.loads(db.session.execute(db.select(Event.data).where(Event.action == "loan.swapped"))
                             .scalar())
        assert swapped["after"]["returned"] == loan["number"] and swapped["after"]["handed_over"] == new["number"]
        # one mail for both, with the new handover form attached
        mails = db.session.execute(db.select(Notification).where(Notification.id > 1)).scalars().all()
        assert [(m.kind, m.recipient_uid) for m in mails] == [("swap_receipt", EMPLOYEE)]
        assert mails[0].document_id == new["handover_document"]["id"] and swapped["notification_id"] == mails[0].id
        assert verify_chain().valid


def test_a_replacement_just_taken_by_someone_else_is_409_and_nothing_changes(app, client, it_headers):
    loan = lend(app, client, it_headers)
    stock(app, "NB-NEW")
    assert hand_over(client, it_headers, "NB-NEW", EMPLOYEE2).status_code == 201  # a moment ago, at the other desk
    before, assets = counts(app), statuses(app)
    body = assert_problem(swap(client, it_headers, loan), 409)
    assert "NB-NEW" in body["detail"] and "Nothing was swapped" in body["detail"]
    assert counts(app) == before and statuses(app) == assets
    with app.app_context():
        assert db.session.get(Loan, loan["id"]).status == "active"
        assert verify_chain().valid


def test_a_replacement_booked_for_someone_else_is_409(app, client, it_headers):
    from tests.api.test_hand_over_booked import book

    loan = lend(app, client, it_headers, due_in=20)
    stock(app, "NB-NEW")
    book(client, it_headers, "NB-NEW", EMPLOYEE2, day(5), day(6))
    before = counts(app)
    assert "booked" in assert_problem(swap(client, it_headers, loan), 409)["detail"]
    assert counts(app) == before


@pytest.mark.parametrize("tag,status,field", [("NOPE", 404, None), ("NB-001", 422, "asset_tag"),
                                              ("", 422, "asset_tag")])
def test_bad_replacements_change_nothing(app, client, it_headers, tag, status, field):
    loan = lend(app, client, it_headers)
    before = counts(app)
    body = assert_problem(swap(client, it_headers, loan, tag=tag), status)
    assert field is None or field in body["errors"]
    assert counts(app) == before


def test_a_person_disabled_meanwhile_gets_no_replacement(app, client, it_headers, slapd):
    loan = lend(app, client, it_headers, assignee=EMPLOYEE2)
    stock(app, "NB-NEW")
    before = counts(app)
    dn = f"uid={EMPLOYEE2},ou=people,dc=example,dc=kr"
    slapd.modify(f"dn: {dn}\nchangetype: modify\nadd: employeeType\nemployeeType: inactive\n")
    try:
        assert "disabled" in assert_problem(swap(client, it_headers, loan), 422)["detail"]
    finally:
        slapd.modify(f"dn: {dn}\nchangetype: modify\ndelete: employeeType\n")
    assert counts(app) == before


def test_directory_down_is_503_and_only_it_staff_swap(app, make_app, client, it_headers, employee_headers):
    loan = lend(app, client, it_headers)
    stock(app, "NB-NEW")
    down = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI="ldap://127.0.0.1:1", FLEET_LDAP_TIMEOUT="1")
    assert_problem(swap(down.test_client(), it_headers, loan), 503)
    assert_problem(swap(client, employee_headers, loan), 403)
    assert statuses(app) == {"NB-001": "on_loan", "NB-NEW": "in_stock"}


@pytest.mark.parametrize("language,word", [("ko", "교체"), ("en", "swapped")])
def test_the_one_mail_names_both_devices(app, client, it_headers, language, word):
    from fleet.services.mail_content import gather

    loan = lend(app, client, it_headers)
    stock(app, "NB-NEW")
    swap(client, it_headers, loan)
    with app.test_request_context():
        mail = db.session.execute(db.select(Notification).where(Notification.kind == "swap_receipt")).scalar()
        content = gather(mail, language)
    assert "NB-001" in content.subject and "NB-NEW" in content.subject and word in content.subject
    assert content.attachment_name is None or content.attachment_name.endswith(".pdf")


def test_an_overdue_loans_replacement_is_due_today(app, client, it_headers):
    from tests.api.test_extensions_api import make_overdue

    loan = lend(app, client, it_headers)
    make_overdue(app, loan)
    stock(app, "NB-NEW")
    response = swap(client, it_headers, loan)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["handed_over"]["due_date"] == day(0)
    assert response.get_json()["returned"]["days_overdue"] == 5
