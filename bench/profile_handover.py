"""`python -m bench.profile_handover [sqlite|postgresql]`: where a hand-over + return spends its time.

Runs hand-over + return cycles in process (Flask's test client, the real slapd with
10,000 people, a real database), then prints milliseconds per request, SQL statements
per cycle, and the share of CPU time by package under cProfile (which slows pure Python
more than C, so read the shares, not the absolute figures).
"""

from __future__ import annotations

import collections
import cProfile
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench import scale


def _package(filename: str, function: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0]
    if filename == "~":
        return f"C: {function}"
    for top in ("fleet/", "reports/", "bench/"):
        if f"/{top}" in filename:
            return top + filename.split(f"/{top}")[1]
    return "stdlib"


@contextmanager
def handover_cycles(kind: str, name: str) -> Iterator[tuple[Callable[[int], None], Engine]]:
    """A Fleet app in process on a fresh SQLite or PostgreSQL database, against a real slapd with 10,000 people:
    yields `cycle(i)` (one hand-over + return through the API, checked) after 50 warm-up cycles, and the engine
    (to count statements); stops slapd and the cluster afterwards."""
    with scale.directory_and_databases(kind, f"fleet-{name}") as (ldap, database):
        url = database(f"fleet_{name}")
        scale.prepare_fleet_database(url, ldap, assets=8)
        app = scale.make_app(url, ldap)
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "u00000", "password": "pw"}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def cycle(i: int) -> None:
            loan = client.post("/api/v1/loans", headers=headers,
                               json={"asset_tag": f"BN-{i % 8:05d}", "assignee": f"u{i % 10000:05d}"})
            assert loan.status_code == 201, loan.text
            back = client.post(f"/api/v1/loans/{loan.get_json()['id']}/return", headers=headers,
                               json={"condition": "good", "accessories_returned": [], "data_wiped": True})
            assert back.status_code == 200, back.text

        for i in range(50):
            cycle(i)
        from fleet.extensions import db

        with app.app_context():
            engine = db.engine
        yield cycle, engine


def main(kind: str = "sqlite", cycles: int = 400) -> None:
    with handover_cycles(kind, "profile") as (cycle, engine):
        statements = 0

        def count(*_args) -> None:
            nonlocal statements
            statements += 1

        sent: list[str] = []

        def show(_conn, _cursor, statement, *_args) -> None:
            sent.append(" ".join(statement.split())[:110])

        event.listen(engine, "before_cursor_execute", show)
        cycle(cycles)
        event.remove(engine, "before_cursor_execute", show)
        print(f"the statements of one hand-over + return ({len(sent)}):")
        for line in sent:
            print(f"  {line}")
        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        for i in range(cycles):
            cycle(i)
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        print(f"{kind}: {elapsed / cycles / 2 * 1000:.2f} ms per request, "
              f"{statements / cycles:.1f} statements sent per hand-over + return (SQLite: BEGINs included)")

        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(cycles):
            cycle(i)
        profiler.disable()
        shares: collections.Counter[str] = collections.Counter()
        for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in pstats.Stats(profiler).stats.items():
            shares[_package(filename, function)] += own
        total = sum(shares.values())
        print("CPU by package under cProfile:")
        for name, seconds in shares.most_common(15):
            print(f"  {seconds / total * 100:5.1f}%  {name}")
        print("Fleet's own functions by cumulative share (what they cost with everything they call):")
        stats = pstats.Stats(profiler).stats
        ours = sorted(((cum, f"{filename.split('/fleet/')[-1]}:{function}") for (filename, _line, function),
                       (_cc, _nc, _own, cum, _callers) in stats.items() if "/fleet/" in filename), reverse=True)
        for cum, name in ours[:25]:
            print(f"  {cum / total * 100:5.1f}%  {name}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
