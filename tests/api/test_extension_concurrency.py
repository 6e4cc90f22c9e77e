"""Between hand-over and return under concurrency, through real HTTP, two gunicorn workers, on SQLite and
PostgreSQL: the same extension approved many times at once (one approval wins); approvals racing returns of the
same loan (they are serialised: either the approval comes first and the return closes the loan with its new due
date, or the return comes first and the approval is a 409 that changes nothing; never half of each); swaps racing
hand-overs of their replacements (one gets it; a swap that loses changes nothing)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import requests

from fleet.extensions import db
from fleet.models import Asset, Event, Loan, LoanExtension
from fleet.services.events import verify_chain
from tests.api.test_loans_api import stock
from tests.api.test_reservations_api import day
from tests.support.server import GunicornServer

ATTEMPTS = 12
RACES = 6


@pytest.fixture
def server(app, app_config):
    settings = {k: v for k, v in app_config.items() if k.startswith("FLEET_") and isinstance(v, str)}
    srv = GunicornServer(settings, workers=2).start()
    yield srv
    srv.stop()


def _headers(server, uid: str) -> dict:
    token = requests.post(f"{server.url}/api/v1/auth/token", json={"username": uid, "password": uid + "pw"},
                          timeout=30).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _lend_and_ask(server, it, emp, tag: str) -> tuple[dict, dict]:
    loan = requests.post(f"{server.url}/api/v1/loans", json={"asset_tag": tag, "assignee": "emp1",
                                                             "due_date": day(10)}, headers=it, timeout=30)
    assert loan.status_code == 201, loan.text
    loan = loan.json()
    ext = requests.post(f"{server.url}/api/v1/loans/{loan['id']}/extensions",
                        json={"until": day(40), "reason": "육아휴직"}, headers=emp, timeout=30)
    assert ext.status_code == 201, ext.text
    return loan, ext.json()


def test_the_same_extension_approved_many_times_at_once(app, server, database_url):
    stock(app, "NB-EXT")
    it, it2, emp = _headers(server, "it1"), _headers(server, "it2"), _headers(server, "emp1")
    loan, ext = _lend_and_ask(server, it, emp, "NB-EXT")

    def attempt(i: int) -> int:
        return requests.post(f"{server.url}/api/v1/extensions/{ext['id']}/approve", json={"note": str(i)},
                             headers=(it, it2)[i % 2], timeout=60).status_code

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        codes = list(pool.map(attempt, range(ATTEMPTS)))
    print(f"\n[{database_url.split(':')[0]}] {ATTEMPTS} approvals of one extension: {codes.count(200)} approved, "
          f"{codes.count(409)} conflicts, others {sorted(set(codes) - {200, 409})}")
    assert codes.count(200) == 1 and codes.count(409) == ATTEMPTS - 1, codes
    with app.app_context():
        assert db.session.get(Loan, loan["id"]).due_date == date.fromisoformat(day(40))
        extended = db.session.execute(db.select(Event).where(Event.action == "loan.extended")).scalars().all()
        assert len(extended) == 1
        assert verify_chain().valid


def test_approvals_racing_returns_of_the_same_loans(app, server, database_url):
    tags = [f"NB-R{i}" for i in range(RACES)]
    stock(app, *tags)
    it, it2, emp = _headers(server, "it1"), _headers(server, "it2"), _headers(server, "emp1")
    pairs = [_lend_and_ask(server, it, emp, tag) for tag in tags]

    def attempt(job: tuple[int, str]) -> int:
        i, what = job
        loan, ext = pairs[i]
        if what == "approve":
            return requests.post(f"{server.url}/api/v1/extensions/{ext['id']}/approve", json={}, headers=it2,
                                 timeout=60).status_code
        return requests.post(f"{server.url}/api/v1/loans/{loan['id']}/return", headers=it, timeout=60, json={
            "condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": True}).status_code

    # Alternate which of the two is sent first, so that each order gets its chance.
    jobs = [(i, what) for i in range(RACES) for what in (("approve", "return") if i % 2 else ("return", "approve"))]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        codes = dict(zip(jobs, pool.map(attempt, jobs), strict=True))
    approvals = [codes[(i, "approve")] for i in range(RACES)]
    print(f"\n[{database_url.split(':')[0]}] {RACES} approvals racing returns: approvals {approvals}, "
          f"returns {[codes[(i, 'return')] for i in range(RACES)]}")
    assert all(codes[(i, "return")] == 200 for i in range(RACES)), codes
    assert set(approvals) <= {200, 409}, codes
    with app.app_context():
        for i, (loan, ext) in enumerate(pairs):
            row = db.session.get(Loan, loan["id"])
            extension = db.session.get(LoanExtension, ext["id"])
            events = {e.action: e for e in db.session.execute(
                db.select(Event).where(Event.subject_type == "loan", Event.subject_id == str(loan["id"]))).scalars()}
            assert row.status == "returned"
            if approvals[i] == 200:  # the approval came first: the return closed the extended loan
                assert extension.status == "approved" and row.due_date == date.fromisoformat(day(40))
                assert events["loan.extended"].seq < events["loan.returned"].seq
            else:  # the return came first: the extension was cancelled with the loan, nothing else changed
                assert extension.status == "cancelled" and row.due_date == date.fromisoformat(day(10))
                assert "loan.extended" not in events
            assert json.loads(events["loan.returned"].data)["after"]["days_overdue"] == 0
        assert verify_chain().valid


def test_swaps_racing_hand_overs_of_their_replacements(app, server, database_url):
    """A swap and a plain hand-over of its replacement at once: one gets the replacement, the other a 409; a swap
    that loses changes nothing (its loan is still active, its device still out)."""
    broken = [f"NB-B{i}" for i in range(RACES)]
    spares = [f"NB-S{i}" for i in range(RACES)]
    stock(app, *broken, *spares)
    it, it2 = _headers(server, "it1"), _headers(server, "it2")
    loans = []
    for tag in broken:
        response = requests.post(f"{server.url}/api/v1/loans", json={"asset_tag": tag, "assignee": "emp1"},
                                 headers=it, timeout=30)
        assert response.status_code == 201, response.text
        loans.append(response.json())

    def attempt(job: tuple[int, str]) -> int:
        i, what = job
        if what == "swap":
            return requests.post(f"{server.url}/api/v1/loans/{loans[i]['id']}/swap", headers=it, timeout=60, json={
                "asset_tag": spares[i], "condition": "damaged", "damage_notes": "화면 깨짐",
                "accessories_returned": ["charger", "bag"], "data_wiped": False}).status_code
        return requests.post(f"{server.url}/api/v1/loans", json={"asset_tag": spares[i], "assignee": "emp2"},
                             headers=it2, timeout=60).status_code

    jobs = [(i, what) for i in range(RACES) for what in (("swap", "hand_over") if i % 2 else ("hand_over", "swap"))]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        codes = dict(zip(jobs, pool.map(attempt, jobs), strict=True))
    print(f"\n[{database_url.split(':')[0]}] {RACES} swaps racing hand-overs: swaps "
          f"{[codes[(i, 'swap')] for i in range(RACES)]}, hand-overs {[codes[(i, 'hand_over')] for i in range(RACES)]}")
    with app.app_context():
        for i in range(RACES):
            pair = {codes[(i, "swap")], codes[(i, "hand_over")]}
            assert pair == {201, 409}, codes
            old = db.session.get(Loan, loans[i]["id"])
            holder = db.session.execute(db.select(Loan.assignee_uid).join(Asset, Asset.id == Loan.asset_id).where(
                Loan.status == "active", Asset.asset_tag == spares[i])).scalar_one()
            if codes[(i, "swap")] == 201:
                assert old.status == "returned" and holder == "emp1"
            else:
                assert old.status == "active" and old.asset.status == "on_loan" and holder == "emp2"
        assert verify_chain().valid
