"""The export and the offline verifiers: an untouched log passes both; each tampering made directly in the database
(edit, delete, reorder, truncate, rewrite from the start) is found by both, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from fleet.db import utcnow
from fleet.extensions import db
from fleet.services import event_export
from fleet.services import events as event_service
from tests.fixtures_data import AUDITOR, EMPLOYEE, IT
from tests.verifier import independent

ROOT = Path(__file__).resolve().parents[2]


def _login(client, uid):
    response = client.post("/api/v1/auth/token", json={"username": uid, "password": uid + "pw"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _append(n: int) -> None:
    start = utcnow() - timedelta(seconds=n)
    for i in range(n):
        event_service.append_event("it1", "asset.updated", "asset", f"NB-{i:03d}",
                                   before={"note": "전"},
                                   after={"note": f"후 {i}\n\"quoted\" \\ / \u2028 \x1b \x7f \t 한글 é"},
                                   at=start + timedelta(milliseconds=i))
    db.session.commit()


def export(client, headers, path: Path, query: str = "") -> Path:
    query = f"{query}&reason=audit" if query else "?reason=audit"
    response = client.get(f"/api/v1/events/export{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/x-ndjson"
    path.write_bytes(response.data)
    return path


def fleet_verify(path: Path, ca: Path, *more: str) -> dict:
    """`python -m fleet.verify` as an auditor runs it: another process, its JSON answer and exit status."""
    result = subprocess.run([sys.executable, "-m", "fleet.verify", str(path), "--cert", str(ca), "--json", *more],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    answer = json.loads(result.stdout)
    assert answer["valid"] == (result.returncode == 0)
    return answer


def independent_verify(path: Path, ca: Path) -> list[str]:
    # split("\n"), not splitlines(): U+2028 and friends stand unescaped inside the JSON strings.
    return independent.verify(path.read_text(encoding="utf-8").split("\n"), ca.read_bytes())


@pytest.fixture
def signed(make_app, signing_settings):
    app = make_app(FLEET_CHECKPOINT_EVENTS="10", **signing_settings)
    with app.app_context():
        _append(45)  # checkpoints at 1, 10, 20, 30, 40
    client = app.test_client()
    return app, client, _login(client, AUDITOR)


def _sql(app, *statements, **params) -> None:
    with app.app_context():
        for statement in statements:
            db.session.execute(text(statement), params)
        db.session.commit()


def _rehash_from(app, first: int) -> None:
    """What someone with database access does to hide an edit: recompute every hash from `first` on, and the head."""
    with app.app_context():
        rows = db.session.execute(text("SELECT seq, at, actor, action, subject_type, subject_id, data FROM events "
                                       "ORDER BY seq")).all()
        prev = "0" * 64
        for seq, _, actor, action, subject_type, subject_id, data in rows:
            if seq >= first:
                at = db.session.execute(db.select(event_service.Event.at).where(event_service.Event.seq == seq))
                digest = event_service.compute_hash(seq, at.scalar_one(), actor, action, subject_type, subject_id,
                                                    data, prev)
                db.session.execute(text("UPDATE events SET prev_hash = :p, hash = :h WHERE seq = :s"),
                                   {"p": prev, "h": digest, "s": seq})
            prev = db.session.execute(text("SELECT hash FROM events WHERE seq = :s"), {"s": seq}).scalar_one()
        db.session.execute(text("UPDATE event_head SET seq = :s, hash = :h WHERE id = 1"),
                           {"s": rows[-1][0], "h": prev})
        db.session.commit()


def test_an_untouched_export_passes_both_verifiers(signed, signing_keys, tmp_path):
    app, client, auditor = signed
    path = export(client, auditor, tmp_path / "events.jsonl")
    answer = fleet_verify(path, signing_keys.ca_path)
    # 45 appended, and the auditor's log-in (an event since sessions are server-side)
    assert answer["valid"] and answer["events"] == 46 and answer["checkpoints"] == 5
    with app.app_context():
        assert event_service.verify_chain().checkpoints == 5
    assert answer["signed_up_to"] == 40 and "41 to 46" in " ".join(answer["notes"])
    assert independent_verify(path, signing_keys.ca_path) == []
    # A range: the events of the last part only, checked from where it starts.
    lines = path.read_text(encoding="utf-8").split("\n")
    since = json.loads(lines[21])["fields"][1]  # event 21
    part = export(client, auditor, tmp_path / "part.jsonl", f"?from={since.replace('Z', '%2B00:00')}")
    answer = fleet_verify(part, signing_keys.ca_path)
    assert answer["valid"] and answer["first_seq"] == 21 and answer["events"] == 26
    assert independent_verify(part, signing_keys.ca_path) == []
    # Re-encoded by another tool (every non-ASCII character escaped): the same values, so it still verifies.
    ascii_path = tmp_path / "ascii.jsonl"
    ascii_path.write_text("".join(json.dumps(json.loads(line), ensure_ascii=True) + "\n" for line in lines if line),
                          encoding="utf-8")
    assert fleet_verify(ascii_path, signing_keys.ca_path)["valid"]
    assert independent_verify(ascii_path, signing_keys.ca_path) == []


def test_a_checkpoint_made_while_the_export_streams_is_left_for_the_next(signed, signing_keys, tmp_path):
    """A hand-over during a long export appends events and may sign a checkpoint past the exported head: in the
    export it would read as a log cut short, so the export ends its checkpoints where they were when it began."""
    app, _, _ = signed
    with app.app_context():
        lines = event_export.export_lines(event_export.export_range(), batch_size=10)
        streamed = [next(lines), next(lines)]  # the header and events 1 to 10
        _append(10)  # events 47 to 56 meanwhile (46 is the auditor's log-in): a checkpoint at 50
        assert event_service.latest_checkpoint().seq == 50
        streamed += list(lines)
    path = tmp_path / "events.jsonl"
    path.write_text("".join(streamed), encoding="utf-8")
    answer = fleet_verify(path, signing_keys.ca_path)
    assert answer["valid"] and answer["last_seq"] == 46 and answer["checkpoints"] == 5, answer
    assert independent_verify(path, signing_keys.ca_path) == []
    # The next export has it.
    with app.app_context():
        path.write_text("".join(event_export.export_lines(event_export.export_range())), encoding="utf-8")
    answer = fleet_verify(path, signing_keys.ca_path)
    assert answer["valid"] and answer["last_seq"] == 56 and answer["signed_up_to"] == 50, answer


def test_access_and_bad_ranges(signed):
    app, client, auditor = signed
    assert client.get("/api/v1/events/export?reason=audit", headers=_login(client, IT)).status_code == 200
    assert client.get("/api/v1/events/export?reason=audit", headers=_login(client, EMPLOYEE)).status_code == 403
    assert client.get("/api/v1/events/export?reason=audit").status_code == 401
    bad = client.get("/api/v1/events/export?from=2026-02-01T00:00:00%2B09:00&to=2026-01-01T00:00:00%2B09:00"
                     "&reason=audit",
                     headers=auditor)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert client.get("/api/v1/events/export?from=yesterday&reason=audit", headers=auditor).status_code == 422


TAMPERINGS = {
    "edit": (["UPDATE events SET actor = 'mallory' WHERE seq = 17"], "event 17 was altered"),
    "delete": (["DELETE FROM events WHERE seq = 17"], "event 17 missing"),
    "reorder": (["UPDATE events SET seq = 1000 WHERE seq = 17", "UPDATE events SET seq = 17 WHERE seq = 18",
                 "UPDATE events SET seq = 18 WHERE seq = 1000"], "event 17 does not follow"),
    "truncate": (["DELETE FROM events WHERE seq > 43",
                  "UPDATE event_head SET seq = 43, hash = (SELECT hash FROM events WHERE seq = 43) WHERE id = 1"],
                 None),
}


@pytest.mark.parametrize("kind", sorted(TAMPERINGS))
def test_tampering_in_the_database_is_found(signed, signing_keys, tmp_path, kind):
    app, client, auditor = signed
    statements, expected = TAMPERINGS[kind]
    if kind == "truncate":  # cut the log back past its last checkpoint (40) and hide the cut in the head
        statements = [s.replace("43", "37") for s in statements]
    _sql(app, *statements)
    with app.app_context():  # `fleet verify` and GET /events/verify see it too
        assert not event_service.verify_chain().valid
    path = export(client, auditor, tmp_path / "events.jsonl")
    answer = fleet_verify(path, signing_keys.ca_path)
    assert not answer["valid"], answer
    found = " ".join(answer["problems"])
    assert (expected or "events after 37 are missing") in found, found
    assert independent_verify(path, signing_keys.ca_path), kind


def test_a_truncation_that_also_removed_the_checkpoints_is_found_against_an_earlier_export(signed, signing_keys,
                                                                                           tmp_path):
    app, client, auditor = signed
    earlier = export(client, auditor, tmp_path / "earlier.jsonl")
    _sql(app, "DELETE FROM events WHERE seq > 37", "DELETE FROM event_checkpoints WHERE seq > 37",
         "UPDATE event_head SET seq = 37, hash = (SELECT hash FROM events WHERE seq = 37) WHERE id = 1")
    path = export(client, auditor, tmp_path / "events.jsonl")
    assert fleet_verify(path, signing_keys.ca_path)["valid"]  # alone, the export is a shorter, consistent log
    with app.app_context():
        assert event_service.verify_chain().valid  # and so it is to Fleet
    answer = fleet_verify(path, signing_keys.ca_path, "--checkpoints", str(earlier))
    assert not answer["valid"] and "events after 37 are missing" in " ".join(answer["problems"])


def test_a_chain_rewritten_from_the_start_is_found_against_the_checkpoints(signed, signing_keys, tmp_path):
    app, client, auditor = signed
    _sql(app, "UPDATE events SET actor = 'mallory' WHERE seq = 3")
    _rehash_from(app, 3)
    with app.app_context():  # every hash and link holds: only the checkpoints show it, in Fleet too
        check = event_service.verify_chain()
        assert not check.valid and check.first_bad_seq == 10 and check.checkpoints == 1
    path = export(client, auditor, tmp_path / "events.jsonl")
    answer = fleet_verify(path, signing_keys.ca_path)
    assert not answer["valid"]
    assert "event 10 does not match the signed checkpoint" in " ".join(answer["problems"])
    assert "checkpoint 10 disagrees" in independent_verify(path, signing_keys.ca_path)
    # Removing the checkpoints as well leaves nothing signed: the verifiers say the history cannot be proved.
    _sql(app, "DELETE FROM event_checkpoints")
    path = export(client, auditor, tmp_path / "bare.jsonl")
    assert "no signed checkpoint covers" in " ".join(fleet_verify(path, signing_keys.ca_path)["problems"])
    assert "nothing signed" in independent_verify(path, signing_keys.ca_path)


def test_a_forged_checkpoint_is_refused(signed, signing_keys, tmp_path):
    app, client, auditor = signed
    _sql(app, "UPDATE event_checkpoints SET head_hash = :h WHERE seq = 20", h="f" * 64)
    with app.app_context():
        check = event_service.verify_chain()
        assert not check.valid and check.first_bad_seq == 20
    path = export(client, auditor, tmp_path / "events.jsonl")
    answer = fleet_verify(path, signing_keys.ca_path)
    assert not answer["valid"] and "checkpoint 20's signature does not match" in " ".join(answer["problems"])
    assert "bad checkpoint 20" in independent_verify(path, signing_keys.ca_path)


def test_a_checkpoint_naming_another_certificate_is_refused(signed, signing_keys, tmp_path):
    """The fingerprint that reports and the API show is not signed: it must be its certificate's."""
    app, client, auditor = signed
    _sql(app, "UPDATE event_checkpoints SET fingerprint = :f WHERE seq = 20", f="AB:" * 31 + "AB")
    with app.app_context():
        check = event_service.verify_chain()
        assert not check.valid and check.first_bad_seq == 20
    path = export(client, auditor, tmp_path / "events.jsonl")
    answer = fleet_verify(path, signing_keys.ca_path)
    assert not answer["valid"] and "checkpoint 20 names the certificate AB:AB" in " ".join(answer["problems"])


