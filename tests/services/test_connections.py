"""fleet.connections on SQLite: the session's transactions and the session look-up (`read_alone`) borrow kept
connections instead of taking the pool's; each comes back with no transaction, whatever the unit of work did."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from fleet.connections import KEPT
from fleet.db import read_alone, run
from fleet.extensions import db
from fleet.models import Asset
from tests.api.test_loans_api import hand_over, stock
from tests.factories import create_asset
from tests.services.test_prepared import _ASSET_BY_TAG, _RENAME


@pytest.fixture
def sqlite_only(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL keeps its pool (each checkout checks the server is there)")


@pytest.fixture
def nb1(sqlite_only, ctx):
    """Asset NB-1, committed, in an app context."""
    create_asset(asset_tag="NB-1")


@contextmanager
def _pool_checkouts(engine):
    """How many connections the pool hands out meanwhile."""
    counted: list[int] = []

    def checkout(*_args) -> None:
        counted.append(1)

    event.listen(engine.pool, "checkout", checkout)
    try:
        yield counted
    finally:
        event.remove(engine.pool, "checkout", checkout)


def test_requests_one_after_the_other_take_nothing_of_the_pool(sqlite_only, app, client, it_headers):
    stock(app, "NB-001", "NB-002", "NB-003")
    assert hand_over(client, it_headers, tag="NB-001").status_code == 201  # the kept connections are made
    with app.app_context():
        engine = db.engine
    with _pool_checkouts(engine) as checkouts:
        for tag in ("NB-002", "NB-003"):
            assert hand_over(client, it_headers, tag=tag).status_code == 201
        assert client.get("/api/v1/loans", headers=it_headers).status_code == 200
    assert checkouts == []


def test_a_transaction_runs_on_a_borrowed_connection_that_comes_back_clean(sqlite_only, app):
    with app.app_context():
        create_asset(asset_tag="NB-1")
        connection = db.session.connection()
        assert connection.in_transaction()
        db.session.commit()
        assert not connection.in_transaction()
        # the next unit of work gets it again: no checkout
        assert db.session.connection() is connection
        db.session.rollback()


def test_a_failed_write_rolls_back_and_its_connection_comes_back_clean(sqlite_only, app):
    with app.app_context():
        create_asset(asset_tag="NB-1")
        db.session.commit()
        connection = db.session.connection()
        db.session.add(Asset(asset_tag="NB-1", serial_number="SN-2", category="laptop", manufacturer="LG",
                             model="gram", center_id=db.session.execute(select(Asset.center_id)).scalar(),
                             status="in_stock", accessories=[]))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert not connection.in_transaction()
        assert db.session.execute(select(Asset.asset_tag)).scalars().all() == ["NB-1"]
        db.session.rollback()


def test_a_session_closed_in_the_middle_of_a_write_keeps_nothing_of_it(sqlite_only, app):
    with app.app_context():
        create_asset(asset_tag="NB-1", model="gram 16")
        db.session.execute(update(Asset).values(model="gram 17"))  # never committed
        connection = db.session.connection()
        assert connection.in_transaction()
        db.session.remove()  # as at the end of a request that failed
        assert not connection.in_transaction()
    with app.app_context():
        assert db.session.execute(select(Asset.model)).scalars().all() == ["gram 16"]
        db.session.rollback()


def test_two_sessions_at_once_never_share_a_connection(sqlite_only, app):
    with app.app_context():
        first = db.session.connection()
        with app.app_context():  # another app context: another session
            second = db.session.connection()
            assert second is not first
            db.session.rollback()
        db.session.rollback()
    assert len(KEPT._idle) <= KEPT.KEEP


@contextmanager
def _connections_seen():
    """The connections the engine's statements run on, in order."""
    seen: list = []

    def listen(connection, *_args) -> None:
        seen.append(connection)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def test_a_read_alone_keeps_its_connection_and_no_transaction_between_reads(nb1):
    with _connections_seen() as seen:
        read_alone(_ASSET_BY_TAG, {"tag": "NB-1"})
        read_alone(_ASSET_BY_TAG, {"tag": "NB-1"})
    assert len(seen) == 2 and seen[0] is seen[1]  # one connection, kept: no checkout and checkin per read
    kept = seen[0]
    assert not kept.connection.dbapi_connection.in_transaction
    # and it holds no snapshot: a checkpoint of the whole WAL, which a reader's snapshot would hold back, goes through
    run(_RENAME, {"tag": "NB-1", "model": "gram 17", "now": datetime(2027, 1, 4, 1, tzinfo=UTC)})
    db.session.commit()
    other = sqlite3.connect(db.engine.url.database, timeout=5)  # a connection of no pool
    try:
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        other.close()
    assert busy == 0
    assert read_alone(_ASSET_BY_TAG, {"tag": "NB-1"}).one().model == "gram 17"


def test_a_read_alone_after_a_dispose_reads_on_a_new_connection_and_closes_the_old(nb1):
    with _connections_seen() as seen:
        read_alone(_ASSET_BY_TAG, {"tag": "NB-1"})
        db.session.remove()
        db.engine.dispose()  # as `fleet restore` does before it overwrites the file
        assert read_alone(_ASSET_BY_TAG, {"tag": "NB-1"}).one().asset_tag == "NB-1"
    old, new = seen
    assert new is not old and old.closed and not new.closed


def test_read_alones_at_once_in_threads_each_read_and_few_stay_open(sqlite_only, app):
    with app.app_context():
        create_asset(asset_tag="NB-1")
    answers: list = []
    start = threading.Barrier(6)

    def read() -> None:
        with app.app_context():
            start.wait()
            for _ in range(20):
                answers.append(read_alone(_ASSET_BY_TAG, {"tag": "NB-1"}).one().asset_tag)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["NB-1"] * 120
    with app.app_context():
        checked_out = db.engine.pool.checkedout()
    assert checked_out <= KEPT.KEEP  # the rest went back to the pool
