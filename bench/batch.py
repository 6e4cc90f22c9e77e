"""`python -m bench --only batch`: the emergency batch, 100 laptops to 100 people in one step.

Against the same gunicorn server (2 workers, SQLite, the real slapd with 10,000 people, a signing key): 100 single
hand-overs one after the other (`POST /api/v1/loans`), then one batch of 100 (`POST /api/v1/loans/bulk`) and the
download of its one batch form, rendered and signed (PAdES) on first download; the batch's time ÷ the singles'
time. Then single hand-overs again while another batch of 100 runs beside them: their p95, against the p95 of the
singles alone (the desk goes on working).
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from bench import scale
from tests.support.server import GunicornServer

SIZE = 100


def batch_handover(record, ldap: dict) -> None:
    from fleet import signing

    tmp = tempfile.mkdtemp(prefix="fleet-bench-batch-")
    url = f"sqlite:///{tmp}/fleet.sqlite"
    keys = signing.make_keys(Path(tmp) / "keys", "벤치 기관", datetime.now(UTC))
    scale.prepare_fleet_database(url, ldap, assets=SIZE * 5)
    env = {"FLEET_DATABASE_URL": url, "FLEET_SECRET_KEY": "bench", **ldap, "FLEET_LDAP_TIMEOUT": "5",
           "FLEET_SIGNING_KEY": str(keys.key_path),
           "FLEET_SIGNING_CERT": str(keys.cert_path)}
    server = GunicornServer(env, workers=2).start()
    try:
        token = requests.post(f"{server.url}/api/v1/auth/token", json={"username": "u00000", "password": "pw"},
                              timeout=10).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def tag(i: int) -> str:
            return f"BN-{i:05d}"

        def single(session: requests.Session, i: int) -> float:
            t0 = time.perf_counter()
            r = session.post(f"{server.url}/api/v1/loans", headers=headers, timeout=60,
                             json={"asset_tag": tag(i), "assignee": f"u{(i * 37) % 10000:05d}"})
            assert r.status_code == 201, r.text
            return time.perf_counter() - t0

        def batch(session: requests.Session, first: int) -> float:
            t0 = time.perf_counter()
            r = session.post(f"{server.url}/api/v1/loans/bulk", headers=headers, timeout=300, json={
                "note": "벤치 긴급", "loans": [{"asset_tag": tag(i), "assignee": f"u{(i * 37) % 10000:05d}"}
                                             for i in range(first, first + SIZE)]})
            assert r.status_code == 201, r.text
            form = session.get(server.url + r.json()["batch_document"]["url"], headers=headers, timeout=120)
            assert form.status_code == 200 and form.content.startswith(b"%PDF"), form.status_code
            return time.perf_counter() - t0

        def warm_up(worker: int) -> None:
            """What each worker does once: its directory connection, the statements' compilation, the fonts and
            the signer of the first form. Two at a time, so that both workers get one."""
            first = SIZE * 4 + worker * 10
            single(requests.Session(), first)
            small = requests.Session().post(f"{server.url}/api/v1/loans/bulk", headers=headers, timeout=300, json={
                "loans": [{"asset_tag": tag(i), "assignee": f"u{i:05d}"} for i in range(first + 1, first + 6)]})
            assert small.status_code == 201, small.text
            form = requests.get(server.url + small.json()["batch_document"]["url"], headers=headers, timeout=120)
            assert form.status_code == 200, form.status_code

        for _ in range(2):
            threads = [threading.Thread(target=warm_up, args=(worker + _ * 2,)) for worker in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        session = requests.Session()
        alone = [single(session, i) for i in range(SIZE)]
        singles_seconds = sum(alone)
        batch_seconds = batch(requests.Session(), SIZE)

        beside: list[float] = []
        running = threading.Event()
        result: dict[str, float] = {}

        def run_batch() -> None:
            running.set()
            result["seconds"] = batch(requests.Session(), SIZE * 3)

        thread = threading.Thread(target=run_batch)
        thread.start()
        running.wait()
        i = SIZE * 2
        while thread.is_alive() and i < SIZE * 3:
            beside.append(single(session, i))
            i += 1
        thread.join()
    finally:
        server.stop()
    record("batch_100_seconds", round(batch_seconds, 2), f"batch of {SIZE} hand-overs + its signed batch form", "s")
    record("batch_100_singles_seconds", round(singles_seconds, 2), f"{SIZE} single hand-overs, one after another",
           "s")
    record("batch_100_ratio", round(batch_seconds / singles_seconds, 3), "batch_100_ratio (target <= 0.5)", "")
    record("single_p95_ms_alone", round(scale.percentile(alone, 95) * 1000, 1), "single hand-over p95, alone", "ms")
    record("single_p95_ms_beside_batch", round(scale.percentile(beside, 95) * 1000, 1),
           f"single hand-over p95 while a batch of {SIZE} runs ({len(beside)} hand-overs)", "ms")
    record("single_max_ms_beside_batch", round(max(beside) * 1000, 1),
           "  the longest of them (SQLite: waits for the batch's one transaction)", "ms")
    record("batch_100_seconds_beside_singles", round(result["seconds"], 2), "  that batch's own time", "s")
