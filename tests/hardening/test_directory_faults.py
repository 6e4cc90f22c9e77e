"""The directory failing under a real server: gunicorn (2 sync workers) against a slapd that stops,
freezes (SIGSTOP) or sits behind a dead URI, with FLEET_LDAP_TIMEOUT = 2 s.

What must hold (PRODUCT.md, "Rules that must always hold"): nothing is handed over while the
directory cannot be reached, and the answer is a 503 problem within about the timeout, not a
hang; reading and returns go on meanwhile; no worker stays stuck; when the directory is back,
the next hand-over works without restarting Fleet. Logging in needs the directory too, so
every test takes its tokens before the fault. Run with -s to see the measured times.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests

from tests.hardening.storm import Plan, prepare_database
from tests.support.server import GunicornServer, free_port
from tests.support.slapd import directory_settings

TIMEOUT = 2.0  # FLEET_LDAP_TIMEOUT
MARGIN = 4.0  # generous: the machine is shared; a hang would take minutes, not seconds
CLIENT_TIMEOUT = 60


@dataclass
class Answer:
    status: int
    seconds: float
    body: dict
    content_type: str = ""

    def __str__(self) -> str:
        return f"{self.status} in {self.seconds:.2f} s"


@dataclass
class Desk:
    """IT staff at the desk of one Fleet server: tokens taken, fresh asset tags at hand."""

    server: GunicornServer
    tags: list[str]
    headers: dict[str, str] = field(default_factory=dict)

    def log_in(self, uid: str = "it1") -> Desk:
        response = requests.post(f"{self.server.url}/api/v1/auth/token",
                                 json={"username": uid, "password": uid + "pw"}, timeout=CLIENT_TIMEOUT)
        assert response.status_code == 201, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['token']}"}
        return self

    def call(self, method: str, path: str, body: dict | None = None) -> Answer:
        started = time.monotonic()
        response = requests.request(method, self.server.url + path, json=body, headers=self.headers,
                                    timeout=CLIENT_TIMEOUT)
        seconds = time.monotonic() - started
        content_type = response.headers.get("Content-Type", "")
        return Answer(response.status_code, seconds, response.json() if content_type.endswith("json") else {},
                      content_type)

    def hand_over(self, assignee: str = "emp1") -> Answer:
        return self.call("POST", "/api/v1/loans", {"asset_tag": self.tags.pop(), "assignee": assignee})

    def hand_overs_at_once(self, count: int) -> list[Answer]:
        """`count` hand-overs sent together: with 2 sync workers and 2 requests, each worker takes one."""
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(lambda _: self.hand_over(), range(count)))

    def healthz_at_once(self, count: int) -> list[int]:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(lambda _: requests.get(f"{self.server.url}/healthz", timeout=CLIENT_TIMEOUT)
                                 .status_code, range(count)))


def assert_directory_unavailable(answer: Answer) -> None:
    assert answer.status == 503, answer.body
    assert answer.content_type == "application/problem+json"
    assert answer.body["status"] == 503 and "directory" in answer.body["detail"].lower(), answer.body
    assert answer.seconds < TIMEOUT + MARGIN, f"503 only after {answer.seconds:.1f} s"


@pytest.fixture
def desk_for(tmp_path):
    """desk_for(ldap_settings) -> a Desk on a fresh SQLite database served by gunicorn with 2 workers."""
    url = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    tags, _ = prepare_database(url, Plan(laptops=16, monitors=0, hot=0))
    servers: list[GunicornServer] = []

    def start(ldap_settings: dict[str, str]) -> Desk:
        settings = {**ldap_settings, "FLEET_LDAP_TIMEOUT": str(TIMEOUT), "FLEET_DATABASE_URL": url,
                    "FLEET_SECRET_KEY": "faults"}
        servers.append(GunicornServer(settings, workers=2).start())
        return Desk(servers[-1], list(tags))

    yield start
    for server in servers:
        server.stop()


def test_directory_stopped_is_503_at_once_and_restarted_works_again(desk_for, own_slapd):
    desk = desk_for(directory_settings(own_slapd)).log_in()
    workers = desk.server.worker_pids()
    assert [a.status for a in desk.hand_overs_at_once(2)] == [201, 201]  # each worker holds a directory connection

    own_slapd.stop_serving()
    down = desk.hand_overs_at_once(2)
    for answer in down:
        assert_directory_unavailable(answer)
    assert desk.call("GET", "/api/v1/loans?active=true").status == 200  # reading goes on

    own_slapd.restart()
    back = desk.hand_overs_at_once(2)
    print(f"\n[directory stopped] hand-overs: {', '.join(map(str, down))}; "
          f"after slapd restarted: {', '.join(map(str, back))}")
    assert [a.status for a in back] == [201, 201], [a.body for a in back]
    assert desk.server.worker_pids() == workers  # Fleet was not restarted, no worker was replaced


def test_directory_frozen_is_503_within_the_timeout_and_no_worker_stays_stuck(desk_for, own_slapd):
    desk = desk_for(directory_settings(own_slapd)).log_in()
    workers = desk.server.worker_pids()
    loan = desk.hand_over().body
    assert [a.status for a in desk.hand_overs_at_once(2)] == [201, 201]

    own_slapd.freeze()
    try:
        frozen = desk.hand_overs_at_once(2)  # both workers wait on the directory at once
        for answer in frozen:
            assert_directory_unavailable(answer)
        # While one worker waits on the frozen directory, the other reads and takes a laptop back.
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(desk.hand_over)
            time.sleep(0.3)
            read = desk.call("GET", "/api/v1/loans?active=true")
            returned = desk.call("POST", f"/api/v1/loans/{loan['id']}/return",
                                 {"condition": "good", "accessories_returned": ["charger", "bag"],
                                  "data_wiped": True})
            third = waiting.result()
        assert_directory_unavailable(third)
        assert read.status == 200 and returned.status == 200, (read.body, returned.body)
        # Logging in and the readiness probe ask the directory too: 503 as well, as quickly.
        with ThreadPoolExecutor(2) as pool:
            login = pool.submit(desk.call, "POST", "/api/v1/auth/token", {"username": "it2", "password": "it2pw"})
            ready = pool.submit(desk.call, "GET", "/readyz")
            login, ready = login.result(), ready.result()
        assert_directory_unavailable(login)
        assert ready.status == 503 and "directory" in ready.body["detail"] and ready.seconds < TIMEOUT + MARGIN
        assert desk.healthz_at_once(4) == [200] * 4
        assert desk.server.worker_pids() == workers
    finally:
        own_slapd.thaw()

    back = desk.hand_overs_at_once(2)
    print(f"\n[directory frozen] hand-overs: {', '.join(map(str, frozen))}, {third} "
          f"(meanwhile read {read}, return {returned}); log-in {login}, /readyz {ready}; "
          f"after SIGCONT: {', '.join(map(str, back))}")
    assert [a.status for a in back] == [201, 201], [a.body for a in back]
    assert desk.server.worker_pids() == workers


def test_a_dead_first_uri_fails_over_to_the_live_one(desk_for, own_slapd):
    dead = f"ldap://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    settings = {**directory_settings(own_slapd), "FLEET_LDAP_URI": f"{dead} {own_slapd.uri}"}
    desk = desk_for(settings).log_in()  # the log-in itself already fails over
    answers = [desk.hand_over() for _ in range(3)]
    print(f"\n[dead first URI] hand-overs: {', '.join(map(str, answers))}")
    assert [a.status for a in answers] == [201, 201, 201], [a.body for a in answers]
