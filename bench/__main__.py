"""`python -m bench [--quick]`: Fleet's speed and scale, each figure beside a baseline from the same run.

Sets up its own slapd (10,000 people), SQLite and PostgreSQL databases and gunicorn
servers on loopback, prints a table, and ends with one JSON line of every figure.
Every load it sends is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench import directory as bench_directory
from bench import mail, scale
from tests.support.clock import fleet_today
from tests.support.postgres import PostgresCluster
from tests.support.server import GunicornServer

ROWS: list[tuple[str, str, str]] = []
FIGURES: dict[str, float | int | str | bool] = {}


def record(key: str, value, label: str, unit: str = "") -> None:
    FIGURES[key] = value
    shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)
    ROWS.append((label, shown, unit))
    print(f"  {label:<58} {shown:>12} {unit}", flush=True)


def load_average() -> str:
    """The machine's load (1, 5, 15 minutes), as `uptime` shows it: figures from a busy machine read differently."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def drive(cycle, workers: int, seconds: float, max_cycles: int) -> tuple[float, list[float], int]:
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


def measured(cycle, server: GunicornServer, args) -> tuple[float, list[float], int, float]:
    """Warm up, then drive; also answers the workers' CPU milliseconds per request."""
    drive(cycle, args.workers, 2, args.workers * 4)
    workers = _workers(server)
    cpu = _cpu_seconds(workers)
    rps, latencies, errors = drive(cycle, args.workers, args.seconds, 100_000)
    cpu = _cpu_seconds(workers) - cpu
    return rps, latencies, errors, cpu / max(1, len(latencies)) * 1000


