"""`python -m bench --only recheck`: what the actor re-check (issue 25) costs a hand-over.

Three settings of `FLEET_ROLE_RECHECK_SECONDS`: 60 (the default), 0 (every request asks: the worst case) and 10⁹
(off: each worker process asks the directory once about the caller, and keeps the answer).

1. **In process** (Flask's test client, the real API, the bench slapd with 10,000 people): hand-over + return
   cycles in rounds, the per-process cache's bound switched between them (every order of the three in turn,
   `ORDERS_IN_PROCESS`). The LDAP requests of each `POST /api/v1/loans` and return, counted as the `ldap` part
   and the tests count them (the requests python-ldap sends, `scale.ldap_requests`; after warm-up cycles, as a
   running worker has its connection): at 0 s the giver's one search, then the assignee's search and compare;
   within the bound only the assignee's two. Target: ≤ 3. And the CPU per request each setting adds over off
   (the median of the rounds' differences).
2. **The hand-over ratio**, computed as the `handover` part computes it (its servers, cycles and `measured`,
   bench/handover.py): Fleet servers under gunicorn (2 workers each), one per setting and off once more, on one
   database, each with assets of its own, and the baseline app. Each round measures all five (a quarter of
   `--seconds` each, after the `handover` part's warm-up) in an order that changes from round to round
   (`ORDERS`: over the 10 rounds, 5 with `--quick`, each comes once in each place), so that the machine's load
   falls on all of them alike; a round's ratio is Fleet's requests/s ÷ that round's baseline's, and each figure
   is the median of the rounds. The drop is off − on; target ≤ 0.02 (with the default 60). The two off servers'
   difference is the measurement's own spread: a drop below it is not resolved. The ratio is bound by the
   workers' CPU, so the drop that the CPU added in process implies, off ratio × (1 − CPU off ÷ (CPU off +
   added)), is recorded too: on a busy machine it is the steadier of the two.

SQLite always; PostgreSQL as well, except with `--quick`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from bench import scale
from bench.handover import baseline_cycle, baseline_server, fleet_cycle, fleet_server, measured

OFF = "1000000000"  # 10⁹ s, about 32 years: each worker process asks once, then keeps the answer
SETTINGS = (("on", "60"), ("off", OFF), ("every", "0"))  # name, FLEET_ROLE_RECHECK_SECONDS
# The servers of the ratio's rounds: the three settings and off once more, whose difference from off is the
# measurement's own spread (an A/A comparison): a drop smaller than it is not resolved.
SERVERS = (*SETTINGS, ("again", OFF))


def balanced_orders(n: int) -> tuple[tuple[int, ...], ...]:
    """Orders of n runs, one per round (a Williams design): over the rounds each run comes once in each place and
    right after each other run once (n even: n rounds; odd: 2n), so that neither the machine's drift nor what one
    run leaves behind (a database's autovacuum, a warm cache) falls on one of them."""
    first = [0] + [(k + 1) // 2 if k % 2 else n - k // 2 for k in range(1, n)]
    rows = [tuple((v + i) % n for v in first) for i in range(n)]
    return tuple(rows if n % 2 == 0 else rows + [row[::-1] for row in rows])


ORDERS = balanced_orders(len(SERVERS) + 1)  # the servers, then the baseline
ORDERS_IN_PROCESS = balanced_orders(len(SETTINGS))
SETTINGS_BY_NAME = dict(SETTINGS)
SHORT = {"on": "60 s", "every": "0 s", "off": "off"}


def in_process(record, name: str, url: str, ldap: dict, rounds: int, cycles: int = 100) -> dict[str, float]:
    """LDAP requests and CPU per request of hand-over + return cycles in one process, the bound switched between
    rounds; answers the CPU each setting adds per request over off (the median of the rounds' differences)."""
    from fleet.extensions import db

    bounds = {key: float(bound) for key, bound in SETTINGS}
    scale.prepare_fleet_database(url, ldap, assets=4)
    app = scale.make_app(url, ldap)
    checks = app.extensions["fleet_actor_checks"]  # the per-process cache; its bound switched between rounds
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "u00000", "password": "pw"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    counter = iter(range(10**9))
    ops: dict[str, list[tuple[int, int]]] = {key: [] for key in bounds}
    cpu: dict[str, list[float]] = {key: [] for key in bounds}

    def cycle(sent: list[str]) -> tuple[int, int]:
        i = next(counter)
        before = len(sent)
        loan = client.post("/api/v1/loans", headers=headers,
                           json={"asset_tag": f"BN-{i % 4:05d}", "assignee": f"u{(i * 37 + 1) % 10000:05d}"})
        assert loan.status_code == 201, loan.text
        middle = len(sent)
        back = client.post(f"/api/v1/loans/{loan.get_json()['id']}/return", headers=headers,
                           json={"condition": "good", "accessories_returned": [], "data_wiped": True})
        assert back.status_code == 200, back.text
        return middle - before, len(sent) - middle

    with scale.ldap_requests() as sent:
        for _ in range(50):  # warm-up: the thread's connection opened and bound, as a running worker has it
            cycle(sent)
        for r in range(rounds):
            for key in (list(bounds)[k] for k in ORDERS_IN_PROCESS[r % len(ORDERS_IN_PROCESS)]):
                checks.bound = bounds[key]
                started = time.process_time()
                ops[key] += [cycle(sent) for _ in range(cycles)]
                cpu[key].append((time.process_time() - started) / cycles / 2 * 1000)
    with app.app_context():
        db.engine.dispose()
    if name == "sqlite":  # the directory's work is the same on either database
        for key in ("every", "on"):
            bound = SETTINGS_BY_NAME[key]
            record(f"ldap_ops_per_handover_recheck_{bound}", max(handover for handover, _ in ops[key]),
                   f"LDAP requests per hand-over, re-check {bound} s (target <= 3)", "")
            record(f"ldap_ops_per_return_recheck_{bound}", max(back for _, back in ops[key]),
                   f"LDAP requests per return, re-check {bound} s", "")
    added = {key: statistics.median(c - off for c, off in zip(cpu[key], cpu["off"], strict=True))
             for key in ("on", "every")}
    for key in ("on", "every"):
        record(f"recheck_cpu_added_ms_{key}_{name}", round(added[key], 3),
               f"[{name}] CPU/request added in process, {SHORT[key]} vs off", "ms")
    return added


def ratio_drop(record, name: str, url: str, ldap: dict, workers: int, seconds: float, rounds: int,
               added: dict[str, float]) -> None:
    """The hand-over ratio with the re-check at 60 s, off and at 0 s, in alternating rounds on one database;
    `added`: the CPU per request each setting adds over off (`in_process`)."""
    assets = workers * 4
    scale.prepare_fleet_database(url, ldap, assets=assets * len(SERVERS))
    servers = {key: fleet_server(url, ldap, FLEET_ROLE_RECHECK_SECONDS=bound) for key, bound in SERVERS}
    servers["baseline"] = baseline_server(url, assets)
    try:
        for server in servers.values():
            server.start()
        cycles = {key: fleet_cycle(servers[key], workers, first_asset=n * assets)
                  for n, (key, _) in enumerate(SERVERS)}
        cycles["baseline"] = baseline_cycle(servers["baseline"], workers)
        rps: dict[str, list[float]] = {key: [] for key in cycles}
        cpu: dict[str, list[float]] = {key: [] for key in cycles}
        errors = dict.fromkeys(cycles, 0)
        keys = list(cycles)  # on, off, every, again, baseline
        for r in range(rounds):
            for key in (keys[k] for k in ORDERS[r % len(ORDERS)]):
                got, _, failed, ms = measured(cycles[key], servers[key], workers, seconds)
                rps[key].append(got)
                cpu[key].append(ms)
                errors[key] += failed
            print(f"    [{name}] round {r + 1}/{rounds}: " + ", ".join(
                f"{key} {rps[key][-1] / rps['baseline'][-1]:.3f}" for key, _ in SERVERS), flush=True)
    finally:
        for server in servers.values():
            server.stop()
    ratio = {key: statistics.median(got / base for got, base in zip(rps[key], rps["baseline"], strict=True))
             for key, _ in SERVERS}
    median_cpu = {key: statistics.median(cpu[key]) for key in cycles}
    label = {"on": "60 s (default)", "every": "0 s (every request)", "off": "off"}
    for key in ("on", "every", "off"):
        record(f"recheck_ratio_{key}_{name}", round(ratio[key], 3), f"[{name}] hand-over ratio, re-check {label[key]}",
               "")
    for key, suffix, target in (("on", "", " (target <= 0.02)"), ("every", "_every", "")):
        record(f"recheck_ratio_drop{suffix}_{name}", round(ratio["off"] - ratio[key], 3),
               f"[{name}] ratio drop, off - {SHORT[key]}{target}", "")
    for key in ("on", "every", "off"):
        record(f"recheck_cpu_ms_{key}_{name}", round(median_cpu[key], 2),
               f"[{name}] workers' CPU/request, re-check {label[key]}", "ms")
    record(f"recheck_cpu_ms_baseline_{name}", round(median_cpu["baseline"], 2),
           f"[{name}] baseline workers' CPU/request", "ms")
    for key, suffix in (("on", ""), ("every", "_every")):
        # The ratio is bound by the workers' CPU: off's, plus what the setting adds to a request in process.
        implied = ratio["off"] * (1 - median_cpu["off"] / (median_cpu["off"] + added[key]))
        record(f"recheck_cpu_drop{suffix}_{name}", round(implied, 3),
               f"[{name}] drop the added CPU implies, off - {SHORT[key]}", "")
    record(f"recheck_ratio_spread_{name}", round(abs(ratio["off"] - ratio["again"]), 3),
           f"[{name}] spread: |off - off again| (resolves drops above it)", "")
    record(f"recheck_errors_{name}", sum(errors.values()), f"[{name}] failed cycles, all settings", "")


def recheck_cost(record, ldap: dict, workers: int, seconds: float, quick: bool, cluster_of) -> None:
    """Both parts, on SQLite and (but with `quick`) PostgreSQL; `cluster_of()` answers the bench's PostgreSQL
    cluster (started on first use)."""
    rounds = len(SERVERS) + 1 if quick else len(ORDERS)  # quick: each in each place once
    in_process_rounds = len(ORDERS_IN_PROCESS) * (1 if quick else 2)
    for name in ("sqlite",) if quick else ("sqlite", "postgresql"):
        if name == "sqlite":
            tmp = tempfile.mkdtemp(prefix="fleet-bench-recheck-")
            urls = [f"sqlite:///{tmp}/{db}/fleet.sqlite" for db in ("in-process", "servers")]
            for url in urls:
                os.makedirs(url.removeprefix("sqlite:///").rpartition("/")[0])
        else:
            urls = [cluster_of().create_database(f"fleet_bench_recheck_{db}") for db in ("in_process", "servers")]
        added = in_process(record, name, urls[0], ldap, in_process_rounds, cycles=100 if quick else 150)
        ratio_drop(record, name, urls[1], ldap, workers, seconds, rounds, added)
