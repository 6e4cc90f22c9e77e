"""The session-time warning (KWCAG 2.2 "응답시간 조절"), in a real Chromium with the page's clock under control.

The server tells the page how long its session has left with `<meta name="fleet-session-seconds-left">` and
answers `GET /api/v1/auth/session` with `seconds_left`; the page counts them on the device's own clock. The first
tests answer for the server (the meta tag put into each page, the status endpoint answered), so that
static/app.js is tested on exact times: two minutes before the end a dialog says so and lets the person stay;
after the end a form is not sent to be lost but kept, and filled in again after the new log-in. The last runs
against the real server with the device's clock forty minutes ahead of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.web.test_keyboard import focused, log_in

pytestmark = pytest.mark.browser

STATUS_PATH = "**/api/v1/auth/session"


class Server:
    """What the server side says about the session: the seconds it has left, in each page and from the status
    endpoint."""

    def __init__(self, page, site: str, seconds_left: int):
        self.seconds_left = seconds_left
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
            f'<meta charset="utf-8">\n<meta name="fleet-session-seconds-left" content="{self.seconds_left}">', 1)
        route.fulfill(response=response, body=body)

    def _status(self, route):
        self.status_calls += 1
        route.fulfill(json={"seconds_left": self.seconds_left})


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
    assert page.locator('meta[name="fleet-session-seconds-left"]').count() == 0
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
    seconds = int(page.locator('meta[name="fleet-session-seconds-left"]').get_attribute("content"))
    assert abs(seconds - left.total_seconds()) < 60, (seconds, left)
    assert page.locator('meta[name="fleet-session-extend"]').get_attribute("content") == "/session/extend"


def test_two_minutes_before_the_end_a_dialog_warns_and_staying_extends_the_session(site, app, phone):
    page = phone
    log_in(page, site, "emp1")
    start = datetime.now(UTC).replace(microsecond=0)
    page.clock.install(time=start)
    server = Server(page, site, seconds_left=3 * 60)
    page.goto(f"{site}/me/request")
    dialog = page.get_by_role("dialog", name="Your session is about to end")
    page.clock.fast_forward("00:55")
    expect(dialog).not_to_be_visible()
    page.clock.fast_forward("00:06")  # 2 minutes before the end
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The session ends at")
    assert focused(page, "#session-warning .session-stay")  # Enter stays
    server.seconds_left = 32 * 60  # the server's answer after the extension, at 01:01: the end at 33:01
    page.keyboard.press("Enter")
    expect(dialog).not_to_be_visible()
    assert server.status_calls == 1
    page.clock.fast_forward("05:00")  # past the old end: no warning, the session was extended
    expect(page.locator("#session-warning")).not_to_be_visible()
    page.clock.fast_forward("25:30")  # past two minutes before the new end
    expect(dialog).to_be_visible()


def test_a_form_sent_after_the_end_is_kept_and_filled_in_again_after_logging_in(site, app, phone):
    page = phone
    log_in(page, site, "emp1")
    start = datetime.now(UTC).replace(microsecond=0)
    page.clock.install(time=start)
    server = Server(page, site, seconds_left=3 * 60)
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
    server.seconds_left = 60 * 60  # the new session's
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


def test_a_device_clock_forty_minutes_ahead_still_warns_two_minutes_before_the_end(site, app, phone):
    """The real server and the page, the phone's clock 40 minutes ahead (more than the idle limit): the page counts
    the seconds the server gives on its own clock. It neither takes the session for ended at once nor, after
    "Stay logged in", waits for the absolute limit (hours away) instead of the idle limit it was given."""
    page = phone
    idle = int(app.config["FLEET_IDLE_MINUTES"])
    log_in(page, site, "emp1")
    page.clock.install(time=datetime.now(UTC) + timedelta(minutes=40))
    page.goto(f"{site}/me/request")
    dialog = page.get_by_role("dialog", name="Your session is about to end")
    page.clock.fast_forward(f"{idle - 4:02d}:00")
    expect(page.locator("#session-warning")).not_to_be_visible()
    page.clock.fast_forward("02:30")  # less than two minutes before the end, as the phone counts
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The session ends at")
    with page.expect_response(lambda answer: answer.url.endswith("/api/v1/auth/session")) as status:
        page.get_by_role("button", name="Stay logged in").click()
    assert status.value.json()["seconds_left"] > (idle - 1) * 60
    expect(dialog).not_to_be_visible()
    page.clock.fast_forward("05:00")
    expect(page.locator("#session-warning")).not_to_be_visible()
    page.clock.fast_forward(f"{idle - 6:02d}:30")  # two minutes before the idle limit, renewed by "Stay"
    expect(dialog).to_be_visible()
    # and the session is live on the server: a form sent now is sent, not kept
    page.get_by_role("button", name="Stay logged in").click()
    expect(dialog).not_to_be_visible()
    page.select_option("select[name=reason]", "childcare")
    page.fill("input[name=needed_from]", "2099-01-02")
    with page.expect_navigation():
        page.locator("#send-request").click()
    assert page.evaluate("() => sessionStorage.getItem('fleet-pending-form')") is None
