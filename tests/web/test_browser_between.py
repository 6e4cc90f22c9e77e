"""Between hand-over and return, in a real headless Chromium: the employee reports damage and asks for more time
on a phone-sized page; the desk swaps the device from the report and decides on the extension."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from fleet.extensions import db
from fleet.models import Incident, Loan
from tests.support import pdf
from tests.support.clock import fleet_now, fleet_today
from tests.web.helpers import hand_over, stock
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def accessible(page) -> None:
    """No WCAG 2.1 A/AA violation that axe-core finds on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, options=WCAG).response["violations"]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_the_employee_reports_damage_on_a_phone_and_the_desk_swaps_from_it(site, app, browser, shot):
    stock(app, "NB-001", "NB-002")
    loan_id, _ = hand_over(app, "NB-001", "emp2", due_date=fleet_today() + timedelta(days=30))
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    log_in(page, site, "emp2")
    page.click("#my-loans .report-link")
    expect(page.locator("h1")).to_have_text("장비 사고 신고")
    page.check("input[name=kind][value=damaged]")
    page.fill("#happened-time", fleet_now().strftime("%H:%M"))
    page.fill("#place", "자택")
    page.fill("#description", "떨어뜨려 화면이 깨졌습니다")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    accessible(page)
    shot(page, "incident-report-phone")
    page.click("#send-incident")
    expect(page.locator("#notice")).to_contain_text("IT 지원실에 전달")
    expect(page.locator("#my-loans")).to_contain_text("파손")

    desk = browser.new_context().new_page()
    log_in(desk, site, "it1")
    expect(desk.locator("#open-incidents")).to_contain_text("NB-001")
    desk.click("#open-incidents a")
    expect(desk.locator("section.card")).to_contain_text("떨어뜨려 화면이 깨졌습니다")
    expect(desk.locator("#swap-form")).to_contain_text("에 대한 조치입니다")
    expect(desk.locator("#swap-damage")).to_have_value("떨어뜨려 화면이 깨졌습니다")  # the report fills the notes
    desk.fill("#swap-tag", "NB-002")
    accessible(desk)
    shot(desk, "swap-from-report")
    desk.click("#swap-submit")
    expect(desk.locator("#notice")).to_contain_text("교체했습니다")
    expect(desk.locator("h1")).to_contain_text("대여 중")
    form = desk.request.get(site + desk.locator("#handover-pdf").get_attribute("href"))
    assert form.ok and "NB-002" in pdf.flat_text(form.body())
    with app.app_context():
        incident = db.session.execute(db.select(Incident)).scalar_one()
        assert incident.resolution == "swapped"
        assert db.session.get(Loan, loan_id).status == "returned"
        new = db.session.get(Loan, incident.replacement_loan_id)
        assert new.asset.asset_tag == "NB-002" and new.assignee_uid == "emp2"
        assert new.due_date == fleet_today() + timedelta(days=30)

    page.reload()
    expect(page.locator("#my-loans")).to_contain_text("NB-002")
    phone.close()
    desk.context.close()


def test_the_employee_asks_for_more_time_on_a_phone_and_the_desk_approves(site, app, browser, shot):
    stock(app, "NB-001")
    loan_id, _ = hand_over(app, "NB-001", "emp2", due_date=fleet_today() + timedelta(days=10))
    until = (fleet_today() + timedelta(days=40)).isoformat()
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    log_in(page, site, "emp2", lang="en")
    page.click("#my-loans .extend-link")
    expect(page.locator("h1")).to_have_text("Ask for more time")
    page.fill("#until", until)
    page.fill("#reason", "Maternity leave extended by a month")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    accessible(page)
    shot(page, "extension-phone")
    page.click("#send-extension")
    expect(page.locator("#notice")).to_contain_text("Your extension is asked for")
    expect(page.locator("#my-loans .extension")).to_contain_text("Pending")

    desk = browser.new_context().new_page()
    log_in(desk, site, "it1", lang="en")
    accessible(desk)  # the dashboard, with the extension waiting
    desk.click("#pending-extensions a")
    expect(desk.locator("#extensions")).to_contain_text("Maternity leave extended by a month")
    desk.fill("#extensions input[name=note]", "Approved, take care")
    desk.click("#extensions .approve-extension")
    expect(desk.locator("#notice")).to_contain_text("The due date moved")
    shot(desk, "extension-approved")
    with app.app_context():
        assert db.session.get(Loan, loan_id).due_date.isoformat() == until
    page.reload()
    expect(page.locator("#my-loans .extension")).to_contain_text("Approved")
    phone.close()
    desk.context.close()
