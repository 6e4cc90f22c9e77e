"""The flask commands: seed-demo (against the demo directory) and sync-directory."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from babel.dates import format_date

from demo.directory import LDIF, SUFFIX, demo_settings
from demo.slapd import DirectoryServer
from fleet.extensions import db
from fleet.models import Asset, Center, Event, Incident, LeaverFinding, Loan, LoanExtension, Reservation
from fleet.services import audit_reports
from fleet.services import repairs as repair_service
from fleet.services.events import verify_chain
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2
from tests.web.test_pages import log_in


@pytest.fixture(scope="module")
def demo_slapd():
    server = DirectoryServer(SUFFIX)
    server.start()
    server.load(LDIF.read_text(encoding="utf-8"))
    yield server
    server.stop()


def test_seed_demo_loads_the_world_once(make_app, demo_slapd):
    app = make_app(FLEET_DIRECTORY=None, **demo_settings(demo_slapd.uri))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fleet", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "7 centers" in result.output and "4 loans, 2 bookings, 2 repairs, 1 extensions, 1 incidents" in result.output
    with app.app_context():
        loaners = db.session.execute(db.select(db.func.count()).select_from(Asset).where(
            Asset.category == "laptop", Asset.asset_tag.like("YS-NB-0%")))
        assert loaners.scalar() == 42
        # Older laptops past their useful life fill the replacement report; one laptop is at a vendor.
        replacement = audit_reports.gather("replacement")
        assert len(list(replacement.rows())) == 8
        at_vendor = repair_service.list_repairs(status="open").items
        assert [(r.asset.asset_tag, r.asset.status) for r in at_vendor] == [("YS-NB-005", "in_repair")]
        names = set(db.session.execute(db.select(Center.name)).scalars())
        assert {"진잠도서관 스마트워크센터", "노은도서관 스마트워크센터"} <= names
        assert db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar() == 4
        bookings = db.session.execute(db.select(Reservation).order_by(Reservation.id)).scalars().all()
        assert [(b.person_uid, b.asset.asset_tag if b.asset else b.quantity) for b in bookings] == [
            ("kang", "YS-VC-NO01"), ("jung", 3)]
        # a new user sees one extension to decide and one damage report to act on
        extension = db.session.execute(db.select(LoanExtension)).scalar_one()
        assert (extension.status, extension.loan.assignee_uid, extension.loan.asset.asset_tag) == (
            "pending", "choi", "YS-NB-001")
        incident = db.session.execute(db.select(Incident)).scalar_one()
        assert (incident.status, incident.kind, incident.loan.assignee_uid) == ("open", "damaged", "shin")
        # ... which the incidents report of the last 30 days lists, open
        incidents = list(audit_reports.gather("incidents").rows())
        assert [(row[1], row[6], row[10], row[12]) for row in incidents] == [
            ("파손 Damaged", "YS-NB-003", "shin", "처리 중 Open")]
        assert verify_chain().valid
        events = db.session.execute(db.select(db.func.count()).select_from(Event)).scalar()
    again = runner.invoke(args=["fleet", "seed-demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Event)).scalar() == events


def test_seed_demo_against_another_directory_loads_the_devices_and_skips_missing_people(make_app, slapd):
    """The suite's own directory has none of the demo people: centers and devices load, requests and loans don't."""
    app = make_app()
    result = app.test_cli_runner().invoke(args=["fleet", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "7 centers" in result.output and "0 requests, 0 loans" in result.output
    skipped = [line for line in result.output.splitlines() if line.startswith("Skipped")]
    assert len(skipped) == 1 and "Skipped 5 demo requests and 4 demo loans and 2 demo bookings" in skipped[0]
    assert "choi" in skipped[0] and "does not exist in the directory" in skipped[0]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Asset)).scalar() > 42
        assert db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar() == 0
        assert verify_chain().valid


def test_seed_demo_skips_only_the_people_a_directory_lacks(make_app):
    """The demo directory without 최유진 (choi) and 오 (oh): the other requests and loans load."""
    entries = LDIF.read_text(encoding="utf-8").split("\n\n")
    kept = [e for e in entries if not e.startswith(("dn: uid=choi,", "dn: uid=oh,"))]
    assert len(kept) == len(entries) - 2
    server = DirectoryServer(SUFFIX)
    server.start()
    try:
        server.load("\n\n".join(kept))
        app = make_app(FLEET_DIRECTORY=None, **demo_settings(server.uri))
        result = app.test_cli_runner().invoke(args=["fleet", "seed-demo"])
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "4 requests, 2 loans" in result.output
    assert "Skipped 1 demo requests and 2 demo loans" in result.output and "choi, oh" in result.output
    with app.app_context():
        holders = set(db.session.execute(db.select(Loan.assignee_uid)).scalars())
        assert holders == {"shin", "lim"} and verify_chain().valid


def test_sync_directory_finds_leavers_once(app, client, it_headers, slapd):
    stock(app, "NB-001", "NB-002")
    hand_over(client, it_headers, "NB-001", EMPLOYEE)
    loan = hand_over(client, it_headers, "NB-002", EMPLOYEE2).get_json()
    runner = app.test_cli_runner()
    assert "No leavers" in runner.invoke(args=["fleet", "sync-directory"]).output
    dn = f"uid={EMPLOYEE2},ou=people,dc=example,dc=kr"
    slapd.modify(f"dn: {dn}\nchangetype: modify\nadd: employeeType\nemployeeType: inactive\n")
    try:
        result = runner.invoke(args=["fleet", "sync-directory"])
        assert result.exit_code == 0, result.output
        assert "1 leaver(s)" in result.output and EMPLOYEE2 in result.output and "disabled" in result.output
        runner.invoke(args=["fleet", "sync-directory"])
        with app.app_context():
            assert db.session.execute(db.select(db.func.count()).select_from(LeaverFinding)).scalar() == 1
        api = client.post("/api/v1/directory/sync", headers=it_headers).get_json()
        assert [(x["uid"], x["reason"], x["asset_tag"]) for x in api["leavers"]] == [(EMPLOYEE2, "disabled", "NB-002")]
        client.post(f"/api/v1/loans/{loan['id']}/return", json={"condition": "good", "data_wiped": True},
                    headers=it_headers)
        assert client.get("/api/v1/directory/leavers", headers=it_headers).get_json()["leavers"] == []
    finally:
        slapd.modify(f"dn: {dn}\nchangetype: modify\ndelete: employeeType\n")


def test_sync_directory_fails_clearly_when_the_directory_is_down(app, make_app, client, it_headers):
    stock(app, "NB-001")
    hand_over(client, it_headers, "NB-001", EMPLOYEE)
    down = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI="ldap://127.0.0.1:1", FLEET_LDAP_TIMEOUT="1")
    result = down.test_cli_runner().invoke(args=["fleet", "sync-directory"])
    assert result.exit_code != 0 and "directory" in result.output.lower()


@pytest.mark.parametrize("moment", ["2026-12-06T09:00:00+09:00", "2026-12-07T09:00:00+09:00",
                                    "2026-12-11T23:30:00+09:00"], ids=["sunday", "monday", "friday-night"])
def test_the_demo_bookings_are_on_the_desk_timeline_first_view_whatever_the_weekday(make_app, demo_slapd, moment):
    """The desk's timeline opens on today and shows seven days: the demo's Jinjam laptops are on it, and Noeun's
    VC kit (tomorrow) is named as booked at another center."""
    with time_machine.travel(datetime.fromisoformat(moment), tick=True):
        app = make_app(FLEET_DIRECTORY=None, **demo_settings(demo_slapd.uri))
        assert app.test_cli_runner().invoke(args=["fleet", "seed-demo"]).exit_code == 0
        client = app.test_client()
        assert log_in(client, "kimit", "demo1234").status_code == 302
        client.get("/lang/en")
        page = client.get("/desk/bookings").get_data(as_text=True)
    first = datetime.fromisoformat(moment).date()
    caption = re.search(r"<caption>(.*?)</caption>", page).group(1)
    assert caption == f"{format_date(first, 'medium', locale='en')} to " \
                      f"{format_date(first + timedelta(days=6), 'medium', locale='en')}"
    assert "Laptop × 3" in page  # Jinjam, from the day after tomorrow
    assert re.search(r'id="elsewhere".*노은도서관 스마트워크센터 \(1\)', page, re.S)
