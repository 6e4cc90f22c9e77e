"""The session-time warning (KWCAG 2.2 "응답시간 조절"), in a real Chromium with the page's clock under control.

The server tells the page when the session ends with `<meta name="fleet-session-expires">` and answers
`GET /api/v1/auth/session` with the current expiry (the server-side sessions' side, built separately). Here the
meta tag is put into the page as the server will render it, and the status endpoint answered the same way, so
that static/app.js is tested as it will run: two minutes before the end a dialog says so and lets the person
stay; after the end a form is not sent to be lost but kept, and filled in again after the new log-in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.web.test_keyboard import focused, log_in

pytestmark = pytest.mark.browser

STATUS_PATH = "**/api/v1/auth/session"


class Server:
    """What the server side says about the session: the meta tag in each page, and the status endpoint."""

    def __init__(self, page, site: str, expires: datetime):
        self.expires = expires
        self.status_calls = 0
        page.route(f"{site}/me/**", self._page)
        page.route(STATUS_PATH, self._status)

    def _page(self, route):
        if route.request.method != "GET" or route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        body = response.text().replace(
            '<meta charset="utf-8">',
            f'<meta charset="utf-8">\n<meta name="fleet-session-expires" content="{self.expires.isoformat()}">', 1)
        route.fulfill(response=response, body=body)

    def _status(self, route):
        self.status_calls += 1
        route.fulfill(json={"expires_at": self.expires.isoformat()})


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 740})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_without_a_session_no_warning_ever_opens(site, app, phone):
    """The log-in page has no session, so no meta tag: nothing to warn about, however long it stays open."""
    page = phone
    page.clock.install(time=datetime.now(UTC))
    page.goto(f"{site}/login")
    assert page.locator('meta[name="fleet-session-expires"]').count() == 0
    page.clock.fast_forward(24 * 60 * 60 * 1000)
    expect(page.locator("#session-warning")).not_to_be_visible()


def test_a_logged_in_page_says_when_its_session_ends(site, app, phone):
    """The server-side session's end (the idle limit, FLEET_IDLE_MINUTES) is in every logged-in page."""
    page = phone
    log_in(page, site, "emp1")
    page.goto(f"{site}/me/request")
    ends = datetime.fromisoformat(page.locator('meta[name="fleet-session-expires"]').get_attribute("content"))
    left = ends - datetime.now(UTC)
    assert timedelta(minutes=25) < left <= timedelta(minutes=app.config["FLEET_IDLE_MINUTES"]), left
    assert page.locator('meta[name="fleet-session-extend"]').get_attribute("content") == "/session/extend"


def test_two_minutes_before_the_end_a_dialog_warns_and_staying_extends_the_session(site, app, phone):
    page = phone
    log_in(page, site, "emp1")
    start = datetime.now(UTC).replace(microsecond=0)
    page.clock.install(time=start)
    server = Server(page, site, expires=start + timedelta(minutes=3))
    page.goto(f"{site}/me/request")
    dialog = page.get_by_role("dialog", name="Your session is about to end")
    page.clock.fast_forward("00:55")
    expect(dialog).not_to_be_visible()
    page.clock.fast_forward("00:06")  # 2 minutes before the end
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The session ends at")
    assert focused(page, "#session-warning .session-stay")  # Enter stays
    server.expires = start + timedelta(minutes=33)  # the server's answer after the extension
    page.keyboard.press("Enter")
    expect(dialog).not_to_be_visible()
    assert server.status_calls == 1
    page.clock.fast_forward("05:00")  # past the old end: no warning, the session was extended
    expect(page.locator("#session-warning")).not_to_be_visible()
    page.clock.fast_forward("25:00")  # two minutes before the new end
    expect(dialog).to_be_visible()


def test_a_form_sent_after_the_end_is_kept_and_filled_in_again_after_logging_in(site, app, phone):
    page = phone
    log_in(page, site, "emp1")
    start = datetime.now(UTC).replace(microsecond=0)
    page.clock.install(time=start)
    server = Server(page, site, expires=start + timedelta(minutes=3))
    page.goto(f"{site}/me/request")
    page.select_option("select[name=reason]", "childcare")
    page.fill("input[name=needed_from]", "2099-01-02")
    page.locator("textarea[name=note]").press_sequentially("어린이집 하원 시간 때문에")
    page.clock.fast_forward("03:30")  # past the end without an answer
    ended = page.locator("#session-warning .session-expired")
    expect(ended).to_be_visible()
    expect(ended).to_contain_text("Your session has ended.")
    assert focused(page, "#session-warning .session-expired a")
    page.keyboard.press("Escape")  # closes the dialog; the person sends the form anyway
    page.locator("#send-request").focus()
    page.keyboard.press("Enter")
    expect(ended).to_be_visible()  # not sent: kept, and the dialog says to log in again
    assert page.url.endswith("/me/request")
    assert "어린이집" in page.evaluate("() => sessionStorage.getItem('fleet-pending-form')")
    server.expires = datetime.now(UTC) + timedelta(hours=1)  # the new session's end
    with page.expect_navigation():
        page.keyboard.press("Enter")  # "Log in again"
    assert "/login?next=/me/request" in page.url
    expect(page.locator("input[name=username]")).to_be_focused()  # autofocus, maybe after the load event
    page.keyboard.type("emp1")
    page.keyboard.press("Tab")
    page.keyboard.type("emp1pw")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/me/request")
    expect(page.locator("#form-restored")).to_be_visible()
    assert focused(page, "#form-restored")
    expect(page.locator("textarea[name=note]")).to_have_value("어린이집 하원 시간 때문에")
    expect(page.locator("select[name=reason]")).to_have_value("childcare")
    expect(page.locator("input[name=needed_from]")).to_have_value("2099-01-02")
    assert page.evaluate("() => sessionStorage.getItem('fleet-pending-form')") is None
