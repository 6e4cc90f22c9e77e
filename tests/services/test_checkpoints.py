"""Signed checkpoints of the event log: made at the right counts and days, never twice for one head."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography import x509

from fleet import signing
from fleet.extensions import db
from fleet.models import EventCheckpoint
from fleet.services import events as event_service
from tests.fixtures_data import AUDITOR, EMPLOYEE, IT
from tests.support import pdf

# A fixed moment: 2025-03-14 10:00 in Seoul.
MORNING = datetime(2025, 3, 14, 1, 0, tzinfo=UTC)


def _append(n: int, at: datetime, step=timedelta(minutes=1)) -> None:
    for i in range(n):
        event_service.append_event("it1", "test.event", "asset", f"T-{i}", after={"i": i}, at=at + i * step)
    db.session.commit()


def _checkpoints() -> list[EventCheckpoint]:
    return list(db.session.execute(db.select(EventCheckpoint).order_by(EventCheckpoint.seq)).scalars())


def test_every_n_events_and_the_first_ever(make_app, signing_settings):
    app = make_app(FLEET_CHECKPOINT_EVENTS="5", **signing_settings)
    with app.app_context():
        _append(12, MORNING)
        assert [c.seq for c in _checkpoints()] == [1, 5, 10]
        _append(3, MORNING + timedelta(hours=1))
        assert [c.seq for c in _checkpoints()] == [1, 5, 10, 15]


def test_the_first_event_of_each_local_day(make_app, signing_settings):
    app = make_app(FLEET_CHECKPOINT_EVENTS="1000", **signing_settings)
    with app.app_context():
        _append(3, MORNING)  # 10:00-10:02 in Seoul: seq 1-3
        # 23:59 in Seoul, then 00:01 the next day (both 14:xx UTC, one UTC day): the local day is what counts.
        late = datetime(2025, 3, 14, 14, 59, tzinfo=UTC)
        _append(1, late)  # seq 4
        _append(2, late + timedelta(minutes=2))  # seq 5, 6 on 2025-03-15 in Seoul
        _append(1, late + timedelta(days=3))  # seq 7, three days on (nothing happened between)
        checkpoints = _checkpoints()
        assert [c.seq for c in checkpoints] == [1, 5, 7]
        assert checkpoints[1].at == late + timedelta(minutes=2)


def test_never_twice_for_one_head_and_the_signature_verifies(make_app, signing_settings, signing_keys):
    app = make_app(**signing_settings)
    with app.app_context():
        _append(2, MORNING)
        assert event_service.checkpoint_head(now=MORNING + timedelta(hours=1)).seq == 2
        db.session.commit()
        assert event_service.checkpoint_head(now=MORNING + timedelta(hours=2)) is None  # the head is signed
        assert [c.seq for c in _checkpoints()] == [1, 2]
        for checkpoint in _checkpoints():
            certificate = x509.load_pem_x509_certificate(checkpoint.certificate.encode())
            assert certificate == signing_keys.signing.certificate
            assert checkpoint.fingerprint == signing.fingerprint(certificate)
            message = event_service.checkpoint_message(checkpoint.seq, checkpoint.head_hash, checkpoint.at)
            assert signing.verify_bytes(certificate, message, base64.b64decode(checkpoint.signature))
            assert not signing.verify_bytes(certificate, message.replace(b'"fleet', b'"Fleet'),
                                            base64.b64decode(checkpoint.signature))
        head = event_service.verify_chain()
        assert head.valid and _checkpoints()[-1].head_hash == head.head


def test_unsigned_fleet_makes_no_checkpoints(ctx):
    _append(3, MORNING)
    assert _checkpoints() == []
    assert event_service.checkpoint_head() is None


def test_the_api_lists_checkpoints_and_reports_print_the_latest(make_app, signing_settings):
    app = make_app(FLEET_CHECKPOINT_EVENTS="2", **signing_settings)
    with app.app_context():
        _append(5, MORNING)
    client = app.test_client()

    def login(uid):
        token = client.post("/api/v1/auth/token", json={"username": uid, "password": uid + "pw"}).get_json()["token"]
        return {"Authorization": f"Bearer {token}"}

    auditor = login(AUDITOR)
    first = client.get("/api/v1/events/checkpoints?limit=2", headers=auditor)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert [c["seq"] for c in body["items"]] == [1, 2] and body["next_cursor"]
    rest = client.get(f"/api/v1/events/checkpoints?cursor={body['next_cursor']}", headers=auditor).get_json()
    # The auditor's log-in is event 6: a checkpoint too (every 2 events); the IT log-in below is event 7.
    assert [c["seq"] for c in rest["items"]] == [4, 6] and rest["next_cursor"] is None
    after = client.get("/api/v1/events/checkpoints?after=2", headers=login(IT)).get_json()
    assert [c["seq"] for c in after["items"]] == [4, 6]
    assert client.get("/api/v1/events/checkpoints", headers=login(EMPLOYEE)).status_code == 403
    assert client.get("/api/v1/events/checkpoints?after=-1", headers=auditor).status_code == 422

    # The log-ins above are events too: the newest checkpoint is the one the report prints.
    latest = client.get("/api/v1/events/checkpoints", headers=auditor).get_json()["items"][-1]
    report = client.get("/api/v1/reports/events.pdf?reason=audit", headers=auditor)
    assert report.status_code == 200
    flat = pdf.flat_text(report.data)
    assert "SignedcheckpointSigned".lower() not in flat.lower()
    assert "Signedcheckpoint" in flat and f"#{latest['seq']}" in flat and latest["head_hash"][:20] in flat
