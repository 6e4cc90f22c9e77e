"""The access log itself: fail closed, the privacy officer's API and pages, tampering found online and offline
(both databases), the purge, and the monthly review at a fixed clock."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import text

from fleet.access_log import chain, review
from fleet.access_log.chain import Access, append_access
from fleet.access_log.model import AccessEntry
from fleet.clock import parse_working_hours
from fleet.extensions import db
from fleet.models import Event
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import AUDITOR, EMPLOYEE, IT
from tests.support.clock import FLEET_ZONE, fleet_today
from tests.web.test_pages import log_in, post

ROOT = Path(__file__).resolve().parents[2]
PRIVACY = "privacy1"


def _seed_entries(app, n: int, start: datetime | None = None) -> None:
    """n entries by it1 over emp1.. (as the hook writes them), a minute apart."""
    start = start or datetime.now(UTC) - timedelta(hours=1)
    with app.app_context():
        for i in range(n):
            append_access(IT, "it", "10.0.0.1", Access("view", f"loan:{i + 1}", (f"emp{i % 3 + 1}",)),
                          at=start + timedelta(minutes=i))
        db.session.commit()


def _sql(app, *statements) -> None:
    with app.app_context():
        for statement in statements:
            db.session.execute(text(statement))
        db.session.commit()


def _export(client, headers, path: Path) -> Path:
    response = client.get("/api/v1/access-log/export?reason=점검", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson", response.data[:300]
    path.write_bytes(response.data)
    return path


def _offline(path: Path, ca: Path | None = None) -> dict:
    command = [sys.executable, "-m", "fleet.verify", str(path), "--json"] + (["--cert", str(ca)] if ca else [])
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_only_the_privacy_officer_reads_the_log(app, client, login):
    for uid in (IT, AUDITOR, EMPLOYEE):
        for url in ("/api/v1/access-log", "/api/v1/access-log/verify", "/api/v1/access-log/export?reason=x",
                    "/api/v1/reports/access-review.pdf?month=2026-11&reason=x"):
            assert client.get(url, headers=login(uid)).status_code == 403, (uid, url)
    response = client.post("/api/v1/auth/token", json={"username": PRIVACY, "password": PRIVACY + "pw"})
    assert response.get_json()["roles"] == ["employee", "privacy"]


def test_filters_and_keyset_pages(app, client, login):
    _seed_entries(app, 7)
    headers = login(PRIVACY)
    first = client.get("/api/v1/access-log?limit=3&subject=emp2", headers=headers).get_json()
    assert [item["target"] for item in first["items"]] == ["loan:5", "loan:2"] and first["next_cursor"] is None
    page = client.get("/api/v1/access-log?limit=3&actor=it1&action=view", headers=headers).get_json()
    assert [item["seq"] for item in page["items"]] == [7, 6, 5]
    more = client.get(f"/api/v1/access-log?limit=3&actor=it1&action=view&cursor={page['next_cursor']}",
                      headers=headers).get_json()
    assert [item["seq"] for item in more["items"]] == [4, 3, 2]
    item = page["items"][0]
    assert item["ip"] == "10.0.0.1" and item["role"] == "it" and item["subjects"] == ["emp1"]
    assert "action" in client.get("/api/v1/access-log?action=peek", headers=headers).get_json()["errors"]
    # Reading the log is itself recorded: the officer looked at whose accesses.
    with app.app_context():
        last = db.session.execute(db.select(AccessEntry).order_by(AccessEntry.seq.desc()).limit(1)).scalar_one()
        assert last.actor == PRIVACY and last.action == "search" and last.target_type == "access-log"


def test_a_read_is_refused_when_its_entry_cannot_be_written(app, client, login):
    """Fail closed: the access log's table gone (a real failure of the database), the loan is not shown."""
    stock(app, "NB-001")
    loan = hand_over(client, login(IT)).get_json()
    _sql(app, "ALTER TABLE access_entries RENAME TO access_entries_away")
    try:
        response = client.get(f"/api/v1/loans/{loan['id']}", headers=login(AUDITOR))
        assert response.status_code == 503 and response.mimetype == "application/problem+json"
        assert b"emp1" not in response.data and "이지은" not in response.get_data(as_text=True)
        page = client.get(f"/api/v1/loans?assignee={EMPLOYEE}", headers=login(IT))
        assert page.status_code == 503 and b"emp1" not in page.data
        # A change is refused with it: the return is not made.
        refused = client.post(f"/api/v1/loans/{loan['id']}/return", json={"condition": "good", "data_wiped": True},
                              headers=login(IT))
        assert refused.status_code == 503
        # Reading one's own data needs no entry: it still works.
        assert client.get(f"/api/v1/loans/{loan['id']}", headers=login(EMPLOYEE)).status_code == 200
    finally:
        _sql(app, "ALTER TABLE access_entries_away RENAME TO access_entries")
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=login(IT)).get_json()["status"] == "active"


