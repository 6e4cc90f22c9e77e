"""The demo as a new user starts it: `bash scripts/demo.sh`, two gunicorn workers, no FLEET_SECRET_KEY.

Each worker used to draw its own random secret, so a log-in form or a session cookie signed by one worker was
refused by the other about every other time. Both workers (and a restart) now sign with the secret kept in the
instance folder.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import time
from itertools import cycle
from pathlib import Path

import pytest
import requests

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
# Demo people (README, "Demo logins"): six of them, so that 30 log-ins stay under the per-user limit (10 a minute).
DEMO_USERS = ["kimit", "parkit", "leeaudit", "choi", "jung", "kang"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Demo:
    def __init__(self, instance: Path):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = instance.parent / "demo.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
        env.update(FLEET_INSTANCE_PATH=str(self.instance), FLEET_DEMO_PORT=str(self.port),
                   FLEET_DEMO_LDAP_PORT=str(free_port()), FLEET_DEMO_SMTP_PORT=str(free_port()))
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 600  # a bound on a hang: a first start (keys, migrations, seed) is slow when busy
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise AssertionError("the demo did not answer in 600 s:\n" + self.log.read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def demo(tmp_path):
    running = Demo(tmp_path / "instance")
    running.start()
    yield running
    running.stop()


def log_in(url: str, uid: str) -> requests.Session:
    """Log in through the log-in page as a browser does: fetch the form (its CSRF token), post it, follow on."""
    browser = requests.Session()
    page = browser.get(f"{url}/login", timeout=30)
    assert page.status_code == 200
    token = CSRF.search(page.text).group(1)
    answer = browser.post(f"{url}/login", data={"csrf_token": token, "username": uid, "password": "demo1234"},
                          timeout=30)
    assert answer.status_code == 200 and "/login" not in answer.url, (uid, answer.status_code, answer.text[:500])
    return browser


def test_the_demo_logs_in_30_times_out_of_30(demo):
    refused = []
    sessions = []
    for attempt, uid in zip(range(30), cycle(DEMO_USERS), strict=False):
        try:
            browser = log_in(demo.url, uid)
        except AssertionError as exc:
            refused.append((attempt, str(exc)[:300]))
            continue
        page = browser.get(f"{demo.url}/", timeout=30)  # the next page, most likely from the other worker
        if page.status_code != 200 or "/login" in page.url:
            refused.append((attempt, f"thrown out on the next page: {page.url}"))
        sessions.append(browser)
    assert refused == []

    key_file = demo.instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    # A restart keeps the secret: a session from before it is still logged in.
    key = key_file.read_text()
    demo.stop()
    demo.start()
    assert key_file.read_text() == key
    page = sessions[0].get(f"{demo.url}/", timeout=30)
    assert page.status_code == 200 and "/login" not in page.url
