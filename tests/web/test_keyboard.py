"""Every flow with the keyboard alone (KWCAG 2.2 "키보드 사용 보장", "초점 이동과 표시"), in a real Chromium.

Nothing here clicks: pages are reached by their address or by Enter on a focused link or button, fields are
filled by typing, choices are made with the arrow keys. Each step checks that the focus is where the person
expects it and that it is visible; refusals move the focus to an error summary whose links lead to the fields;
the results of a hand-over and of a scan are announced.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from fleet.extensions import db
from fleet.models import Event
from tests.support import pdf
from tests.support.clock import fleet_today
from tests.web.helpers import stock

pytestmark = pytest.mark.browser

FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  return {id: e.id, name: e.getAttribute("name"), tag: e.tagName, text: e.textContent.trim().slice(0, 80),
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
}"""


def focused(page, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)


def assert_focus_visible(page) -> None:
    state = page.evaluate(FOCUS)
    assert state and state["outline"], f"the focus is not visible on {state}"


def tab_to(page, selector: str, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab until the element matching `selector` has the focus; each stop must show the focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate("() => document.activeElement !== document.body"):
            assert_focus_visible(page)
        if focused(page, selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def type_date(page, day) -> None:
    """A date typed into Chromium's date field in the en-US locale (month, day, year)."""
    page.keyboard.type(day.strftime("%m%d%Y"))


@pytest.fixture
def keyboard_page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def log_in(page, site, uid, lang="en"):
    page.goto(f"{site}/lang/{lang}")
    page.goto(f"{site}/login")
    # the field has the focus (autofocus, which Chromium may apply after the load event): type at once
    expect(page.locator("input[name=username]")).to_be_focused()
    page.keyboard.type(uid)
    page.keyboard.press("Tab")
    page.keyboard.type(uid + "pw")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_skip_link_is_the_first_tab_stop_and_moves_to_the_main_content(site, app, keyboard_page):
    page = keyboard_page
    log_in(page, site, "it1")
    page.goto(f"{site}/desk/leavers")
    page.keyboard.press("Tab")
    assert focused(page, "a.skip-link")
    assert page.locator("a.skip-link").is_visible()  # shown when it has the focus
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    assert focused(page, "main#main")
    page.keyboard.press("Tab")  # the next stop is inside main, past the whole navigation
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_hand_over_sign_by_typing_the_names_and_take_back_with_the_keyboard_alone(site, app, keyboard_page):
    stock(app, "YS-NB-0001")
    page = keyboard_page
    log_in(page, site, "it1")
    page.goto(f"{site}/desk/handover")
    expect(page.locator("#asset_tag")).to_be_focused()  # autofocus, maybe after the load event
    page.keyboard.type("ys-nb-0001")
    page.keyboard.press("Enter")  # a scanner's Enter: on to the assignee
    assert focused(page, "#assignee")
    expect(page.locator("#asset-preview")).to_contain_text("YS-NB-0001")
    page.keyboard.type("emp1")
    preview = page.locator("#person-preview")
    expect(preview).to_contain_text("Can borrow")
    assert preview.get_attribute("aria-live") == "polite"  # the directory's answer is announced
    tab_to(page, "#confirm")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # The result is announced: the notice is a status message and takes the focus on the page that follows.
    expect(page.locator("#notice")).to_contain_text("Handed over")
    assert focused(page, "#notice") and page.locator("#notice").get_attribute("role") == "status"

    # The signature pads need a pointer; the typed name is their keyboard alternative. A wrong name is refused.
    tab_to(page, "#assignee_typed_name")
    page.keyboard.type("이지")
    tab_to(page, "#staff_typed_name")
    page.keyboard.type("김민수")
    tab_to(page, "#sign-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page, "#error-summary")
    expect(page.locator("#error-summary")).to_contain_text("A typed name is not the name on the form.")
    page.keyboard.press("Tab")  # the summary's link leads to the field
    assert focused(page, "#error-summary a")
    page.keyboard.press("Enter")
    assert focused(page, "#assignee_typed_name")
    field = page.locator("#assignee_typed_name")
    assert field.get_attribute("aria-invalid") == "true"
    assert "error-assignee_typed_name" in field.get_attribute("aria-describedby")
    expect(page.locator("#error-assignee_typed_name")).to_have_text("Type the name as printed on the form.")
    page.keyboard.press("Control+a")
    page.keyboard.type("이지은")
    tab_to(page, "#sign-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("a.signed-pdf")).to_have_count(1)
    signed = page.request.get(site + page.locator("a.signed-pdf").get_attribute("href")).body()
    text = pdf.flat_text(signed)
    assert "이지은" in text and "Confirmedbytypingthename" in text and pdf.image_count(signed) == 0
    with app.app_context():
        event = db.session.execute(db.select(Event).where(Event.action == "document.signed")).scalar_one()
        data = json.loads(event.data)["after"]
    assert data["signed_by"] == {"assignee": True, "it_staff": "it1"}
    assert data["typed"] == ["assignee", "it_staff"]

    # Take it back: the tag, Enter, then the choices with the arrow keys.
    page.goto(f"{site}/desk/return")
    expect(page.locator("#return-tag")).to_be_focused()  # autofocus, maybe after the load event
    page.keyboard.type("YS-NB-0001")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "input[name=condition]:checked")
    page.keyboard.press("ArrowDown")  # good → damaged, with no damage notes: refused
    tab_to(page, "#confirm-return")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page, "#error-summary")
    assert page.title().startswith("Error: ")
    tab_to(page, "#error-summary a")
    page.keyboard.press("Enter")
    assert focused(page, "textarea[name=damage_notes]")
    assert page.locator("textarea[name=damage_notes]").get_attribute("aria-invalid") == "true"
    page.keyboard.type("Scratch on the lid")
    tab_to(page, "input[name=data_wiped]:checked")
    page.keyboard.press("ArrowUp")  # no → yes
    tab_to(page, "#confirm-return")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_contain_text("Taken back")
    assert focused(page, "#notice")


def test_an_employee_requests_and_books_with_the_keyboard_alone(site, app, keyboard_page):
    stock(app, "YS-NB-0001", "YS-NB-0002")
    page = keyboard_page
    log_in(page, site, "emp2")
    tab_to(page, "#new-request")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "select[name=reason]")
    page.keyboard.press("ArrowDown")  # the second reason: pregnancy
    tab_to(page, "input[name=needed_from]")
    type_date(page, fleet_today() + timedelta(days=3))
    tab_to(page, "input[name=needed_until]")
    type_date(page, fleet_today() + timedelta(days=1))  # before needed_from: refused
    tab_to(page, "#send-request")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page, "#error-summary")
    expect(page.locator("#error-summary a")).to_contain_text("Needed until")  # the link names the field
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page, "input[name=needed_until]")
    expect(page.locator("select[name=reason]")).to_have_value("pregnancy")  # what was chosen is kept
    type_date(page, fleet_today() + timedelta(days=10))
    tab_to(page, "#send-request")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page, "#notice")
    expect(page.locator("#my-requests")).to_contain_text("Pregnancy")

    page.goto(f"{site}/me/bookings")
    tab_to(page, "#booking-quantity")
    page.keyboard.press("Control+a")
    page.keyboard.type("2")
    tab_to(page, "#starts_day")
    type_date(page, fleet_today() + timedelta(days=1))
    tab_to(page, "#book")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page, "#notice")
    expect(page.locator("#my-bookings")).to_contain_text("× 2")


