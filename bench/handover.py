"""The hand-over ratio: hand-over + return cycles through gunicorn against the bare baseline endpoint.

`python -m bench --only handover` records it per database (`handover_throughput`); `--only recheck`
(bench/recheck.py) measures it with the actor re-check on and off from the same pieces: the servers, the cycles
and `measured`.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

from bench import scale
from tests.support.server import GunicornServer

Cycle = Callable[[int, int], list[float]]


def drive(cycle: Cycle, workers: int, seconds: float, max_cycles: int) -> tuple[float, list[float], int]:
    """Run `cycle(worker, i)` (it returns its request latencies) in threads, bounded by time and count."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    per_worker = max_cycles // workers

    def work(worker: int) -> tuple[list[float], int]:
        mine, failed = [], 0
        for i in range(per_worker):
            if time.monotonic() > deadline:
                break
            try:
                mine += cycle(worker, i)
            except (AssertionError, requests.RequestException):
                failed += 1
        return mine, failed

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        for mine, failed in pool.map(work, range(workers)):
            latencies += mine
            errors += failed
    elapsed = time.monotonic() - started
    return len(latencies) / elapsed, latencies, errors


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far, from /proc (Linux)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _workers(server: GunicornServer) -> list[int]:
    """The pids of a gunicorn master's workers."""
    master = server.process.pid
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rpartition(")")[2].split()[1]) == master:
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def measured(cycle: Cycle, server: GunicornServer, workers: int,
             seconds: float) -> tuple[float, list[float], int, float]:
    """Warm up, then drive; also answers the workers' CPU milliseconds per request."""
    drive(cycle, workers, 2, workers * 4)
    pids = _workers(server)
    cpu = _cpu_seconds(pids)
    rps, latencies, errors = drive(cycle, workers, seconds, 100_000)
    cpu = _cpu_seconds(pids) - cpu
    return rps, latencies, errors, cpu / max(1, len(latencies)) * 1000


def fleet_server(url: str, ldap: dict, **settings: str) -> GunicornServer:
    """Fleet under gunicorn (2 workers, not started yet) on a database `scale.prepare_fleet_database` filled."""
    env = {"FLEET_DATABASE_URL": url, "FLEET_SECRET_KEY": "bench", **ldap, "FLEET_LDAP_TIMEOUT": "5", **settings}
    return GunicornServer(env, workers=2)


