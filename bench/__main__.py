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

from bench import directory as bench_directory
from bench import mail, scale
from bench.handover import handover_throughput
from tests.support.clock import fleet_today
from tests.support.postgres import PostgresCluster

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a run of a few minutes")
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients for the throughput runs")
    parser.add_argument("--seconds", type=float, default=None, help="length of each throughput run")
    parser.add_argument("--only", default="",
                        help="comma-separated: handover,recheck,batch,pages,forms,signing,reads,report,chain,export,"
                             "ldap,mail,availability")
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

    needs_ldap = any(wanted(part) for part in ("handover", "recheck", "ldap", "reads", "batch"))
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
            handover_throughput(record, "sqlite", f"sqlite:///{tmp}/fleet.sqlite", ldap, args.workers, args.seconds)
            cluster = cluster or PostgresCluster().start()
            handover_throughput(record, "postgresql", cluster.create_database("fleet_bench"), ldap, args.workers,
                                args.seconds)
        if wanted("recheck"):
            print("the actor re-check (FLEET_ROLE_RECHECK_SECONDS 60, 0 and off) on the hand-over:", flush=True)
            from bench import recheck

            def postgres() -> PostgresCluster:
                nonlocal cluster
                cluster = cluster or PostgresCluster().start()
                return cluster

            recheck.recheck_cost(record, ldap, args.workers, args.seconds / 4, args.quick, postgres)
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
