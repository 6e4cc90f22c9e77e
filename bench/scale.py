"""The individual benchmarks; each records its figures through `record(key, value, label, unit)`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))] if ordered else 0.0


def make_app(url: str, ldap: dict | None = None):
    import flask_migrate

    from fleet import create_app
    from fleet.extensions import db

    app = create_app({"FLEET_DATABASE_URL": url, "FLEET_SECRET_KEY": "bench", **(ldap or {})})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        db.session.commit()
    return app


def bulk_assets(app, count: int, prefix: str = "BN", category: str = "monitor") -> None:
    from fleet.extensions import db
    from fleet.models import Asset, Center

    with app.app_context():
        center = Center(code="BENCH", name="벤치 센터", kind="smart_work_center")
        db.session.add(center)
        db.session.flush()
        now = datetime.now(UTC)
        for start in range(0, count, 5000):
            db.session.execute(insert(Asset), [
                {"asset_tag": f"{prefix}-{i:05d}", "serial_number": f"SN{i:08d}", "category": category,
                 "manufacturer": "LG", "model": "27UP850N" if i % 3 else "gram 16", "center_id": center.id,
                 "status": "in_stock", "accessories": [], "created_at": now, "updated_at": now,
                 "purchase_date": date(2026, 3, 2)} for i in range(start, min(count, start + 5000))])
        db.session.commit()


def prepare_fleet_database(url: str, ldap: dict, assets: int) -> None:
    app = make_app(url, ldap)
    bulk_assets(app, assets)
    from fleet.extensions import db

    with app.app_context():
        db.engine.dispose()


@contextmanager
def directory_and_databases(kind: str, prefix: str) -> Iterator[tuple[dict, Callable[[str], str]]]:
    """What a one-off measurement of the hand-over needs (bench.compare_trees, bench.cpu_split,
    bench.profile_handover): slapd with 10,000 people, whose settings it yields, with `database(name)`, which makes
    an empty database of `kind` ("sqlite" or "postgresql") and answers its URL (a SQLite file in a directory of its
    own; a database in one PostgreSQL cluster started at the first). All of it stopped at the end."""
    from bench import directory as bench_directory

    slapd = bench_directory.start(10_000)
    cluster = None

    def database(name: str) -> str:
        nonlocal cluster
        if kind == "postgresql":
            from tests.support.postgres import PostgresCluster

            cluster = cluster or PostgresCluster().start()
            return cluster.create_database(name)
        return f"sqlite:///{tempfile.mkdtemp(prefix=f'{prefix}-')}/fleet.sqlite"

    try:
        yield bench_directory.settings(slapd), database
    finally:
        slapd.stop()
        if cluster is not None:
            cluster.stop()


def baseline_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url.replace("fleet.sqlite", "baseline.sqlite")
    return url


def bulk_events(app, count: int, key=None, every: int = 1000) -> None:
    """A valid hash chain of `count` events, written in bulk; with a signing key, a signed checkpoint every
    `every` events, as Fleet makes them."""
    import base64

    from fleet.extensions import db
    from fleet.models import Event, EventCheckpoint, EventHead
    from fleet.services.events import GENESIS_HASH, canonical_data, checkpoint_message, compute_hash

    prev = GENESIS_HASH
    checkpoints = []
    with app.app_context():
        batch = []
        for seq in range(1, count + 1):
            at = BASE_TIME + timedelta(seconds=seq)
            data = canonical_data({"after": {"asset_tag": f"BN-{seq % 1000:05d}", "status": "in_stock"}})
            subject = f"BN-{seq % 1000:05d}"
            digest = compute_hash(seq, at, "u00000", "asset.updated", "asset", subject, data, prev)
            batch.append({"seq": seq, "at": at, "actor": "u00000", "action": "asset.updated", "subject_type": "asset",
                          "subject_id": subject, "data": data, "prev_hash": prev, "hash": digest})
            prev = digest
            if key is not None and seq % every == 0:
                signature = key.sign_bytes(checkpoint_message(seq, digest, at))
                checkpoints.append({"seq": seq, "head_hash": digest, "at": at, "fingerprint": key.fingerprint,
                                    "certificate": key.certificate_pem(),
                                    "signature": base64.b64encode(signature).decode("ascii")})
            if len(batch) == 20_000:
                db.session.execute(insert(Event), batch)
                batch = []
        if batch:
            db.session.execute(insert(Event), batch)
        if checkpoints:
            db.session.execute(insert(EventCheckpoint), checkpoints)
        db.session.execute(text("UPDATE event_head SET seq = :s, hash = :h WHERE id = 1"), {"s": count, "h": prev})
        db.session.commit()
        assert db.session.get(EventHead, 1).seq == count


def form_rendering(record, repeats: int) -> None:
    """ms per handover form, against a bare reportlab page with the same strings, fonts and QR code."""
    import reports
    from bench.forms_baseline import bare_page, sample_form, time_qr

    form = sample_form()
    reports.render_handover(form)
    bare_page(form)
    fleet, bare = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        reports.render_handover(form)
        t1 = time.perf_counter()
        bare_page(form)
        t2 = time.perf_counter()
        fleet.append(t1 - t0)
        bare.append(t2 - t1)
    fleet_ms, bare_ms = sorted(fleet)[len(fleet) // 2] * 1000, sorted(bare)[len(bare) // 2] * 1000
    record("form_ms", round(fleet_ms, 1), "handover form, median", "ms")
    record("form_baseline_ms", round(bare_ms, 1), "bare reportlab page, same strings, fonts, QR; median", "ms")
    record("form_qr_ms", round(time_qr(form), 1), "of which: the QR code alone", "ms")
    record("form_ratio", round(fleet_ms / bare_ms, 2), "form_ratio (target <= 1.3)", "")


def form_signing(record, repeats: int) -> None:
    """What signing (PAdES, pyHanko) adds to a form's first download, against the form's rendering time."""
    from dataclasses import replace

    import reports
    from bench.forms_baseline import sample_form
    from fleet import signing

    keys = signing.make_keys(Path(tempfile.mkdtemp(prefix="fleet-bench-keys-")) / "keys", "벤치 기관",
                             datetime.now(UTC))
    key = keys.signing
    form = replace(sample_form(), signed_line=key.signed_line)
    signing.sign_pdf(reports.render_handover(form), key)  # the first signature builds pyHanko's signer once
    render, sign = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pdf = reports.render_handover(form)
        t1 = time.perf_counter()
        signing.sign_pdf(pdf, key)
        t2 = time.perf_counter()
        render.append(t1 - t0)
        sign.append(t2 - t1)
    render_ms, sign_ms = sorted(render)[len(render) // 2] * 1000, sorted(sign)[len(sign) // 2] * 1000
    record("form_signed_render_ms", round(render_ms, 1), "handover form with its signed line, median", "ms")
    record("form_sign_ms", round(sign_ms, 1), "signing it (PAdES B-B, certified) adds, median (target <= 15)", "ms")
    record("form_sign_ratio", round(sign_ms / render_ms, 2), "signing ÷ rendering, same run", "")


def export_verification(record, events: int) -> None:
    """Export (its own process) and verify offline (`python -m fleet.verify`, its own process) logs of events/10
    and events with a signed checkpoint every 1,000: seconds, and peak RSS that must not grow with the log."""
    from fleet import signing

    keys = signing.make_keys(Path(tempfile.mkdtemp(prefix="fleet-bench-keys-")) / "keys", "벤치 기관",
                             datetime.now(UTC))
    figures = {}
    for count in (events // 10, events):
        tmp = tempfile.mkdtemp(prefix="fleet-bench-export-")
        url = f"sqlite:///{tmp}/events.sqlite"
        app = make_app(url)
        bulk_events(app, count, key=keys.signing, every=1000)
        with app.app_context():
            from fleet.extensions import db

            db.engine.dispose()
        out = f"{tmp}/events.jsonl"
        exported = json.loads(subprocess.run([sys.executable, "-m", "bench.export_worker", url, out], cwd=ROOT,
                                             check=True, capture_output=True, text=True,
                                             env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.splitlines()[-1])
        t0 = time.perf_counter()
        verified = subprocess.run([sys.executable, "-m", "bench.verify_worker", out, "--cert", str(keys.ca_path),
                                   "--json"], cwd=ROOT, capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        verify_seconds = time.perf_counter() - t0
        answer = json.loads(verified.stdout)
        verify_rss = json.loads(verified.stderr.splitlines()[-1])["peak_rss_mb"]
        assert verified.returncode == 0 and answer["valid"] and answer["events"] == count, answer
        figures[count] = (exported["seconds"] + verify_seconds, exported["peak_rss_mb"], verify_rss)
        record(f"export_seconds_{count}", exported["seconds"], f"export {count:,} events to JSON Lines", "s")
        record(f"verify_offline_seconds_{count}", round(verify_seconds, 2),
               f"python -m fleet.verify of {count:,} events, {count // 1000} checkpoints", "s")
        record(f"export_rss_mb_{count}", exported["peak_rss_mb"], "  export process, peak RSS", "MB")
        record(f"verify_rss_mb_{count}", verify_rss, "  verifier process, peak RSS", "MB")
    small, large = figures[events // 10], figures[events]
    record("export_verify_seconds", round(large[0], 2), f"export + offline verification of {events:,} "
           "(target <= 15 s at 1M)", "s")
    record("export_memory_growth", round(max(large[1] / small[1], large[2] / small[2]), 2),
           "peak RSS at 10x the events ÷ at 1x, worst of export and verifier (flat ≈ 1)", "")


def _worker(kind: str, rows: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.report_worker", kind, str(rows)], cwd=ROOT, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    return json.loads(out.strip().splitlines()[-1])


def inventory_report(record, rows: int) -> None:
    """The inventory report of `rows` assets through Fleet's service, against a bare split platypus table."""
    fleet = _worker("fleet", rows)
    bare = _worker("platypus", rows)
    record("report_rows", rows, "inventory report rows", "")
    record("report_seconds", fleet["seconds"], "Fleet inventory report (gather + render + register)", "s")
    record("report_rss_mb", fleet["peak_rss_mb"], "Fleet report process, peak RSS (target <= 400)", "MB")
    record("report_baseline_seconds", bare["seconds"], "bare platypus tables of 1,000 rows, same rows", "s")
    record("report_baseline_rss_mb", bare["peak_rss_mb"], "bare platypus, peak RSS", "MB")
    record("report_ratio", round(fleet["seconds"] / bare["seconds"], 2), "report_ratio (target <= 1.5)", "")


