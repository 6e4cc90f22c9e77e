"""Each role does its job in a real headless Chromium against a live server and the real slapd."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.api.test_loans_api import stock
from tests.support import pdf

pytestmark = pytest.mark.browser


def log_in(page, site, uid, lang="ko"):
    page.goto(f"{site}/lang/{lang}")
    page.goto(f"{site}/login")
    page.fill("input[name=username]", uid)
    page.fill("input[name=password]", uid + "pw")
    page.click("main button[type=submit]")


def sign(page, canvas_index: int) -> None:
    box = page.locator("canvas.pad").nth(canvas_index).bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        wave = (15 + 10 * canvas_index) * (1 if step % 2 else -1)
        page.mouse.move(box["x"] + 20 + step * (25 - 5 * canvas_index), box["y"] + 60 + wave)
    page.mouse.up()


def test_each_role_lands_on_its_page(site, browser, shot):
    for uid, heading in [("it1", "정보통신과 창구"), ("audit1", "보고서"), ("emp1", "내 대여와 신청")]:
        context = browser.new_context()
        page = context.new_page()
        log_in(page, site, uid)
        expect(page.locator("h1")).to_have_text(heading)
        shot(page, f"home-{uid}")
        context.close()


def test_hand_over_sign_and_return(site, app, page, shot):
    stock(app, "NB-001")
    log_in(page, site, "it1")
    page.click("text=인계")
    page.fill("#asset_tag", "nb-001")
    page.press("#asset_tag", "Enter")  # a scanner ends with Enter: focus moves on, nothing is submitted
    expect(page.locator("#asset-preview")).to_contain_text("NB-001")
    expect(page.locator("#assignee")).to_be_focused()
    page.type("#assignee", "emp1")
    expect(page.locator("#person-preview")).to_contain_text("이지은")
    expect(page.locator("#person-preview")).to_contain_text("대여 가능")
    expect(page.locator("#accessories input")).to_have_count(2)
    shot(page, "handover-screen")
    page.click("#confirm")
    expect(page.locator("h1")).to_contain_text("L-")
    sign(page, 0)
    sign(page, 1)
    page.click("#sign-submit")
    expect(page.locator("a.signed-pdf")).to_have_count(1)
    shot(page, "loan-signed")
    signed = page.request.get(site + page.locator("a.signed-pdf").get_attribute("href")).body()
    assert pdf.image_count(signed) == 2 and "이지은" in pdf.flat_text(signed)
    original = page.request.get(site + page.locator("#handover-pdf").get_attribute("href")).body()
    assert pdf.image_count(original) == 0 and "장비인수증" in pdf.flat_text(original)

    page.click("text=반납")
    page.fill("#return-tag", "NB-001")
    page.press("#return-tag", "Enter")
    page.uncheck("input[name=accessories_returned][value=bag]")
    page.check("input[name=data_wiped][value=yes]")
    shot(page, "return-screen")
    page.click("#confirm-return")
    expect(page.locator("#return-pdf")).to_be_visible()
    returned = page.request.get(site + page.locator("#return-pdf").get_attribute("href")).body()
    assert "Missing:bag" in pdf.flat_text(returned)


def test_a_disabled_person_is_refused_with_a_clear_message(site, app, page, shot):
    stock(app, "NB-001")
    log_in(page, site, "it1", lang="en")
    page.goto(f"{site}/desk/handover")
    page.fill("#asset_tag", "NB-001")
    page.fill("#assignee", "gone1")
    expect(page.locator("#person-preview")).to_contain_text("Disabled in the directory")
    page.click("#confirm")
    expect(page.locator("p.error")).to_contain_text("disabled in the directory")
    expect(page.locator("#assignee")).to_have_value("gone1")
    expect(page.locator("#asset_tag")).to_have_value("NB-001")
    shot(page, "handover-refused")


def test_employee_requests_and_it_approves(site, browser, shot):
    employee = browser.new_context(viewport={"width": 390, "height": 844})
    page = employee.new_page()
    log_in(page, site, "emp2")
    page.click("text=노트북 대여 신청")
    page.select_option("select[name=reason]", "childcare")
    page.fill("input[name=needed_from]", "2099-01-02")
    page.fill("textarea[name=note]", "어린이집 하원")
    page.click("main button[type=submit]")
    expect(page.locator("#my-requests")).to_contain_text("대기")
    shot(page, "employee-phone")
    desk = browser.new_context().new_page()
    log_in(desk, site, "it1")
    desk.goto(f"{site}/desk/requests")
    expect(desk.locator("#queue")).to_contain_text("어린이집 하원")
    desk.click("#queue button.approve")
    shot(desk, "request-queue")
    page.reload()
    expect(page.locator("#my-requests")).to_contain_text("승인")
    employee.close()
    desk.context.close()


def test_auditor_downloads_a_report_and_verifies_a_form(site, app, browser, tmp_path, shot):
    stock(app, "NB-001")
    desk = browser.new_context().new_page()
    log_in(desk, site, "it1")
    desk.goto(f"{site}/desk/handover")
    desk.fill("#asset_tag", "NB-001")
    desk.fill("#assignee", "emp1")
    desk.click("#confirm")
    form = desk.request.get(site + desk.locator("#handover-pdf").get_attribute("href")).body()
    desk.context.close()

    page = browser.new_context().new_page()
    log_in(page, site, "audit1", lang="en")
    expect(page.locator("h1")).to_have_text("Reports")
    shot(page, "auditor-reports")
    csv = page.request.get(f"{site}/api/v1/reports/loans.csv")
    assert csv.ok and "이지은" in csv.body().decode("utf-8-sig")
    report = page.request.get(f"{site}/api/v1/reports/inventory.pdf")
    assert report.ok and "NB-001" in pdf.text(report.body())
    path = tmp_path / "form.pdf"
    path.write_bytes(form)
    page.goto(f"{site}/audit/verify")
    page.set_input_files("input[type=file]", str(path))
    page.click("main button[type=submit]")
    expect(page.locator("#verdict")).to_contain_text("Genuine")
    altered = bytearray(form)
    altered[len(altered) // 2] ^= 1
    path.write_bytes(bytes(altered))
    page.set_input_files("input[type=file]", str(path))
    page.click("main button[type=submit]")
    expect(page.locator("#verdict")).to_contain_text("Not registered")
    page.goto(f"{site}/audit/events")
    expect(page.locator("#chain")).to_contain_text(re.compile("none altered"))
    shot(page, "auditor-events")
