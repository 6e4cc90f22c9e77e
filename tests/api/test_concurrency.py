"""Never two open loans for one asset: many concurrent hand-overs through real HTTP,
two gunicorn worker processes, on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fleet.extensions import db
from fleet.models import Loan
from fleet.services.events import verify_chain
from tests.api.test_loans_api import stock
from tests.support.server import GunicornServer

ATTEMPTS = 24


@pytest.fixture
def server(app, app_config):
    settings = {k: v for k, v in app_config.items() if k.startswith("FLEET_") and isinstance(v, str)}
    srv = GunicornServer(settings, workers=2).start()
    yield srv
    srv.stop()


def test_concurrent_hand_overs_of_one_asset(app, server, database_url):
    stock(app, "NB-RACE", "NB-OTHER")
    token = requests.post(f"{server.url}/api/v1/auth/token", json={"username": "it1", "password": "it1pw"},
                          timeout=10).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assignees = ["emp1", "emp2", "emp3", "it2"]

    def attempt(i: int) -> int:
        body = {"asset_tag": "NB-RACE", "assignee": assignees[i % len(assignees)]}
        return requests.post(f"{server.url}/api/v1/loans", json=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        codes = list(pool.map(attempt, range(ATTEMPTS)))
    successes, conflicts = codes.count(201), codes.count(409)
    print(f"\n[{database_url.split(':')[0]}] {ATTEMPTS} concurrent hand-overs: "
          f"{successes} succeeded, {conflicts} conflicts, others {sorted(set(codes) - {201, 409})}")
    assert successes == 1 and conflicts == ATTEMPTS - 1, codes
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar() == 1
        assert verify_chain().valid
