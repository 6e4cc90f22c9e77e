"""Lock order on PostgreSQL: every writer takes its rows first and the event head last.

Found by the storm (tests/hardening/storm.py): a bulk hand-over appended the event of its
first row, so held the event head, before it locked the asset of its second row. A single
hand-over of that asset, holding it and waiting for the head, then deadlocked with it and
PostgreSQL failed one of the two (a 503 "database did not answer"). The test holds an
asset of the batch from a connection of its own, lets the batch block on it, and then asks
for the event head from that connection: it must be free.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from fleet.extensions import db
from fleet.models import Loan
from fleet.services.auth import Principal
from fleet.services.events import verify_chain
from fleet.services.loans import HandoverOrder, hand_over_many
from tests.api.test_loans_api import stock
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2, IT


def _waiting_on_a_lock(app, own_pid: int) -> bool:
    with app.app_context():
        try:
            return bool(db.session.execute(text(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> :me"),
                {"me": own_pid}).scalar())
        finally:
            db.session.rollback()


def test_a_bulk_hand_over_does_not_hold_the_event_head_while_it_waits_for_a_row(app, directory, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    stock(app, "NB-A", "NB-B")
    it = Principal(IT, "IT", frozenset({"it"}))
    outcome: list = []

    def bulk() -> None:
        with app.app_context():
            try:
                hand_over_many(directory, [HandoverOrder("NB-A", EMPLOYEE), HandoverOrder("NB-B", EMPLOYEE2)], it)
                db.session.commit()
                outcome.append("committed")
            except Exception as exc:  # noqa: BLE001 - the test reports whatever ended the batch
                db.session.rollback()
                outcome.append(repr(exc))
            finally:
                db.session.remove()

    with app.app_context():
        holder = db.engine.connect()
    thread = threading.Thread(target=bulk)
    try:
        holder.execute(text("SELECT id FROM assets WHERE asset_tag = 'NB-B' FOR UPDATE"))
        holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar()
        thread.start()
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock(app, holder_pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert thread.is_alive() and not outcome, f"the batch should wait for NB-B: {outcome}"
        # What a single hand-over of NB-B does next: take the event head. The batch must not hold it.
        holder.execute(text("SET LOCAL lock_timeout = '3s'"))
        holder.execute(text("UPDATE event_head SET seq = seq WHERE id = 1"))
    finally:
        holder.rollback()
        holder.close()
        if thread.is_alive() or thread.ident is not None:
            thread.join(30)
    assert outcome == ["committed"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar() == 2
        assert verify_chain().valid