def test_stocktake_scans_are_announced_and_a_report_downloads_with_the_keyboard_alone(site, app, keyboard_page):
    stock(app, "YS-NB-0001", "YS-NB-0002")
    page = keyboard_page
    log_in(page, site, "it1")
    page.goto(f"{site}/desk/stocktakes")
    tab_to(page, "select[name=center]")
    tab_to(page, "#start")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page, "#scan")
    announcer = page.locator("#scan-announce")
    assert announcer.get_attribute("aria-live") == "polite" and announcer.get_attribute("role") == "status"
    page.keyboard.type("YS-NB-0002")
    page.keyboard.press("Enter")
    expect(announcer).to_have_text("YS-NB-0002: expected here")
    page.keyboard.type("ZZ-404")
    page.keyboard.press("Enter")
    expect(announcer).to_have_text("ZZ-404: unknown tag")
    assert focused(page, "#scan")
    tab_to(page, "#close")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("Closed")

    page.goto(f"{site}/audit")
    tab_to(page, "#report-loans input[name=reason]")  # the loan register holds personal data: a reason first
    page.keyboard.type("월간 점검")
    tab_to(page, "#report-loans button.csv")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "loans.csv"
    tab_to(page, "#report-inventory button.pdf", backwards=True)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert open(download.value.path(), "rb").read().startswith(b"%PDF")


def test_the_desk_books_for_someone_and_hands_the_booking_over_with_the_keyboard_alone(site, app, keyboard_page):
    stock(app, "YS-NB-0001", "YS-NB-0002")
    page = keyboard_page
    log_in(page, site, "it1")
    page.goto(f"{site}/desk/bookings?center=JJ")
    tab_to(page, "#booking-person")
    page.keyboard.type("emp1")
    tab_to(page, "#starts_day")
    type_date(page, fleet_today())  # a whole day from today
    tab_to(page, "#desk-book")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page, "#notice")
    expect(page.locator("#timeline")).to_contain_text("emp1")
    tab_to(page, "#day-list")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#pick-ups .pick-up-tags")
    page.keyboard.type("YS-NB-0002")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in the field sends the pick-up
    expect(page.locator("#notice")).to_contain_text("Handed over")
    assert focused(page, "#notice")
    expect(page.locator("main")).to_contain_text("YS-NB-0002")