def test_the_verifier_needs_neither_flask_nor_a_database(signed, signing_keys, tmp_path):
    app, client, auditor = signed
    path = export(client, auditor, tmp_path / "events.jsonl")
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "fleet.verify", str(path), "--cert",
                             str(signing_keys.ca_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    roots = {name.split(".")[0] for name in imported}
    assert "cryptography" in roots
    assert not roots & {"flask", "sqlalchemy", "werkzeug", "psycopg", "sqlite3", "reports", "pyhanko"}, roots
    assert not {name for name in imported if name.startswith("fleet.")} - {"fleet.verify"}


def test_an_untouched_export_of_100000_events_passes(make_app, signing_settings, signing_keys, tmp_path):
    from bench.scale import bulk_events

    app = make_app(**signing_settings)
    if app.config["FLEET_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("once is enough for the size: the PostgreSQL export path is checked by every test above")
    bulk_events(app, 100_000, key=app.extensions["fleet_signing_key"], every=1000)
    client = app.test_client()
    path = export(client, _login(client, AUDITOR), tmp_path / "events.jsonl")
    answer = fleet_verify(path, signing_keys.ca_path)
    # 100,000 appended, and the auditor's log-in (an event since sessions are server-side)
    assert answer["valid"] and answer["events"] == 100_001 and answer["checkpoints"] == 101, answer
    assert answer["signed_up_to"] == 100_001  # the log-in is the first event of a new day: checkpointed
    assert independent_verify(path, signing_keys.ca_path) == []
