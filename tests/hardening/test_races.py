"""Races the concurrency storm (tests/hardening/storm.py) found on PostgreSQL, made deterministic.

A storm finds a race once in a few thousand requests; each test here builds the losing
interleaving on purpose, holding a row or a uniqueness from a connection of its own.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text, update

from fleet.errors import Conflict
from fleet.extensions import db
from fleet.models import Asset, Loan, StocktakeScan
from fleet.services.assets import get_asset, move_status
from fleet.services.auth import Principal
from fleet.services.events import verify_chain
from fleet.services.loans import HandoverOrder, hand_over_many
from fleet.services.stocktakes import get_stocktake, scan, start_stocktake
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2, IT

IT_STAFF = Principal(IT, "IT", frozenset({"it"}))


def _postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks and waits on a uniqueness are PostgreSQL's; SQLite has one writer at a time")


def _waiting_on_a_lock(app, own_pid: int) -> bool:
    with app.app_context():
        try:
            return bool(db.session.execute(text(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> :me"),
                {"me": own_pid}).scalar())
        finally:
            db.session.rollback()


def test_a_bulk_hand_over_does_not_hold_the_event_head_while_it_waits_for_a_row(app, directory, database_url):
    """A batch appended the event of its first row (holding the event head) before it locked
    the asset of its next row, which a single hand-over held while waiting for the head: a
    deadlock, which PostgreSQL broke by failing one of them (503 "database did not answer")."""
    _postgresql_only(database_url)
    stock(app, "NB-A", "NB-B")
    outcome: list = []

    def bulk() -> None:
        with app.app_context():
            try:
                hand_over_many(directory, [HandoverOrder("NB-A", EMPLOYEE), HandoverOrder("NB-B", EMPLOYEE2)], IT_STAFF)
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


def test_reporting_lost_an_asset_whose_loan_just_closed_is_a_conflict(app, client, it_headers):
    """`lost` read the asset as on_loan, then its active loan with scalar_one(): a return
    committed in between left none, and NoResultFound became a 500. Here the return is
    written behind the session's back after the asset was read (so on SQLite too)."""
    stock(app, "NB-001")
    loan = hand_over(client, it_headers).get_json()
    with app.app_context():
        asset = get_asset("NB-001")
        assert asset.status == "on_loan"
        db.session.execute(update(Loan).where(Loan.id == loan["id"]).values(status="returned")
                           .execution_options(synchronize_session=False))
        db.session.execute(update(Asset).where(Asset.id == asset.id).values(status="in_stock")
                           .execution_options(synchronize_session=False))
        with pytest.raises(Conflict, match="now in_stock"):
            move_status(asset, IT_STAFF, "lost", "reported lost at the desk")
        db.session.rollback()
        assert verify_chain().valid


def test_two_scans_of_one_tag_at_once_are_one_scan_and_a_duplicate(app, database_url):
    """The scan row was added to the session before the savepoint began, so its INSERT ran
    outside the savepoint: when a concurrent scan of the same tag won the unique index, the
    whole transaction was aborted and the fallback look-up failed (a 500). Here the other
    scan is inserted from a connection of its own, and committed while this one waits."""
    _postgresql_only(database_url)
    stock(app, "NB-001")
    with app.app_context():
        stocktake_id = start_stocktake(IT_STAFF, "JJ").id
        db.session.commit()
    outcome: list = []

    def scan_it() -> None:
        with app.app_context():
            try:
                result = scan(get_stocktake(stocktake_id), IT_STAFF, "nb-001")
                db.session.commit()
                outcome.append(("duplicate" if result.duplicate else "new", result.scan.scanned_by))
            except Exception as exc:  # noqa: BLE001 - the test reports whatever ended the scan
                db.session.rollback()
                outcome.append(repr(exc))
            finally:
                db.session.remove()

    with app.app_context():
        other = db.engine.connect()
    thread = threading.Thread(target=scan_it)
    try:
        other.execute(text("INSERT INTO stocktake_scans (stocktake_id, asset_tag, scanned_at, scanned_by) "
                           "VALUES (:id, 'NB-001', now(), 'it2')"), {"id": stocktake_id})
        other_pid = other.execute(text("SELECT pg_backend_pid()")).scalar()
        thread.start()
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock(app, other_pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert thread.is_alive() and not outcome, f"the scan should wait for the other one: {outcome}"
        other.commit()
    finally:
        other.close()
        if thread.ident is not None:
            thread.join(30)
    assert outcome == [("duplicate", "it2")]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(StocktakeScan)).scalar() == 1