def chain_verification(record, events: int) -> None:
    """Verify chains of events/10 and events: seconds, and traced memory that must not grow with the log."""
    from fleet.extensions import db
    from fleet.services.events import verify_chain

    figures = {}
    for count in (events // 10, events):
        tmp = tempfile.mkdtemp(prefix="fleet-bench-chain-")
        app = make_app(f"sqlite:///{tmp}/chain.sqlite")
        bulk_events(app, count)
        with app.app_context():
            t0 = time.perf_counter()
            result = verify_chain()
            seconds = time.perf_counter() - t0
            db.session.rollback()
            tracemalloc.start()  # a second pass for memory: tracing slows Python down several times
            verify_chain()
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            db.engine.dispose()
        assert result.valid and result.count == count, result
        figures[count] = (seconds, peak)
        record(f"chain_verify_seconds_{count}", round(seconds, 2), f"verify a chain of {count:,} events", "s")
        record(f"chain_verify_peak_mb_{count}", round(peak, 1), f"  peak memory traced while verifying {count:,}", "MB")
    small, large = figures[events // 10], figures[events]
    record("chain_verify_seconds", round(large[0], 2), f"chain verification of {events:,} (target <= 10 s at 1M)", "s")
    record("chain_memory_growth", round(large[1] / small[1], 2), "peak memory at 10x the events ÷ at 1x (flat ≈ 1)", "")


@contextmanager
def ldap_requests() -> Iterator[list[str]]:
    """The names of the LDAP requests python-ldap sends inside the block, in order, from any connection of this
    process (the requests of tests/fixtures_directory.py's `ldap_operations`: reading results is none)."""
    from ldap.ldapobject import SimpleLDAPObject

    from tests.fixtures_directory import LDAP_REQUESTS

    sent: list[str] = []
    original = SimpleLDAPObject._ldap_call

    def counting(self, func, *args, **kwargs):  # count the requests python-ldap actually sends
        if getattr(func, "__name__", "") in LDAP_REQUESTS:
            sent.append(func.__name__)
        return original(self, func, *args, **kwargs)

    SimpleLDAPObject._ldap_call = counting
    try:
        yield sent
    finally:
        SimpleLDAPObject._ldap_call = original


def directory_work(record, ldap: dict, transport: str = "plain") -> None:
    """LDAP operations and latency of the hand-over's directory check, with 10,000 people, and the latency of a
    log-in's look-up (the person with roles: the eligible and role groups' compares sent with the search).

    `transport` names the figures: plain ldap://, ldaps:// or StartTLS. The connection is
    opened (and bound) by a first check before the measured ones, as a running worker has it;
    any new bind during the measured checks would show as an extra operation.
    """
    from fleet.directory import directory_from_config
    from fleet.services.loans import check_assignee

    with ldap_requests() as sent:
        directory = directory_from_config(ldap)
        t0 = time.perf_counter()
        check_assignee(directory, "u00001")  # opens the thread's connection: TCP, TLS, bind
        first = time.perf_counter() - t0
        latencies, ops = [], []
        for i in range(300):
            before = len(sent)
            t0 = time.perf_counter()
            check_assignee(directory, f"u{(i * 37) % 10000:05d}")
            latencies.append(time.perf_counter() - t0)
            ops.append(len(sent) - before)
    log_ins = []
    for i in range(300):
        t0 = time.perf_counter()
        directory.get_person(f"u{(i * 37) % 10000:05d}", with_roles=True)
        log_ins.append(time.perf_counter() - t0)
    suffix = "" if transport == "plain" else f"_{transport}"
    record(f"ldap_ops_per_handover{suffix}", max(ops), f"LDAP operations per hand-over check, {transport} "
           "(target <= 3)", "")
    record(f"ldap_check_p50_ms{suffix}", round(percentile(latencies, 50) * 1000, 2),
           f"directory check p50, 10,000 people, {transport}", "ms")
    record(f"ldap_first_check_ms{suffix}", round(first * 1000, 2),
           f"first check, opening the connection ({transport})", "ms")
    record(f"ldap_check_p95_ms{suffix}", round(percentile(latencies, 95) * 1000, 2),
           f"directory check p95, {transport}", "ms")
    record(f"ldap_login_lookup_p50_ms{suffix}", round(percentile(log_ins, 50) * 1000, 2),
           f"log-in's look-up with roles p50, {transport}", "ms")
    record(f"ldap_login_lookup_p95_ms{suffix}", round(percentile(log_ins, 95) * 1000, 2),
           f"log-in's look-up with roles p95, {transport}", "ms")


def read_scale(record, ldap: dict, sizes: tuple[int, ...], event_counts: tuple[int, int]) -> None:
    """p95 of list endpoints as the data grows; loaded in bulk, measured through the app in-process."""
    from fleet.clock import local_today
    from fleet.extensions import db
    from fleet.models import Loan

    p95: dict[str, list[float]] = {"assets": [], "loans": [], "events": []}
    for index, size in enumerate(sizes):
        events = event_counts[0] if index < len(sizes) - 1 else event_counts[1]
        tmp = tempfile.mkdtemp(prefix="fleet-bench-reads-")
        app = make_app(f"sqlite:///{tmp}/reads.sqlite", ldap)
        bulk_assets(app, size)
        with app.app_context():
            active = max(1, size // 10)
            now = datetime.now(UTC)
            rows = [{"asset_id": i + 1, "center_id": 1, "status": "active", "assignee_uid": f"u{i % 10000:05d}",
                     "assignee_name": "직원", "issued_by": "u00000", "checked_out_at": now,
                     "due_date": local_today() + timedelta(days=30), "accessories_out": []} for i in range(active)]
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(Loan), rows[start:start + 5000])
            db.session.execute(text("UPDATE assets SET status = 'on_loan' WHERE id <= :n"), {"n": active})
            db.session.commit()
        bulk_events(app, events)
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "u00000", "password": "pw"}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for name, url in [("assets", "/api/v1/assets?status=in_stock&category=monitor&limit=50"),
                          ("loans", "/api/v1/loans?active=true&limit=50"),
                          ("events", "/api/v1/events?limit=50")]:
            timings = []
            cursor = None
            for i in range(60):
                page_url = url + (f"&cursor={cursor}" if cursor and i % 2 else "")
                t0 = time.perf_counter()
                response = client.get(page_url, headers=headers)
                timings.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.get_data(as_text=True)
                cursor = response.get_json()["next_cursor"] or cursor
            p95[name].append(percentile(timings[10:], 95) * 1000)
            record(f"list_p95_ms_{name}_{size}", round(p95[name][-1], 2),
                   f"GET {name} p95 at {size:,} assets, {events:,} events", "ms")
        with app.app_context():
            db.engine.dispose()
    ratio = max(values[-1] / values[0] for values in p95.values())
    record("list_growth_ratio", round(ratio, 2), "list_growth_ratio, worst endpoint (target <= 1.5)", "")


def _bench_token(app, uid: str = "bench-it") -> str:
    """A bearer token written straight into the database (the bench measures reads, not log-ins)."""
    import hashlib
    import secrets

    from fleet.extensions import db
    from fleet.models import ApiToken

    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add(ApiToken(token_hash=hashlib.sha256(token.encode()).hexdigest(), uid=uid, name="벤치",
                                roles="employee,it", created_at=now, expires_at=now + timedelta(hours=2)))
        db.session.commit()
    return token


def bulk_bookings(app, *, assets: int, reservations: int, centers: int, window_start: datetime,
                  in_window: int) -> None:
    """`assets` devices over `centers` centers and 4 categories; `in_window` holding bookings of the measured
    center's laptops inside the 30 days measured (the same at every scale), the rest of `reservations` spread
    over the other centers and categories and the past year (returned, cancelled, no-shows) and the next one."""
    import random

    from fleet.extensions import db
    from fleet.models import Asset, Center, Reservation

    rng = random.Random(15)
    categories = ("laptop", "vc_kit", "monitor", "dock")
    with app.app_context():
        db.session.execute(insert(Center), [{"code": f"C{c:02d}", "name": f"센터 {c}", "kind": "smart_work_center",
                                             "created_at": window_start, "updated_at": window_start}
                                            for c in range(centers)])
        center_ids = [row[0] for row in db.session.execute(text("SELECT id FROM centers ORDER BY code"))]
        rows = []
        for i in range(assets):
            rows.append({"asset_tag": f"BK-{i:05d}", "category": categories[i % 4],
                         "center_id": center_ids[(i // 4) % centers], "status": "in_stock", "accessories": [],
                         "created_at": window_start, "updated_at": window_start})
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Asset), rows[start:start + 5000])
        by_place: dict[tuple[int, str], list[int]] = {}
        for asset_id, center_id, category in db.session.execute(text("SELECT id, center_id, category FROM assets")):
            by_place.setdefault((center_id, category), []).append(asset_id)
        measured = (center_ids[0], "laptop")

        def booking(center_id, category, asset_id, starts, hours, status):
            return {"person_uid": f"u{rng.randrange(10000):05d}", "person_name": "직원", "center_id": center_id,
                    "asset_id": asset_id, "category": category, "quantity": 1, "starts_at": starts,
                    "ends_at": starts + timedelta(hours=hours), "status": status, "booked_by": "u00000",
                    "created_at": window_start, "updated_at": window_start}

        rows = []
        units = by_place[measured]
        for i in range(in_window):  # the measured window: one asset booking per unit per slot, never overlapping
            unit = units[i % len(units)]
            slot = i // len(units)
            starts = window_start + timedelta(days=slot * 7 + units.index(unit) % 7, hours=9)
            rows.append(booking(*measured, unit, starts, 5, "booked"))
        places = [p for p in by_place if p != measured]
        for _ in range(reservations - in_window):
            center_id, category = places[rng.randrange(len(places))]
            starts = window_start + timedelta(hours=rng.randrange(-365 * 24, 365 * 24))
            past = starts < window_start
            status = rng.choice(("returned", "returned", "cancelled", "no_show")) if past else "booked"
            # category bookings (no asset) in the future, so the exclusion constraint has nothing to refuse
            rows.append(booking(center_id, category, None, starts, rng.choice((2, 4, 24, 72)), status))
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Reservation), rows[start:start + 5000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def availability_scale(record, name: str, urls: dict[int, str], *, assets: int = 10_000, centers: int = 20,
                       in_window: int = 200, requests_per_size: int = 300) -> None:
    """p95 of GET /api/v1/availability for one center's laptops over 30 days, at each count of reservations.

    The databases are filled first; then the requests alternate between them, one at a time, so that the load
    other processes put on a shared machine falls on every size alike and the ratio compares like with like.
    """
    from fleet.extensions import db
    from tests.support.clock import FLEET_ZONE, fleet_today

    window_start = datetime.combine(fleet_today() + timedelta(days=30), datetime.min.time(), tzinfo=FLEET_ZONE)
    frm, to = window_start.isoformat(), (window_start + timedelta(days=30)).isoformat()
    sizes = sorted(urls)
    apps, clients, headers = {}, {}, {}
    for size in sizes:
        apps[size] = make_app(urls[size])
        bulk_bookings(apps[size], assets=assets, reservations=size, centers=centers, window_start=window_start,
                      in_window=min(in_window, size))
        clients[size] = apps[size].test_client()
        headers[size] = {"Authorization": f"Bearer {_bench_token(apps[size])}"}
    p95: dict[str, list[float]] = {}
    for kind, extra in (("category", ""), ("per_asset", "&per_asset=true")):
        url = f"/api/v1/availability?center=C00&category=laptop&from={frm}&to={to}{extra}".replace("+", "%2B")
        timings: dict[int, list[float]] = {size: [] for size in sizes}
        cpu: dict[int, list[float]] = {size: [] for size in sizes}
        answers = {}
        for i in range(requests_per_size + 20):
            for size in sizes:
                t0, c0 = time.perf_counter(), time.thread_time()
                response = clients[size].get(url, headers=headers[size])
                elapsed, spent = time.perf_counter() - t0, time.thread_time() - c0
                assert response.status_code == 200, response.get_data(as_text=True)
                if i >= 20:  # warm-up first
                    timings[size].append(elapsed)
                    cpu[size].append(spent)
                answers[size] = response.get_json()
        p95[kind] = [percentile(timings[size], 95) * 1000 for size in sizes]
        for size, value in zip(sizes, p95[kind], strict=True):
            answer = answers[size]
            record(f"availability_p95_ms_{name}_{kind}_{size}", round(value, 2),
                   f"[{name}] availability ({kind}) p95, {assets:,} assets, {size:,} reservations "
                   f"({answer['units']} units, {len(answer['free'])} free periods)", "ms")
            # CPU time of the request's thread (the app runs in process): what a busy machine inflates least
            record(f"availability_cpu_p95_ms_{name}_{kind}_{size}", round(percentile(cpu[size], 95) * 1000, 2),
                   f"[{name}]   its CPU time p95 (the request's thread"
                   f"{'; SQLite works in it' if name == 'sqlite' else '; not the server'})", "ms")
        record(f"availability_growth_{name}_{kind}", round(p95[kind][-1] / p95[kind][0], 2),
               f"[{name}] availability ({kind}) p95 at {sizes[-1]:,} ÷ at {sizes[0]:,} (target <= 1.5)", "")
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()