def test_the_page_fails_closed_too(app, client, login):
    stock(app, "NB-001")
    loan = hand_over(client, login(IT)).get_json()
    log_in(client, AUDITOR)
    _sql(app, "ALTER TABLE access_entries RENAME TO access_entries_away")
    try:
        response = client.get("/loans")
        assert response.status_code == 503 and "이지은" not in response.get_data(as_text=True)
    finally:
        _sql(app, "ALTER TABLE access_entries_away RENAME TO access_entries")
    assert "이지은" in client.get("/loans").get_data(as_text=True) and loan


def test_a_change_and_its_entry_are_one_transaction(app, client, login):
    stock(app, "NB-001")
    response = hand_over(client, login(IT), assignee="nobody-here")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(AccessEntry)).scalar() == 0


TAMPERINGS = {
    "edit": (["UPDATE access_entries SET actor = 'mallory' WHERE seq = 7"], 7, "event 7 was altered"),
    "delete": (["DELETE FROM access_entries WHERE seq = 7"], 7, "event 7 missing"),
    "reorder": (["UPDATE access_entries SET seq = 1000 WHERE seq = 7",
                 "UPDATE access_entries SET seq = 7 WHERE seq = 8",
                 "UPDATE access_entries SET seq = 8 WHERE seq = 1000"], 7, "event 7 does not follow"),
    "truncate": (["DELETE FROM access_entries WHERE seq > 17",
                  "UPDATE access_head SET seq = 17, hash = (SELECT hash FROM access_entries WHERE seq = 17) "
                  "WHERE id = 1"], 18, "events after 17 are missing"),
    # The two columns beside the hashed data (the review's counts, the subject filter): entry 7 is it1's view of
    # emp1's loan, so role 'it' and subjects ',emp1,'.
    "role": (["UPDATE access_entries SET role = 'auditor' WHERE seq = 7"], 7,
             "event 7's role column was altered: it holds 'auditor', its hashed data says 'it'"),
    "subjects hidden": (["UPDATE access_entries SET subjects = '' WHERE seq = 7"], 7,
                        "event 7's subjects column was altered: it holds '', its hashed data says ',emp1,'"),
    "subjects swapped": (["UPDATE access_entries SET subjects = ',emp2,' WHERE seq = 7"], 7,
                         "event 7's subjects column was altered"),
}


@pytest.fixture
def signed(make_app, signing_settings):
    # At noon tomorrow in Fleet's time zone: the 25 entries (from an hour before) and the test's own requests fall on
    # one local day, whatever the hour the suite runs at. Between 00:00 and 01:00 in Seoul the first request would
    # otherwise be the first entry of a new day, which the access log checkpoints itself. Tomorrow, not today: the
    # clock only moves forward, never to before the session's signing certificate was made (from 5 minutes ago).
    with time_machine.travel(datetime.combine(fleet_today() + timedelta(days=1), time(12), tzinfo=FLEET_ZONE),
                             tick=True):
        app = make_app(FLEET_CHECKPOINT_EVENTS="10", **signing_settings)
        _seed_entries(app, 25)  # checkpoints at 1 (the first of the day), 10, 20
        yield app


def test_an_untouched_log_verifies_online_and_offline(signed, login, signing_keys, tmp_path):
    client = signed.test_client()
    headers = login(PRIVACY)
    answer = client.get("/api/v1/access-log/verify", headers=headers).get_json()
    assert answer["valid"] and answer["count"] == 25 and answer["first_bad_seq"] is None and answer["checkpoints"] >= 3
    result = _offline(_export(client, headers, tmp_path / "access.jsonl"), signing_keys.ca_path)
    assert result["valid"] and result["events"] == 25 and result["signed_up_to"] == 20, result
    # `fleet checkpoint` signs the access log's head too; then the export is signed up to its end.
    result = signed.test_cli_runner().invoke(args=["fleet", "checkpoint"])
    assert "Signed checkpoint of the access log at entry 26" in result.output, result.output
    result = _offline(_export(client, headers, tmp_path / "again.jsonl"), signing_keys.ca_path)
    assert result["valid"] and result["signed_up_to"] == 26, result
    # An event-log checkpoint cannot stand for the access log's: another tag is signed.
    assert chain.checkpoint_message(1, "0" * 64, datetime(2026, 1, 1, tzinfo=UTC)).startswith(
        b'["fleet-access-checkpoint-v1"')