def _bearer(server: GunicornServer) -> dict:
    """The headers of IT staff u00000's API token (a log-in through the server)."""
    token = requests.post(f"{server.url}/api/v1/auth/token", json={"username": "u00000", "password": "pw"},
                          timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def fleet_cycle(server: GunicornServer, workers: int, first_asset: int = 0) -> Cycle:
    """A hand-over and its return through the API, as IT staff u00000 (logged in here); each client thread
    takes turns on 4 assets of its own, from BN-<first_asset> on."""
    headers = _bearer(server)
    sessions = [requests.Session() for _ in range(workers)]

    def cycle(worker: int, i: int) -> list[float]:
        s = sessions[worker]
        tag = f"BN-{first_asset + worker * 4 + i % 4:05d}"
        t0 = time.perf_counter()
        assignee = f"u{(worker * 97 + i) % 10000:05d}"
        r = s.post(f"{server.url}/api/v1/loans", json={"asset_tag": tag, "assignee": assignee},
                   headers=headers, timeout=30)
        t1 = time.perf_counter()
        assert r.status_code == 201, r.text
        r2 = s.post(f"{server.url}/api/v1/loans/{r.json()['id']}/return", headers=headers, timeout=30,
                    json={"condition": "good", "accessories_returned": [], "data_wiped": True})
        t2 = time.perf_counter()
        assert r2.status_code == 200, r2.text
        return [t1 - t0, t2 - t1]

    return cycle


def session_cycle(server: GunicornServer, workers: int) -> Cycle:
    """What every API request of Fleet's pays before its own work, as a cycle of two requests: GET
    /api/v1/auth/session as IT staff u00000's bearer (the session look-up, Fleet's hooks and decorators, a small
    JSON answer; no directory, no write)."""
    headers = _bearer(server)
    sessions = [requests.Session() for _ in range(workers)]

    def cycle(worker: int, i: int) -> list[float]:
        took = []
        for _ in range(2):
            t0 = time.perf_counter()
            r = sessions[worker].get(f"{server.url}/api/v1/auth/session", headers=headers, timeout=30)
            took.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
        return took

    return cycle


def baseline_server(url: str, assets: int) -> GunicornServer:
    """The bench-only baseline app (bench/baseline_app.py, not started yet), its schema made beside Fleet's."""
    from bench.baseline_app import create_schema

    baseline_url = scale.baseline_url(url)
    create_schema(baseline_url, assets)
    return GunicornServer({"BASELINE_DATABASE_URL": baseline_url}, workers=2, app="bench.baseline_app:app")


def baseline_cycle(server: GunicornServer, workers: int) -> Cycle:
    sessions = [requests.Session() for _ in range(workers)]

    def cycle(worker: int, i: int) -> list[float]:
        s = sessions[worker]
        asset = worker * 4 + i % 4 + 1
        t0 = time.perf_counter()
        r = s.post(f"{server.url}/handover", json={"asset_id": asset, "assignee": "u00001"}, timeout=30)
        t1 = time.perf_counter()
        assert r.status_code == 201, r.text
        r2 = s.post(f"{server.url}/loans/{r.json()['id']}/return", json={"asset_id": asset}, timeout=30)
        t2 = time.perf_counter()
        assert r2.status_code == 200, r2.text
        return [t1 - t0, t2 - t1]

    return cycle


def handover_throughput(record, name: str, url: str, ldap: dict, workers: int, seconds: float) -> None:
    """Hand-over + return cycles through the real API against the bench-only baseline app.

    Both are served at once and measured in turns: `seconds` of each in 4 rounds (5 when `seconds` is 10 or more),
    the baseline first in one round and Fleet first in the next. Each round's ratio is taken under the load of that
    moment, and the figure is the median of the rounds': two long runs one after the other compare the machine as
    much as the code on a shared machine (a neighbour's burst during one of them moved the ratio by a tenth)."""
    assets = workers * 4
    scale.prepare_fleet_database(url, ldap, assets=assets)
    server = fleet_server(url, ldap).start()
    base = None
    try:
        base = baseline_server(url, assets).start()
        fleet, baseline = fleet_cycle(server, workers), baseline_cycle(base, workers)
        rounds = 5 if seconds >= 10 else 4
        runs: dict[str, list[tuple[float, list[float], int, float]]] = {"fleet": [], "baseline": []}
        for r in range(rounds):
            order = [("baseline", baseline, base), ("fleet", fleet, server)]
            for side, cycle, serving in (order if r % 2 == 0 else order[::-1]):
                runs[side].append(measured(cycle, serving, workers, seconds / rounds))
    finally:
        server.stop()
        if base is not None:
            base.stop()
    ratios = [f[0] / b[0] for f, b in zip(runs["fleet"], runs["baseline"], strict=True)]
    print(f"  [{name}] hand-over ratio by round: {', '.join(f'{ratio:.3f}' for ratio in ratios)}", flush=True)

    def median(side: str, index: int) -> float:
        return statistics.median(run[index] for run in runs[side])

    fleet_lat = [t for run in runs["fleet"] for t in run[1]]
    base_lat = [t for run in runs["baseline"] for t in run[1]]
    record(f"handover_rps_{name}", round(median("fleet", 0), 1), f"[{name}] Fleet hand-over+return, requests/s "
           "(median of the rounds)", "req/s")
    record(f"handover_p50_ms_{name}", round(scale.percentile(fleet_lat, 50) * 1000, 1), f"[{name}] Fleet p50", "ms")
    record(f"handover_p99_ms_{name}", round(scale.percentile(fleet_lat, 99) * 1000, 1), f"[{name}] Fleet p99", "ms")
    record(f"handover_errors_{name}", sum(run[2] for run in runs["fleet"]), f"[{name}] Fleet failed cycles", "")
    record(f"handover_cpu_ms_{name}", round(median("fleet", 3), 2), f"[{name}] Fleet workers' CPU per request", "ms")
    record(f"baseline_rps_{name}", round(median("baseline", 0), 1),
           f"[{name}] baseline (UPDATE + 2 INSERTs), requests/s", "req/s")
    record(f"baseline_p50_ms_{name}", round(scale.percentile(base_lat, 50) * 1000, 1), f"[{name}] baseline p50", "ms")
    record(f"baseline_p99_ms_{name}", round(scale.percentile(base_lat, 99) * 1000, 1), f"[{name}] baseline p99", "ms")
    record(f"baseline_cpu_ms_{name}", round(median("baseline", 3), 2), f"[{name}] baseline workers' CPU per request",
           "ms")
    record(f"handover_ratio_spread_{name}", round(max(ratios) - min(ratios), 3),
           f"[{name}] the rounds' ratios, highest − lowest", "")
    record(f"handover_ratio_{name}", round(statistics.median(ratios), 3),
           f"[{name}] handover_ratio, median of {len(ratios)} rounds (target >= 0.5)", "")
