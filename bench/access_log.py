"""`python -m bench.access_log [sqlite|postgresql] [rounds] [entries] [desk,review,verify]`: what the access log costs.

Three figures, each against a baseline measured in the same run (the machines are shared and noisy), and on demand
a fourth (the part `verify`, not run by default):

1. **List p95**: `GET /api/v1/loans?limit=50` as IT staff (every call writes an access entry), in rounds that
   alternate with the access log on (as shipped) and off (the entry's append replaced by a no-op), in process
   (Flask's test client, the real slapd with 10,000 people, a real database). Target: on ≤ 1.2 × off.
2. **Hand-over ratio**: hand-over + return cycles (each writes one entry, in the change's transaction), CPU per
   request on and off; the throughput bench's hand-over ratio is bound by the workers' CPU, so it moves by
   CPU off / CPU on. Target: down by ≤ 0.03 from 0.40.
3. **The monthly review over many entries**: `entries` (default 1,000,000) entries of one month written straight
   into the chain (hashes computed as Fleet computes them), then `gather_review` timed in a process of its own,
   with that process's peak RSS, at a tenth of the entries and at all of them (flat: about the same). Target:
   ≤ 10 s.
4. **Verification** (`verify`): `entries` access entries and as many events written straight into their chains,
   then `verify_access_log` and the event log's `verify_chain` timed in process (wall and CPU, best and median of
   five runs: with SQLite the database works in the process too), and the access log exported and checked by
   `python -m fleet.verify` in a process of its own.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, text

from bench import directory as bench_directory
from bench import scale
from fleet.access_log import recording

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5  # verification runs per chain


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _database(kind: str, name: str):
    if kind == "postgresql":
        from tests.support.postgres import PostgresCluster

        cluster = PostgresCluster().start()
        return cluster, cluster.create_database(f"fleet_{name}")
    return None, f"sqlite:///{tempfile.mkdtemp(prefix=f'fleet-{name}-')}/fleet.sqlite"


def _switch(on: bool, shipped=recording.append_access) -> None:
    recording.append_access = shipped if on else (lambda *args, **kwargs: None)


def desk(kind: str, rounds: int, cycles: int, lists: int) -> None:
    slapd = bench_directory.start(10_000)
    cluster = None
    try:
        cluster, url = _database(kind, "access_cost")
        ldap = bench_directory.settings(slapd)
        scale.prepare_fleet_database(url, ldap, assets=8)
        app = scale.make_app(url, ldap)
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "u00000", "password": "pw"}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        counter = iter(range(10**9))

        def cycle() -> None:
            i = next(counter)
            loan = client.post("/api/v1/loans", headers=headers,
                               json={"asset_tag": f"BN-{i % 8:05d}", "assignee": f"u{i % 10000:05d}"})
            assert loan.status_code == 201, loan.text
            back = client.post(f"/api/v1/loans/{loan.get_json()['id']}/return", headers=headers,
                               json={"condition": "good", "accessories_returned": [], "data_wiped": True})
            assert back.status_code == 200, back.text

        for _ in range(300):  # warm-up, and 300 loans for the list
            cycle()
        from fleet.extensions import db

        with app.app_context():
            engine = db.engine
        statements = {True: 0, False: 0}
        state = {"on": True}
        event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(
            state["on"], statements[state["on"]] + 1))
        cpu: dict[bool, list[float]] = {True: [], False: []}
        latency: dict[bool, list[float]] = {True: [], False: []}
        for r in range(rounds * 2):
            on = r % 2 == 0 if (r // 2) % 2 == 0 else r % 2 == 1  # on/off, off/on, …: neither always first
            state["on"] = on
            _switch(on)
            for _ in range(lists):
                started = time.perf_counter()
                response = client.get("/api/v1/loans?limit=50", headers=headers)
                latency[on].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            c0 = time.process_time()
            for _ in range(cycles):
                cycle()
            cpu[on].append((time.process_time() - c0) / cycles / 2 * 1000)
        _switch(True)
        with app.app_context():
            entries = db.session.execute(text("SELECT count(*) FROM access_entries")).scalar()
            from fleet.access_log.chain import verify_access_log

            assert verify_access_log().valid
        on_p95, off_p95 = _p95(latency[True]), _p95(latency[False])
        on_cpu, off_cpu = statistics.median(cpu[True]), statistics.median(cpu[False])
        print(f"{kind}: {rounds} rounds each way; {entries:,} access entries written, chain valid")
        print(f"  list p95 (GET /loans?limit=50, {lists} a round): on {on_p95:.2f} ms, off {off_p95:.2f} ms, "
              f"ratio {on_p95 / off_p95:.2f} (target ≤ 1.2)")
        print(f"  hand-over + return ({cycles} cycles a round): on {on_cpu:.3f} ms CPU/request, off {off_cpu:.3f}; "
              f"{(on_cpu / off_cpu - 1) * 100:+.1f} %; a hand-over ratio of 0.40 becomes {0.40 * off_cpu / on_cpu:.3f} "
              f"({0.40 * off_cpu / on_cpu - 0.40:+.3f}, target ≥ -0.03)")
    finally:
        slapd.stop()
        if cluster:
            cluster.stop()


def _fill(app, count: int, month_start: datetime) -> None:
    """`count` entries spread over the month, chained as Fleet chains them, written in batches."""
    from fleet.access_log.chain import entry_data
    from fleet.extensions import db
    from fleet.services.events import compute_hash

    seconds = 29 * 24 * 3600
    with app.app_context():
        connection = db.session.connection()
        prev, batch = "0" * 64, []
        insert = text("INSERT INTO access_entries (seq, at, actor, role, action, target_type, target_id, subjects, "
                      "data, prev_hash, hash) VALUES (:seq, :at, :actor, 'it', :action, :tt, :ti, :subjects, :data, "
                      ":prev, :hash)")
        for seq in range(1, count + 1):
            at = month_start + timedelta(seconds=seconds * seq // count)
            actor = f"it{seq % 40}"
            action = "download" if seq % 500 == 0 else "view"
            subject = f"u{seq % 10000:05d}"
            data, subjects = entry_data("it", "10.1.2.3", [subject], 1, "점검" if action == "download" else None,
                                        None)
            digest = compute_hash(seq, at, actor, action, "loan", str(seq), data, prev)
            batch.append({"seq": seq, "at": at if connection.dialect.name != "sqlite" else
                          at.strftime("%Y-%m-%d %H:%M:%S.%f"), "actor": actor, "action": action,
                          "tt": "loan", "ti": str(seq), "subjects": subjects, "data": data, "prev": prev,
                          "hash": digest})
            prev = digest
            if len(batch) == 20_000:
                connection.execute(insert, batch)
                batch.clear()
        if batch:
            connection.execute(insert, batch)
        connection.execute(text("UPDATE access_head SET seq = :s, hash = :h WHERE id = 1"), {"s": count, "h": prev})
        db.session.commit()


def review(kind: str, entries: int) -> None:
    """The review over a tenth of `entries` and over all of them, each in its own process (bench.review_worker):
    the time and the peak RSS; flat memory means about the same peak at both sizes."""
    for count in (entries // 10, entries):
        cluster, url = _database(kind, f"review_{count}")
        try:
            app = scale.make_app(url)
            started = time.perf_counter()
            _fill(app, count, datetime(2026, 10, 31, 15, tzinfo=UTC))  # 1 November 2026, 00:00 in Seoul
            filled = time.perf_counter() - started
            from fleet.extensions import db

            with app.app_context():
                db.engine.dispose()
            worker = subprocess.run([sys.executable, "-m", "bench.review_worker", url, "2026-11"], cwd=ROOT,
                                    capture_output=True, text=True, timeout=1200)
            assert worker.returncode == 0, worker.stderr[-2000:]
            result = json.loads(worker.stdout.strip().splitlines()[-1])
            print(f"  review of {result['entries']:,} entries ({kind}): {result['seconds']:.1f} s "
                  f"({result['cpu_seconds']:.1f} s CPU in the process), peak RSS "
                  f"{result['peak_rss_mb']:.0f} MB (after start-up {result['rss_before_mb']:.0f} MB); "
                  f"{result['flags']:,} flags, {result['downloads']:,} downloads (fill {filled:.0f} s)")
        finally:
            if cluster:
                cluster.stop()


def verify(kind: str, entries: int) -> None:
    """Both chains verified in the app, RUNS times each, and the access log's export verified offline."""
    from fleet.access_log.chain import export_lines, export_range, verify_access_log
    from fleet.extensions import db
    from fleet.services.events import verify_chain

    cluster, url = _database(kind, f"verify_{entries}")
    try:
        app = scale.make_app(url)
        started = time.perf_counter()
        _fill(app, entries, datetime(2026, 10, 31, 15, tzinfo=UTC))
        scale.bulk_events(app, entries)
        filled = time.perf_counter() - started
        with app.app_context():
            for name, check in (("access log", verify_access_log), ("event log", verify_chain)):
                seconds, cpu = [], []
                for _ in range(RUNS):
                    t0, c0 = time.perf_counter(), time.process_time()
                    result = check()
                    seconds.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                    db.session.rollback()
                assert result.valid and result.count == entries, result
                print(f"  verify {entries:,} entries, {name} ({kind}): best {min(seconds):.2f} s, median "
                      f"{statistics.median(seconds):.2f} s of {RUNS}; CPU in the process best {min(cpu):.2f} s, "
                      f"median {statistics.median(cpu):.2f} s (fill {filled:.0f} s)", flush=True)
            out = Path(tempfile.mkdtemp(prefix="fleet-bench-access-export-")) / "access.jsonl"
            t0 = time.perf_counter()
            with out.open("w", encoding="utf-8") as file:
                for chunk in export_lines(export_range()):
                    file.write(chunk)
            exported = time.perf_counter() - t0
            db.engine.dispose()
        t0 = time.perf_counter()
        checked = subprocess.run([sys.executable, "-m", "fleet.verify", str(out), "--json"], cwd=ROOT,
                                 capture_output=True, text=True, timeout=1200)
        offline = time.perf_counter() - t0
        answer = json.loads(checked.stdout)
        assert checked.returncode == 0 and answer["valid"] and answer["events"] == entries, checked.stdout[-2000:]
        print(f"  export of the access log {exported:.2f} s; python -m fleet.verify of it {offline:.2f} s "
              f"({out.stat().st_size / 1e6:.0f} MB)")
    finally:
        if cluster:
            cluster.stop()


def main(kind: str = "sqlite", rounds: str = "6", entries: str = "1000000", parts: str = "desk,review") -> None:
    if kind in ("-h", "--help"):
        print(__doc__)
        return
    if "desk" in parts:
        desk(kind, int(rounds), cycles=100, lists=50)
    if "review" in parts:
        review(kind, int(entries))
    if "verify" in parts:
        verify(kind, int(entries))


if __name__ == "__main__":
    main(*sys.argv[1:5])
