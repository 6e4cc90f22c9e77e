"""The concurrency storm: many clients, two app servers, one PostgreSQL database; then the invariants.

A module (tests/hardening/test_storm.py runs it) and a script:

    .venv/bin/python -m tests.hardening.storm [--clients 32] [--operations 3000] [--crash] [--seed 1]

The script starts everything itself: a throwaway PostgreSQL cluster, the test directory (a
real slapd loaded from tests/ldif/directory.ldif), and two gunicorn instances (2 sync
workers each) on one database, as two stateless app servers behind a load balancer would
run. Then `clients` threads send `operations` random requests, each to one of the two
servers picked at random: hand-overs and bulk hand-overs, returns, asset status moves,
employees' requests (approved, rejected, fulfilled or cancelled by IT staff), stocktake
scans, a few stocktakes started and closed, and reads that refresh what the clients know.
A few "hot" assets draw many of the requests, so clients collide on purpose; the clients'
knowledge of the state is shared and goes stale, so many requests are refused (409), as
they would be at a busy desk.

Every status code is recorded; a 5xx is a failure. With `--crash`, once a share of the
operations is done, the second server is killed with SIGKILL (master and workers, the
whole process group), left down a moment, and started again on the same port while the
clients go on; requests to it meanwhile fail at connection level, and are counted apart.
Afterwards the database is checked (tests/hardening/invariants.py) and a summary printed.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import requests

from fleet import create_app
from fleet.extensions import db
from tests.hardening.invariants import Check, check_database
from tests.support.clock import fleet_today
from tests.support.server import GunicornServer

IT_STAFF = ("it1", "it2")
EMPLOYEES = ("emp1", "emp2", "emp3")
ELIGIBLE = IT_STAFF + EMPLOYEES
REFUSED = ("outsider1", "gone1", "nobody")  # not eligible, disabled, unknown: 422
CENTERS = {"JJ": "진잠도서관 스마트워크센터", "NE": "노은도서관 스마트워크센터"}
ACCESSORIES = {"laptop": ["charger", "bag"], "monitor": ["hdmi-cable"]}
REASONS = ("emergency", "pregnancy", "childcare", "remote_work", "business_trip", "other")
# How often each kind of operation is drawn.
WEIGHTS = {
    "handover": 22, "bulk_handover": 5, "return": 20, "status": 10, "request_create": 7, "request_decide": 6,
    "request_cancel": 2, "request_fulfil": 6, "scan": 13, "stocktake": 1, "read": 8,
}
REQUEST_TIMEOUT = 60
SECRET = "storm-secret"


@dataclass(frozen=True)
class Plan:
    clients: int = 32
    operations: int = 3000
    crash: bool = False
    seed: int = 1
    laptops: int = 40
    monitors: int = 8
    hot: int = 4  # the few assets that many clients fight over
    crash_after: float = 0.35  # share of the operations sent when the second server is killed
    down_for: float = 1.0  # seconds it stays down before it is started again


@dataclass(frozen=True)
class Outcome:
    kind: str
    server: int
    status: int | None  # None: no HTTP answer
    # When there was no answer: "connection" (refused or reset), "cut" (the body ended short: the server died
    # between the headers and the body) or "timeout".
    error: str | None
    sent: float
    done: float


@dataclass
class CrashReport:
    killed_at: float = 0.0  # seconds since the storm began
    restarted_at: float = 0.0  # when the new gunicorn was launched
    ready_at: float = 0.0  # when it answered /healthz
    first_success_at: float | None = None  # first 2xx of a storm request to it after the restart
    killed_workers: int = 0
    in_flight_lost: int = 0
    refused: int = 0  # connection errors while it was down
    error: str | None = None

    @property
    def recovery(self) -> float | None:
        """Seconds from the restart until the first successful request."""
        return None if self.first_success_at is None else self.first_success_at - self.restarted_at


@dataclass
class StormResult:
    plan: Plan
    duration: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)  # 5xx answers: "kind METHOD path -> status body"
    tracebacks: list[str] = field(default_factory=list)  # from the servers' logs: Fleet's last frame, the error
    client_errors: list[str] = field(default_factory=list)  # a client thread's own failures (a bad answer body)
    crash: CrashReport | None = None
    checks: list[Check] = field(default_factory=list)
    began: float = 0.0  # time.monotonic() when the storm began; the crash's times count from it

    def count(self, predicate: Callable[[Outcome], bool]) -> int:
        return sum(1 for o in self.outcomes if predicate(o))

    @property
    def five_xx(self) -> int:
        return self.count(lambda o: o.status is not None and o.status >= 500)

    @property
    def connection_errors(self) -> int:
        return self.count(lambda o: o.status is None)

    def failures(self) -> list[str]:
        """Everything that must not happen: 5xx, a broken invariant, a crash that did not recover."""
        failed = [f"{self.five_xx} answers were 5xx: {self.server_errors[:5]}"] if self.five_xx else []
        failed += [str(c) for c in self.checks if not c.ok]
        if self.crash and (self.crash.error or self.crash.first_success_at is None):
            failed.append(f"the killed server did not recover: {self.crash.error or 'no success after restart'}")
        # Refused, reset or cut connections are expected of the killed server only, and only once it is killed;
        # a timeout never is.
        unanswered = Counter(o.server for o in self.outcomes if o.status is None and not self._killed(o))
        if unanswered:
            failed.append(f"requests got no answer (timeouts, or from a server not killed): {dict(unanswered)}")
        failed += [f"a client failed: {e}" for e in self.client_errors[:5]]
        return failed

    def _killed(self, outcome: Outcome) -> bool:
        """Whether the outcome is a request the kill cut off: to the killed server, ended after the kill."""
        return (self.crash is not None and outcome.server == 1 and outcome.error in ("connection", "cut")
                and outcome.done - self.began >= self.crash.killed_at)

    def summary(self) -> str:
        plan = self.plan
        lines = [f"storm: {plan.clients} clients, {len(self.outcomes)} operations on 2 gunicorn servers "
                 f"(2 workers each), one PostgreSQL database, seed {plan.seed}{', with a crash' if plan.crash else ''}",
                 f"  duration {self.duration:.1f} s, {len(self.outcomes) / max(self.duration, 1e-9):.0f} operations/s"]
        codes = sorted({o.status for o in self.outcomes if o.status is not None})
        columns = [str(c) for c in codes] + ["no answer"]
        lines.append("  " + f"{'kind':<16}{'total':>7}" + "".join(f"{c:>10}" for c in columns))
        by_kind: dict[str, Counter] = {}
        for o in self.outcomes:
            by_kind.setdefault(o.kind, Counter())[str(o.status) if o.status is not None else "no answer"] += 1
        for kind in WEIGHTS:
            if kind in by_kind:
                row = by_kind[kind]
                lines.append("  " + f"{kind:<16}{sum(row.values()):>7}" + "".join(f"{row[c]:>10}" for c in columns))
        total = Counter(str(o.status) if o.status is not None else "no answer" for o in self.outcomes)
        lines.append("  " + f"{'all':<16}{len(self.outcomes):>7}" + "".join(f"{total[c]:>10}" for c in columns))
        per_server = Counter(o.server for o in self.outcomes)
        lines.append(f"  per server: {dict(sorted(per_server.items()))}; 5xx: {self.five_xx}; "
                     f"no answer: {self.connection_errors} "
                     f"({dict(Counter(o.error for o in self.outcomes if o.error))})")
        for line in self.server_errors[:10]:
            lines.append(f"    5xx: {line}")
        for line in self.client_errors[:10]:
            lines.append(f"    client error: {line}")
        if self.tracebacks:
            lines.append(f"  tracebacks in the servers' logs: {len(self.tracebacks)}, the first ends:")
            lines += [f"    {line}" for line in self.tracebacks[0].splitlines()]
        if self.crash:
            c = self.crash
            recovery = f"{c.recovery:.2f} s" if c.recovery is not None else "never"
            lines.append(f"  crash: server 2 killed (SIGKILL to master + {c.killed_workers} workers) at "
                         f"{c.killed_at:.1f} s, {c.in_flight_lost} requests in flight lost; restarted at "
                         f"{c.restarted_at:.1f} s, /healthz answered {c.ready_at - c.restarted_at:.2f} s later;")
            lines.append(f"  recovery: first successful request {recovery} after the restart; "
                         f"{c.refused} requests refused while it was down")
            if c.error:
                lines.append(f"  crash error: {c.error}")
        lines.append("  invariants:")
        lines += [f"    {check}" for check in self.checks]
        return "\n".join(lines)


class Knowledge:
    """What the clients have learned from the answers, shared between them and often stale (on purpose)."""

    def __init__(self, tags: dict[str, str], hot: list[str]):
        self.lock = threading.Lock()
        self.category = dict(tags)
        self.hot = hot
        self.status = dict.fromkeys(tags, "in_stock")
        self.loans: dict[int, str] = {}  # believed active: loan id -> asset tag
        self.requests: dict[int, dict] = {}  # id -> {"uid", "category", "status"}
        self.stocktakes: list[int] = []  # believed open

    def tag(self, rng: random.Random, *statuses: str, category: str | None = None,
            hot_share: float = 0.3) -> str | None:
        """A tag believed to be in one of `statuses` (any status if none given), or None."""
        with self.lock:
            pool = [t for t, s in self.status.items()
                    if (not statuses or s in statuses) and (category is None or self.category[t] == category)]
        hot = [t for t in pool if t in self.hot]
        if hot and rng.random() < hot_share:
            return rng.choice(hot)
        return rng.choice(pool) if pool else None

    def learn_loan(self, loan: dict) -> None:
        with self.lock:
            if loan["status"] == "active":
                self.loans[loan["id"]] = loan["asset_tag"]
                self.status[loan["asset_tag"]] = "on_loan"
            else:
                self.loans.pop(loan["id"], None)

    def forget_loans_of(self, tag: str) -> None:
        with self.lock:
            for loan_id in [i for i, t in self.loans.items() if t == tag]:
                del self.loans[loan_id]

    def loan(self, rng: random.Random) -> tuple[int, str] | None:
        with self.lock:
            loans = list(self.loans.items())
        hot = [item for item in loans if item[1] in self.hot]
        if hot and rng.random() < 0.4:
            return rng.choice(hot)
        return rng.choice(loans) if loans else None

    def request(self, rng: random.Random, *statuses: str) -> tuple[int, dict] | None:
        with self.lock:
            found = [(i, dict(r)) for i, r in self.requests.items() if r["status"] in statuses]
        return rng.choice(found) if found else None


class Storm:
    """The clients and what they share; `run()` sends the operations and answers a StormResult."""

    def __init__(self, plan: Plan, urls: list[str], tags: dict[str, str], hot: list[str]):
        self.plan = plan
        self.urls = urls
        self.knowledge = Knowledge(tags, hot)
        self.headers: dict[str, dict[str, str]] = {}
        self.result = StormResult(plan)
        self.lock = threading.Lock()
        self._next = 0
        self._begin = 0.0
        self.needed_from = (fleet_today() + timedelta(days=1)).isoformat()

    # -- set-up, through the API like any client ----------------------------------------------

    def log_in(self) -> None:
        """Tokens live in the database, so one log-in serves both servers."""
        for uid in IT_STAFF + EMPLOYEES:
            response = requests.post(f"{self.urls[0]}/api/v1/auth/token",
                                     json={"username": uid, "password": uid + "pw"}, timeout=REQUEST_TIMEOUT)
            response.raise_for_status()
            self.headers[uid] = {"Authorization": f"Bearer {response.json()['token']}"}

    def start_stocktakes(self) -> None:
        for code in CENTERS:
            response = requests.post(f"{self.urls[0]}/api/v1/stocktakes", json={"center": code},
                                     headers=self.headers["it1"], timeout=REQUEST_TIMEOUT)
            response.raise_for_status()
            self.knowledge.stocktakes.append(response.json()["id"])

    # -- running ------------------------------------------------------------------------------

    def take_ticket(self) -> bool:
        """One more operation to send, or False when all have been sent."""
        with self.lock:
            if self._next >= self.plan.operations:
                return False
            self._next += 1
            return True

    def record(self, outcome: Outcome, failure: str | None = None) -> None:
        with self.lock:
            self.result.outcomes.append(outcome)
            if failure:
                self.result.server_errors.append(failure)

    def now(self) -> float:
        return time.monotonic() - self._begin

    def run(self, victim: GunicornServer | None = None) -> StormResult:
        """Send the operations from `plan.clients` threads; with a victim, kill and restart it meanwhile."""
        self._begin = self.result.began = time.monotonic()
        clients = [Client(self, i) for i in range(self.plan.clients)]
        threads = [threading.Thread(target=c.run, name=f"storm-client-{c.index}") for c in clients]
        if victim is not None:
            self.result.crash = CrashReport()
            threads.append(threading.Thread(target=self._crash, args=(victim,), name="storm-crash"))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.result.duration = self.now()
        if self.result.crash:
            self._measure_recovery(self.result.crash)
        return self.result

    def _crash(self, victim: GunicornServer) -> None:
        crash = self.result.crash
        while self._next < self.plan.crash_after * self.plan.operations:
            time.sleep(0.005)
        crash.killed_workers = len(victim.worker_pids())
        crash.killed_at = self.now()
        victim.kill()
        time.sleep(self.plan.down_for)
        crash.restarted_at = self.now()
        try:
            victim.start()
        except RuntimeError as exc:
            crash.error = str(exc)
        crash.ready_at = self.now()

    def _measure_recovery(self, crash: CrashReport) -> None:
        victim = len(self.urls) - 1
        mine = [o for o in self.result.outcomes if o.server == victim]
        crash.in_flight_lost = sum(1 for o in mine if o.status is None and o.sent - self._begin < crash.killed_at)
        crash.refused = sum(1 for o in mine if o.status is None) - crash.in_flight_lost
        answered = [o.done - self._begin for o in mine if o.status is not None and o.status < 300
                    and o.sent - self._begin >= crash.restarted_at]
        crash.first_success_at = min(answered) if answered else None


class Client:
    """One thread at the desk: draws operations, sends each to a server picked at random."""

    def __init__(self, storm: Storm, index: int):
        self.storm = storm
        self.index = index
        self.know = storm.knowledge
        self.rng = random.Random(storm.plan.seed * 1000 + index)
        self.http = requests.Session()
        self.operations: dict[str, Callable[[], None]] = {
            "handover": self.handover, "bulk_handover": self.bulk_handover, "return": self.return_loan,
            "status": self.status_move, "request_create": self.request_create,
            "request_decide": self.request_decide, "request_cancel": self.request_cancel,
            "request_fulfil": self.request_fulfil, "scan": self.scan, "stocktake": self.stocktake, "read": self.read,
        }
        self.kinds, self.weights = list(WEIGHTS), list(WEIGHTS.values())

    def run(self) -> None:
        try:
            while self.storm.take_ticket():
                kind = self.rng.choices(self.kinds, self.weights)[0]
                try:
                    self.operations[kind]()
                except Exception as exc:  # noqa: BLE001 - recorded and reported as a failure, the storm goes on
                    with self.storm.lock:
                        self.storm.result.client_errors.append(f"{kind}: {exc!r}")
        finally:
            self.http.close()

    def call(self, kind: str, method: str, path: str, user: str, body: dict | None = None) -> requests.Response | None:
        """One request, recorded; None when no HTTP answer came (the server is down or died meanwhile)."""
        server = self.rng.randrange(len(self.storm.urls))
        sent = time.monotonic()
        try:
            response = self.http.request(method, self.storm.urls[server] + path, json=body,
                                         headers=self.storm.headers[user], timeout=REQUEST_TIMEOUT)
        # Timeout first: a ConnectTimeout is a ConnectionError too, and a timeout is never the kill's doing.
        except requests.Timeout:
            self.storm.record(Outcome(kind, server, None, "timeout", sent, time.monotonic()))
            return None
        except requests.ConnectionError:
            self.storm.record(Outcome(kind, server, None, "connection", sent, time.monotonic()))
            return None
        except requests.exceptions.ChunkedEncodingError:  # the headers came, the body was cut short
            self.storm.record(Outcome(kind, server, None, "cut", sent, time.monotonic()))
            return None
        failure = None
        if response.status_code >= 500:
            failure = f"{kind} {method} {path} -> {response.status_code} {response.text[:300]}"
        self.storm.record(Outcome(kind, server, response.status_code, None, sent, time.monotonic()), failure)
        return response

    # -- the operations -----------------------------------------------------------------------

    def _assignee(self) -> str:
        return self.rng.choice(REFUSED) if self.rng.random() < 0.05 else self.rng.choice(ELIGIBLE)

    def _any_tag(self) -> str:
        """Mostly a tag believed in stock; often a hot one whatever its state (collisions)."""
        if self.rng.random() < 0.4:
            return self.rng.choice(self.know.hot)
        return self.know.tag(self.rng, "in_stock") or self.rng.choice(self.know.hot)

    def handover(self) -> None:
        response = self.call("handover", "POST", "/api/v1/loans", self.rng.choice(IT_STAFF),
                             {"asset_tag": self._any_tag(), "assignee": self._assignee()})
        if response is not None and response.status_code == 201:
            self.know.learn_loan(response.json())

    def bulk_handover(self) -> None:
        """2 to 4 devices at once; sometimes one row fulfils a request."""
        tags = list(dict.fromkeys(self._any_tag() for _ in range(self.rng.randint(2, 4))))
        loans = [{"asset_tag": t, "assignee": self._assignee()} for t in tags]
        picked = self.know.request(self.rng, "approved", "pending") if self.rng.random() < 0.3 else None
        if picked is not None:
            request_id, req = picked
            tag = self.know.tag(self.rng, "in_stock", category=req["category"])
            if tag is not None and tag not in tags:
                loans.insert(self.rng.randrange(len(loans) + 1),
                             {"asset_tag": tag, "assignee": req["uid"], "request_id": request_id})
        response = self.call("bulk_handover", "POST", "/api/v1/loans/bulk", self.rng.choice(IT_STAFF),
                             {"loans": loans, "note": "storm batch"})
        if response is not None and response.status_code == 201:
            for loan in response.json()["loans"]:
                self.know.learn_loan(loan)
                if loan["request_id"] is not None:
                    with self.know.lock:
                        self.know.requests[loan["request_id"]]["status"] = "fulfilled"

    def return_loan(self) -> None:
        picked = self.know.loan(self.rng)
        if picked is None:
            return self.read()
        loan_id, tag = picked
        category = self.know.category[tag]
        roll = self.rng.random()
        condition, wiped = ("damaged", True) if roll < 0.15 else ("good", roll > 0.35)
        body = {"condition": condition, "data_wiped": wiped,
                "accessories_returned": ACCESSORIES[category][: self.rng.randint(0, len(ACCESSORIES[category]))]}
        if condition == "damaged":
            body["damage_notes"] = "화면 깨짐 cracked screen"
        response = self.call("return", "POST", f"/api/v1/loans/{loan_id}/return", self.rng.choice(IT_STAFF), body)
        if response is None:
            return None
        if response.status_code in (200, 404, 409):
            with self.know.lock:
                self.know.loans.pop(loan_id, None)
                if response.status_code == 200:
                    self.know.status[tag] = ("in_repair" if condition == "damaged" else
                                             "quarantine" if category == "laptop" and not wiped else "in_stock")
        return None

    def status_move(self) -> None:
        rng = self.rng
        # Mostly bring back what returns sent away; sometimes report an asset lost.
        tag = self.know.tag(rng, "quarantine", "in_repair", "lost") if rng.random() < 0.7 else None
        tag = tag or (rng.choice(self.know.hot) if rng.random() < 0.4 else rng.choice(list(self.know.category)))
        current = self.know.status[tag]
        body = {"reason": "storm"}
        if current == "quarantine":
            body.update(status="in_stock", wipe_method="NIST 800-88 purge")
        elif current == "in_repair":
            body["status"] = "retired" if rng.random() < 0.03 else "in_stock"
        elif current in ("lost", "retired"):
            body["status"] = "in_stock"
        else:  # in_stock or on_loan: reported lost
            body["status"] = "lost"
        response = self.call("status", "POST", f"/api/v1/assets/{tag}/status", rng.choice(IT_STAFF), body)
        if response is not None and response.status_code == 200:
            with self.know.lock:
                self.know.status[tag] = response.json()["status"]
            if current == "on_loan":
                self.know.forget_loans_of(tag)

    def request_create(self) -> None:
        uid = self.rng.choice(EMPLOYEES)
        category = "laptop" if self.rng.random() < 0.75 else "monitor"
        body = {"category": category, "reason": self.rng.choice(REASONS), "needed_from": self.storm.needed_from,
                "center": self.rng.choice(list(CENTERS)), "note": "임신 12주 (storm)"}
        response = self.call("request_create", "POST", "/api/v1/requests", uid, body)
        if response is not None and response.status_code == 201:
            with self.know.lock:
                self.know.requests[response.json()["id"]] = {"uid": uid, "category": category, "status": "pending"}

    def _decided(self, request_id: int, response: requests.Response | None) -> None:
        if response is not None and response.status_code in (200, 409):
            status = response.json().get("status") if response.status_code == 200 else "closed"
            with self.know.lock:
                self.know.requests[request_id]["status"] = status

    def request_decide(self) -> None:
        picked = self.know.request(self.rng, "pending")
        if picked is None:
            return self.request_create()
        request_id, _ = picked
        action = "reject" if self.rng.random() < 0.2 else "approve"
        self._decided(request_id, self.call("request_decide", "POST", f"/api/v1/requests/{request_id}/{action}",
                                            self.rng.choice(IT_STAFF), {"note": "storm"}))
        return None

    def request_cancel(self) -> None:
        picked = self.know.request(self.rng, "pending", "approved")
        if picked is None:
            return self.request_create()
        request_id, req = picked
        user = req["uid"] if self.rng.random() < 0.5 else self.rng.choice(IT_STAFF)
        self._decided(request_id, self.call("request_cancel", "POST", f"/api/v1/requests/{request_id}/cancel", user,
                                            {"note": "storm"}))
        return None

    def request_fulfil(self) -> None:
        picked = self.know.request(self.rng, "approved", "pending")
        if picked is None:
            return self.request_create()
        request_id, req = picked
        tag = self.know.tag(self.rng, "in_stock", category=req["category"]) or self.rng.choice(self.know.hot)
        response = self.call("request_fulfil", "POST", "/api/v1/loans", self.rng.choice(IT_STAFF),
                             {"asset_tag": tag, "assignee": req["uid"], "request_id": request_id})
        if response is not None and response.status_code == 201:
            self.know.learn_loan(response.json())
            with self.know.lock:
                self.know.requests[request_id]["status"] = "fulfilled"
        return None

    def scan(self) -> None:
        with self.know.lock:
            open_ = list(self.know.stocktakes)
        if not open_:
            return self.stocktake()
        stocktake = self.rng.choice(open_)
        roll = self.rng.random()
        if roll < 0.1:
            tag = f"UNKNOWN-{self.rng.randint(1, 20)}"
        else:
            tag = self.rng.choice(list(self.know.category))
            tag = f"  {tag.lower()}\n" if roll > 0.85 else tag  # as a scanner types it
        response = self.call("scan", "POST", f"/api/v1/stocktakes/{stocktake}/scans", self.rng.choice(IT_STAFF),
                             {"asset_tag": tag})
        if response is not None and response.status_code == 409:
            with self.know.lock:
                if stocktake in self.know.stocktakes:
                    self.know.stocktakes.remove(stocktake)
        return None

    def stocktake(self) -> None:
        with self.know.lock:
            open_ = list(self.know.stocktakes)
        if len(open_) >= 2 and self.rng.random() < 0.6:
            response = self.call("stocktake", "POST", f"/api/v1/stocktakes/{open_[0]}/close",
                                 self.rng.choice(IT_STAFF))
            if response is not None and response.status_code in (200, 409):
                with self.know.lock:
                    if open_[0] in self.know.stocktakes:
                        self.know.stocktakes.remove(open_[0])
            return
        response = self.call("stocktake", "POST", "/api/v1/stocktakes", self.rng.choice(IT_STAFF),
                             {"center": self.rng.choice(list(CENTERS))})
        if response is not None and response.status_code == 201:
            with self.know.lock:
                self.know.stocktakes.append(response.json()["id"])

    def read(self) -> None:
        """Refresh what the clients know: the open loans, the assets' statuses or the requests."""
        what = self.rng.choice(("loans", "assets", "requests"))
        path = {"loans": "/api/v1/loans?active=true&limit=500", "assets": "/api/v1/assets?limit=500",
                "requests": "/api/v1/requests?limit=500"}[what]
        response = self.call("read", "GET", path, self.rng.choice(IT_STAFF))
        if response is None or response.status_code != 200:
            return
        items = response.json()["items"]
        with self.know.lock:
            if what == "loans":
                self.know.loans = {loan["id"]: loan["asset_tag"] for loan in items}
            elif what == "assets":
                self.know.status.update({a["asset_tag"]: a["status"] for a in items if a["asset_tag"] in
                                         self.know.status})
            else:
                for req in items:
                    if req["id"] in self.know.requests:
                        self.know.requests[req["id"]]["status"] = req["status"]


