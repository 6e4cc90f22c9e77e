"""A live Fleet server (werkzeug, threaded) and Debian's headless Chromium, for browser tests.

Browser tests run on SQLite only: the services beneath them are tested on both databases,
and one database keeps the browser run short.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


# Playwright's `expect` waits 5 s by default: on a 2-core machine under load a page can take longer to render,
# and a wait is a bound on a hang, not the verdict. Navigations and actions already wait up to 30 s.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium",
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="session")
def live_server(_session_app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("browser tests run on SQLite only; the services beneath are tested on both databases")
    server = make_server("127.0.0.1", 0, _session_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def site(live_server, app):
    """The live server's URL, on a freshly emptied database."""
    return live_server


@pytest.fixture
def shot():
    """shot(page, name): a full-page screenshot under test-output/screenshots/, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