@pytest.mark.parametrize("kind", sorted(TAMPERINGS))
def test_tampering_is_found_online_and_offline(signed, login, signing_keys, tmp_path, kind):
    statements, first_bad, problem = TAMPERINGS[kind]
    _sql(signed, *statements)
    client = signed.test_client()
    headers = login(PRIVACY)
    answer = client.get("/api/v1/access-log/verify", headers=headers).get_json()
    assert not answer["valid"] and answer["first_bad_seq"] == first_bad, answer
    result = _offline(_export(client, headers, tmp_path / "access.jsonl"), signing_keys.ca_path)
    assert not result["valid"] and problem in " ".join(result["problems"]), result


def test_the_purge_keeps_the_rest_verifiable(signed, login, signing_keys, tmp_path):
    old = datetime.now(UTC) - timedelta(days=3 * 365)
    with signed.app_context():  # 5 entries three years old, before the 25 of today
        db.session.execute(text("DELETE FROM access_entries"))
        db.session.execute(text("DELETE FROM access_checkpoints"))
        db.session.execute(text("UPDATE access_head SET seq = 0, hash = :g, checkpoint_at = NULL"), {"g": "0" * 64})
        db.session.commit()
    _seed_entries(signed, 5, old)
    _seed_entries(signed, 25)
    result = signed.test_cli_runner().invoke(args=["fleet", "purge-access-log"])
    assert result.exit_code == 0 and "5 access-log entries" in result.output and "starts at entry 6" in result.output
    with signed.app_context():
        assert db.session.execute(db.select(db.func.min(AccessEntry.seq))).scalar() == 6
        purge = db.session.execute(db.select(Event).where(Event.action == "access_log.purged")).scalar_one()
        assert json.loads(purge.data)["after"]["removed"] == 5
    client = signed.test_client()
    headers = login(PRIVACY)
    answer = client.get("/api/v1/access-log/verify", headers=headers).get_json()
    assert answer["valid"] and answer["count"] == 25 and answer["start_seq"] == 6, answer
    path = _export(client, headers, tmp_path / "kept.jsonl")
    result = _offline(path, signing_keys.ca_path)
    assert result["valid"] and result["first_seq"] == 6, result["problems"]
    # 25 kept, and the export's own entry
    verified = signed.test_cli_runner().invoke(args=["fleet", "verify"])
    assert verified.exit_code == 0 and "access log: 26 entries from entry 6, verified" in verified.output
    # Removing the oldest kept entries without a purge moves the start: found.
    _sql(signed, "DELETE FROM access_entries WHERE seq = 6",
         "UPDATE access_head SET start_seq = 7, start_prev_hash = (SELECT prev_hash FROM access_entries "
         "WHERE seq = 7)")
    assert not client.get("/api/v1/access-log/verify", headers=headers).get_json()["valid"]
    broken = signed.test_cli_runner().invoke(args=["fleet", "verify"])
    assert broken.exit_code == 1 and "access log: 0 entries from entry 7, BROKEN at entry 7" in broken.output
    # A second run removes nothing more.
    assert "0 access-log entries" in signed.test_cli_runner().invoke(args=["fleet", "purge-access-log"]).output


MONTH = "2026-11"


def _review_month(app) -> None:
    """November 2026 (KST): it1 views 60 people on Tuesday the 3rd (over the limit of 50), looks at a pregnancy
    request at 22:00, and downloads the loan register with a reason on a Saturday; audit1 exports the events."""
    kst = lambda day, hour, minute=0: datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=9)  # noqa
    with app.app_context():
        for i in range(60):
            append_access(IT, "it", "10.0.0.1", Access("view", f"person:p{i}", (f"p{i}",)), at=kst(3, 10, i % 60))
        append_access(IT, "it", "10.0.0.1", Access("view", "request:9", ("emp1",),
                                                   params={"sensitive_reasons": ["pregnancy"]}), at=kst(3, 22))
        append_access(IT, "it", "10.0.0.1", Access("download", "report:loans", (), 0, "감사 준비",
                                                   {"format": "csv"}), at=kst(7, 11))
        append_access(AUDITOR, "auditor", "10.0.0.2", Access("export", "events", (), 0, "연간 감사"), at=kst(10, 9))
        append_access(AUDITOR, "auditor", "10.0.0.2", Access("view", "loan:1", ("emp1",)),
                      at=datetime(2026, 12, 1, 1, tzinfo=UTC))  # December in KST: not in the month
        db.session.commit()


