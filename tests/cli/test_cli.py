"""The flask commands: seed-demo (against the demo directory) and sync-directory."""

from __future__ import annotations

import pytest

from demo.directory import LDIF, SUFFIX, demo_settings
from demo.slapd import DirectoryServer
from fleet.extensions import db
from fleet.models import Asset, Center, Event, LeaverFinding, Loan
from fleet.services.events import verify_chain
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2


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
    assert "7 centers" in result.output and "4 loans" in result.output
    with app.app_context():
        laptops = db.session.execute(db.select(db.func.count()).select_from(Asset).where(Asset.category == "laptop"))
        assert laptops.scalar() == 42
        names = set(db.session.execute(db.select(Center.name)).scalars())
        assert {"진잠도서관 스마트워크센터", "노은도서관 스마트워크센터"} <= names
        assert db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar() == 4
        assert verify_chain().valid
        events = db.session.execute(db.select(db.func.count()).select_from(Event)).scalar()
    again = runner.invoke(args=["fleet", "seed-demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Event)).scalar() == events


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