def handover_throughput(name: str, url: str, ldap: dict, args) -> None:
    """Hand-over + return cycles through the real API against the bench-only baseline app."""
    from bench.baseline_app import create_schema

    assets = args.workers * 4
    scale.prepare_fleet_database(url, ldap, assets=assets)
    env = {"FLEET_DATABASE_URL": url, "FLEET_SECRET_KEY": "bench", **ldap, "FLEET_LDAP_TIMEOUT": "5"}
    server = GunicornServer(env, workers=2).start()
    try:
        token = requests.post(f"{server.url}/api/v1/auth/token", json={"username": "u00000", "password": "pw"},
                              timeout=10).json()["token"]
        session_headers = {"Authorization": f"Bearer {token}"}
        sessions = [requests.Session() for _ in range(args.workers)]

        def fleet_cycle(worker: int, i: int) -> list[float]:
            s = sessions[worker]
            tag = f"BN-{worker * 4 + i % 4:05d}"
            t0 = time.perf_counter()
            assignee = f"u{(worker * 97 + i) % 10000:05d}"
            r = s.post(f"{server.url}/api/v1/loans", json={"asset_tag": tag, "assignee": assignee},
                       headers=session_headers, timeout=30)
            t1 = time.perf_counter()
            assert r.status_code == 201, r.text
            r2 = s.post(f"{server.url}/api/v1/loans/{r.json()['id']}/return", headers=session_headers, timeout=30,
                        json={"condition": "good", "accessories_returned": [], "data_wiped": True})
            t2 = time.perf_counter()
            assert r2.status_code == 200, r2.text
            return [t1 - t0, t2 - t1]

        fleet_rps, fleet_lat, fleet_err, fleet_cpu = measured(fleet_cycle, server, args)
    finally:
        server.stop()

    baseline_url = scale.baseline_url(url)
    create_schema(baseline_url, assets)
    base = GunicornServer({"BASELINE_DATABASE_URL": baseline_url}, workers=2, app="bench.baseline_app:app").start()
    try:
        sessions = [requests.Session() for _ in range(args.workers)]

        def base_cycle(worker: int, i: int) -> list[float]:
            s = sessions[worker]
            asset = worker * 4 + i % 4 + 1
            t0 = time.perf_counter()
            r = s.post(f"{base.url}/handover", json={"asset_id": asset, "assignee": "u00001"}, timeout=30)
            t1 = time.perf_counter()
            assert r.status_code == 201, r.text
            r2 = s.post(f"{base.url}/loans/{r.json()['id']}/return", json={"asset_id": asset}, timeout=30)
            t2 = time.perf_counter()
            assert r2.status_code == 200, r2.text
            return [t1 - t0, t2 - t1]

        base_rps, base_lat, base_err, base_cpu = measured(base_cycle, base, args)
    finally:
        base.stop()
    record(f"handover_rps_{name}", round(fleet_rps, 1), f"[{name}] Fleet hand-over+return, requests/s", "req/s")
    record(f"handover_p50_ms_{name}", round(scale.percentile(fleet_lat, 50) * 1000, 1), f"[{name}] Fleet p50", "ms")
    record(f"handover_p99_ms_{name}", round(scale.percentile(fleet_lat, 99) * 1000, 1), f"[{name}] Fleet p99", "ms")
    record(f"handover_errors_{name}", fleet_err, f"[{name}] Fleet failed cycles", "")
    record(f"handover_cpu_ms_{name}", round(fleet_cpu, 2), f"[{name}] Fleet workers' CPU per request", "ms")
    record(f"baseline_rps_{name}", round(base_rps, 1), f"[{name}] baseline (UPDATE + 2 INSERTs), requests/s", "req/s")
    record(f"baseline_p50_ms_{name}", round(scale.percentile(base_lat, 50) * 1000, 1), f"[{name}] baseline p50", "ms")
    record(f"baseline_p99_ms_{name}", round(scale.percentile(base_lat, 99) * 1000, 1), f"[{name}] baseline p99", "ms")
    record(f"baseline_cpu_ms_{name}", round(base_cpu, 2), f"[{name}] baseline workers' CPU per request", "ms")
    record(f"handover_ratio_{name}", round(fleet_rps / base_rps, 3), f"[{name}] handover_ratio (target >= 0.5)", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a run of a few minutes")
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients for the throughput runs")
    parser.add_argument("--seconds", type=float, default=None, help="length of each throughput run")
    parser.add_argument("--only", default="",
                        help="comma-separated: handover,batch,pages,forms,signing,reads,report,chain,export,ldap,mail,"
                             "availability")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (8 if args.quick else 20)
    only = set(filter(None, args.only.split(",")))

    def wanted(part: str) -> bool:
        return not only or part in only

    started = time.monotonic()
    print(f"Fleet benchmarks · {fleet_today()} · {platform.machine()} · {os.cpu_count()} cores · "
          f"{'quick' if args.quick else 'full'} · load average {load_average()}", flush=True)

    if wanted("forms"):
        print("forms:", flush=True)
        scale.form_rendering(record, repeats=20 if args.quick else 50)
    if wanted("signing"):
        print("signing forms:", flush=True)
        scale.form_signing(record, repeats=20 if args.quick else 50)
    if wanted("report"):
        print("inventory report:", flush=True)
        scale.inventory_report(record, rows=20_000 if args.quick else 100_000)
    if wanted("availability"):
        print("availability of bookings:", flush=True)
        sizes = (1_000, 100_000) if not args.quick else (1_000, 20_000)
        tmp = tempfile.mkdtemp(prefix="fleet-bench-bookings-")
        scale.availability_scale(record, "sqlite", {n: f"sqlite:///{tmp}/bookings-{n}.sqlite" for n in sizes})
        bookings_cluster = PostgresCluster().start()
        try:
            scale.availability_scale(record, "postgresql", {
                n: bookings_cluster.create_database(f"fleet_bookings_{n}") for n in sizes})
        finally:
            bookings_cluster.stop()
    if wanted("pages"):
        sizes = (1_000, 10_000) if args.quick else (1_000, 30_000)
        print(f"every page, {sizes[0]:,} and {sizes[1]:,} assets:", flush=True)
        from bench import pages

        pages.page_scale(record, sizes=sizes, loads=50)
    if wanted("chain"):
        print("event chain:", flush=True)
        scale.chain_verification(record, events=200_000 if args.quick else 1_000_000)
    if wanted("export"):
        print("event log export and offline verification:", flush=True)
        scale.export_verification(record, events=200_000 if args.quick else 1_000_000)

    needs_ldap = wanted("handover") or wanted("ldap") or wanted("reads") or wanted("batch")
    if needs_ldap:
        print("directory: loading 10,000 people into slapd …", flush=True)
        slapd = bench_directory.start(10_000)
        ldap = bench_directory.settings(slapd)
    cluster = None
    try:
        if wanted("ldap"):
            print("directory work per hand-over (plain, ldaps://, StartTLS):", flush=True)
            for transport in ("plain", "ldaps", "starttls"):
                scale.directory_work(record, bench_directory.settings(slapd, transport), transport)
        if wanted("reads"):
            print("scale of reads:", flush=True)
            sizes = (1_000, 10_000, 100_000) if not args.quick else (1_000, 10_000, 30_000)
            events = (10_000, 1_000_000) if not args.quick else (10_000, 100_000)
            scale.read_scale(record, ldap, sizes=sizes, event_counts=events)
        if wanted("mail"):
            print("mail delivery:", flush=True)
            tmp = tempfile.mkdtemp(prefix="fleet-bench-mail-")
            mail.mail_throughput(record, "sqlite", f"sqlite:///{tmp}/fleet.sqlite", 500 if args.quick else 2000)
            cluster = cluster or PostgresCluster().start()
            mail.mail_throughput(record, "postgresql", cluster.create_database("fleet_bench_mail"),
                                 500 if args.quick else 2000)
        if wanted("batch"):
            print("the emergency batch (100 laptops, 100 people, one signed batch form):", flush=True)
            from bench import batch

            batch.batch_handover(record, ldap)
        if wanted("handover"):
            print("hand-over throughput:", flush=True)
            tmp = tempfile.mkdtemp(prefix="fleet-bench-db-")
            handover_throughput("sqlite", f"sqlite:///{tmp}/fleet.sqlite", ldap, args)
            cluster = cluster or PostgresCluster().start()
            handover_throughput("postgresql", cluster.create_database("fleet_bench"), ldap, args)
    finally:
        if cluster:
            cluster.stop()
        if needs_ldap:
            slapd.stop()

    FIGURES["load_average"] = load_average()
    print(f"load average at the end: {FIGURES['load_average']}", flush=True)
    FIGURES["seconds"] = round(time.monotonic() - started, 1)
    FIGURES["cores"] = os.cpu_count()
    FIGURES["quick"] = args.quick
    FIGURES["date"] = fleet_today().isoformat()
    print(json.dumps(FIGURES, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