# -- the whole run ----------------------------------------------------------------------------


def _tracebacks(log: str) -> list[str]:
    """The tracebacks in a server's log, each cut to the last frame in Fleet's code and the exception."""
    found = []
    for chunk in log.split("Traceback (most recent call last):")[1:]:
        lines = [line for line in chunk.splitlines() if line.strip()]
        end = next((i for i, line in enumerate(lines) if not line.startswith(" ")), len(lines) - 1)
        ours = [i for i in range(end) if lines[i].lstrip().startswith("File") and "/fleet/" in lines[i]]
        frame = lines[ours[-1]: ours[-1] + 2] if ours else []
        found.append("\n".join([*frame, lines[end]]))
    return found


def _app(database_url: str):
    return create_app({"FLEET_DATABASE_URL": database_url, "FLEET_SECRET_KEY": SECRET, "FLEET_LDAP_URI": ""})


def prepare_database(database_url: str, plan: Plan) -> tuple[dict[str, str], list[str]]:
    """Migrate an empty database and register the centers and devices (through the services, so with
    their events); answers {asset tag: category} and the hot tags."""
    import flask_migrate

    from fleet.services.assets import create_asset
    from fleet.services.auth import Principal
    from fleet.services.centers import create_center

    app = _app(database_url)
    actor = Principal("it1", "storm", frozenset({"it"}))
    tags: dict[str, str] = {}
    with app.app_context():
        flask_migrate.upgrade()
        for code, name in CENTERS.items():
            create_center(actor, code=code, name=name, kind="smart_work_center", seats=20)
        centers = list(CENTERS)
        for category, count, prefix in (("laptop", plan.laptops, "ST-NB"), ("monitor", plan.monitors, "ST-MN")):
            for i in range(1, count + 1):
                tag = f"{prefix}-{i:03d}"
                create_asset(actor, asset_tag=tag, serial_number=f"SN-{tag}", category=category, manufacturer="LG",
                             model="gram 16" if category == "laptop" else "27UP850", center=centers[i % 2],
                             accessories=ACCESSORIES[category])
                tags[tag] = category
        db.session.commit()
        db.engine.dispose()
    return tags, [t for t in tags if tags[t] == "laptop"][: plan.hot]