def test_the_monthly_review_figures_and_flags(app, client, login):
    _review_month(app)
    with app.app_context():
        result = review.gather_review(MONTH)
    assert result.entries == 63
    assert result.per_account[(IT, "it", "view")] == 61 and result.per_account[(AUDITOR, "auditor", "export")] == 1
    assert [(d[1], d[2], d[3], d[5]) for d in result.downloads] == [
        (IT, "download", "report:loans", "감사 준비"), (AUDITOR, "export", "events", "연간 감사")]
    flags = [(f.kind, f.actor, f.day, f.count) for f in result.flags]
    assert flags == [("people_per_day", IT, "2026-11-03", 61), ("outside_hours", IT, "2026-11-03", 1),
                     ("outside_hours", IT, "2026-11-07", 1), ("bulk_export", AUDITOR, "2026-11-10", 0),
                     ("sensitive_reason", IT, "2026-11-03", 1)]
    headers = login(PRIVACY)
    assert client.get(f"/api/v1/reports/access-review.pdf?month={MONTH}", headers=headers).status_code == 422
    pdf = client.get(f"/api/v1/reports/access-review.pdf?month={MONTH}&reason=월간 점검", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["X-Fleet-Document-Id"].isdigit()
    response = client.get(f"/api/v1/reports/access-review.csv?month={MONTH}&reason=월간 점검", headers=headers)
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert ["점검 Flag", IT, "2026-11-03 · 하루 다수 열람 Many people in a day", "61", "> 50"] in rows
    assert any(row[0] == "내려받기 Download" and "감사 준비" in row[4] for row in rows)
    assert response.headers["X-Fleet-Document-Id"].isdigit()
    for month in ("2026-13", "9999-12", "1899-12", "26-11"):
        bad = client.get(f"/api/v1/reports/access-review.csv?month={month}&reason=x", headers=headers)
        assert bad.status_code == 422 and "month" in bad.get_json()["errors"], month


def test_sign_off_is_an_event_and_the_dashboard_says_when_it_is_due(app, client, login):
    headers = login(PRIVACY)
    with app.app_context():
        status = review.review_status()
    log_in(client, PRIVACY)
    client.get("/lang/en")
    page = client.get("/privacy").get_data(as_text=True)
    assert f"The review of {status.month} is {'due' if status.state == 'due' else 'late'}" in page
    signed = client.post("/api/v1/access-log/reviews", json={"month": status.month, "note": "이상 없음"},
                         headers=headers)
    assert signed.status_code == 201 and signed.get_json()["signed_by"] == PRIVACY
    again = client.post("/api/v1/access-log/reviews", json={"month": status.month}, headers=headers)
    assert again.status_code == 409
    this_month = client.post("/api/v1/access-log/reviews", json={"month": status.due_by.strftime("%Y-%m")},
                             headers=headers)
    assert this_month.status_code == 422 and "month" in this_month.get_json()["errors"]
    with app.app_context():
        event = db.session.execute(db.select(Event).where(Event.action == "access_log.reviewed")).scalar_one()
        assert event.subject_id == status.month and json.loads(event.data)["after"]["note"] == "이상 없음"
    assert f"The review of {status.month} is done." in client.get("/privacy").get_data(as_text=True)


def test_the_privacy_page_in_korean_and_english(app, client, login):
    _seed_entries(app, 3)
    log_in(client, PRIVACY)
    client.get("/lang/ko")
    korean = client.get("/privacy?subject=emp2").get_data(as_text=True)
    assert '<html lang="ko">' in korean and "<h1>접속기록</h1>" in korean and "loan:2" in korean
    assert "loan:1" not in korean
    client.get("/lang/en")
    english = client.get("/privacy?verify=1").get_data(as_text=True)
    assert "<h1>Access log</h1>" in english and "The access log verifies" in english
    assert post(client, "/privacy/reviews", {"month": "bad"}).status_code == 422
    log_in(client, AUDITOR)
    assert client.get("/privacy").status_code == 403


@pytest.mark.parametrize("setting, value", [("FLEET_WORKING_HOURS", "weekdays 9 to 6"),
                                            ("FLEET_WORKING_HOURS", "Mon-Fri 08:00-25:00"),
                                            ("FLEET_ACCESS_LOG_YEARS", "0.5"),
                                            ("FLEET_ACCESS_ALERT_PEOPLE_PER_DAY", "many")])
def test_a_bad_setting_stops_the_start_with_its_name(make_app, setting, value):
    with pytest.raises(RuntimeError, match="access-log setting|FLEET_ACCESS_LOG_YEARS"):
        make_app(**{setting: value})


def test_working_hours_take_ranges_and_lists():
    hours = parse_working_hours("Sat,Mon-Wed 09:30-18:00")
    assert hours.weekdays == {0, 1, 2, 5}
    assert hours.covers(datetime(2026, 12, 5, 9, 30)) and not hours.covers(datetime(2026, 12, 5, 18, 0))
    assert not hours.covers(datetime(2026, 12, 3, 12, 0))  # a Thursday
    assert parse_working_hours("Fri-Mon 08:00-19:00").weekdays == {4, 5, 6, 0}
