"""`python -m bench.cpu_split sqlite|postgresql fleet|baseline|session [SECONDS]`: where the machine's CPU goes while
hand-over + return cycles run (the `handover` part's servers and cycles, bench/handover.py); `session`: Fleet's
server answering only GET /api/v1/auth/session, what the framework and the session look-up cost any API request.

Prints requests/s, how busy the machine was (from /proc/stat: what is left is time no process could use, such as
a worker waiting for SQLite's write lock or for the directory), and the CPU a request of the gunicorn workers, the
client threads, slapd and PostgreSQL's processes. Linux only.
"""

from __future__ import annotations

import os
import sys
import time

from bench import scale
from bench.handover import (
    _cpu_seconds,
    _workers,
    baseline_cycle,
    baseline_server,
    drive,
    fleet_cycle,
    fleet_server,
    session_cycle,
)

WORKERS = 8  # client threads, as the handover part


def _machine() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        ticks = list(map(int, stat.readline().split()[1:]))
    return sum(ticks), ticks[3] + ticks[4]  # all, idle + iowait


def _processes(name: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline") as cmdline:
                    if name in cmdline.read():
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def main(kind: str, which: str, seconds: float = 10) -> None:
    server = None
    with scale.directory_and_databases(kind, "fleet-cpu-split") as (ldap, database):
        try:
            url = database("fleet_cpu_split")
            if which in ("fleet", "session"):
                scale.prepare_fleet_database(url, ldap, assets=WORKERS * 4)
                server = fleet_server(url, ldap).start()
                cycle = (fleet_cycle if which == "fleet" else session_cycle)(server, WORKERS)
            else:
                server = baseline_server(url, WORKERS * 4).start()
                cycle = baseline_cycle(server, WORKERS)
            _split(kind, which, server, cycle, seconds)
        finally:
            if server is not None:
                server.stop()


def _split(kind: str, which: str, server, cycle, seconds: float) -> None:
    drive(cycle, WORKERS, 2, WORKERS * 4)
    groups = {"workers": _workers(server), "client": [os.getpid()], "slapd": _processes("slapd"),
              "postgres": _processes("postgres")}
    before = {name: _cpu_seconds(pids) for name, pids in groups.items()}
    all_before, idle_before = _machine()
    started = time.monotonic()
    rps, _, errors = drive(cycle, WORKERS, seconds, 100_000)
    requests = rps * (time.monotonic() - started)
    all_after, idle_after = _machine()
    busy = 1 - (idle_after - idle_before) / (all_after - all_before)
    print(f"{kind} {which}: {rps:.0f} requests/s, {errors} failed cycles, the machine busy {busy:.0%}")
    for name, pids in groups.items():
        print(f"  {name:9s} {(_cpu_seconds(pids) - before[name]) / requests * 1000:.2f} ms of CPU a request")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], *(float(a) for a in sys.argv[3:4]))