def check(database_url: str) -> list[Check]:
    """The invariants, read from the database after the storm."""
    app = _app(database_url)
    with app.app_context():
        try:
            return check_database()
        finally:
            db.engine.dispose()


def run_storm(database_url: str, ldap_settings: dict[str, str], plan: Plan) -> StormResult:
    """Prepare the database, start two gunicorn servers on it, run the storm, stop them, check."""
    tags, hot = prepare_database(database_url, plan)
    settings = {**ldap_settings, "FLEET_DATABASE_URL": database_url, "FLEET_SECRET_KEY": SECRET}
    servers = [GunicornServer(settings, workers=2) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        storm = Storm(plan, [s.url for s in servers], tags, hot)
        storm.log_in()
        storm.start_stocktakes()
        result = storm.run(victim=servers[1] if plan.crash else None)
        result.tracebacks = [tb for server in servers for tb in _tracebacks(server.log())]
    finally:
        for server in servers:
            server.stop()
    result.checks = check(database_url)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hardening.storm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=Plan.clients)
    parser.add_argument("--operations", type=int, default=Plan.operations)
    parser.add_argument("--crash", action="store_true", help="kill -9 the second server midway and restart it")
    parser.add_argument("--seed", type=int, default=Plan.seed)
    args = parser.parse_args(argv)
    plan = Plan(clients=args.clients, operations=args.operations, crash=args.crash, seed=args.seed)

    from tests.support.postgres import PostgresCluster
    from tests.support.slapd import directory_settings, start_test_directory

    started = time.monotonic()
    cluster = PostgresCluster().start()
    directory = None
    try:
        directory = start_test_directory()
        result = run_storm(cluster.create_database("fleet_storm"), directory_settings(directory), plan)
    finally:
        if directory is not None:
            directory.stop()
        cluster.stop()
    print(result.summary())
    failures = result.failures()
    print(f"{'FAILED' if failures else 'passed'} in {time.monotonic() - started:.1f} s overall")
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
