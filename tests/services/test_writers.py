"""fleet.writers: Fleet's SQLite writers wait for each other on a file lock beside the database, taken before
BEGIN IMMEDIATE and let go when the transaction ends, whatever way it ends."""

from __future__ import annotations

import fcntl
import gc
import os
import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from fleet import writers
from fleet.db import declare_write_intent
from fleet.extensions import db
from fleet.writers import QueuedConnection
from tests.api.test_loans_api import hand_over, stock


def _connect(path, timeout: float = 30) -> QueuedConnection:
    return sqlite3.connect(path, factory=QueuedConnection, isolation_level=None, timeout=timeout,
                           check_same_thread=False)


def _queue_free(database) -> bool:
    """Whether another open of the lock file gets the lock now (it is let go of at once)."""
    with open(f"{database}-writers", "rb") as other:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(other, fcntl.LOCK_UN)
        return True


@contextmanager
def _write_intent(value: bool):
    token = declare_write_intent(value)
    try:
        yield
    finally:
        token.var.reset(token)


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "fleet.sqlite"
    with _connect(path) as setup:
        setup.execute("CREATE TABLE counter (n INTEGER)")
        setup.execute("INSERT INTO counter VALUES (0)")
    return path


def test_a_writer_waits_in_the_queue_until_the_other_commits(database, monkeypatch):
    monkeypatch.setattr(writers, "PATIENCE", 600.0)  # however slow the machine, it waits for the commit
    first, second = _connect(database), _connect(database)
    first.enter_queue()
    first.execute("BEGIN IMMEDIATE")
    first.execute("UPDATE counter SET n = n + 1")
    assert not _queue_free(database)
    order: list[str] = []
    waiting = threading.Thread(target=lambda: (second.enter_queue(), order.append("second in")))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and order == []  # still in the queue: `first` holds it
    order.append("first commits")
    first.commit()
    waiting.join(10)
    assert order == ["first commits", "second in"]
    second.execute("BEGIN IMMEDIATE")  # SQLite's lock is free too: no wait in the busy handler
    assert second.execute("SELECT n FROM counter").fetchone() == (1,)
    second.rollback()
    assert _queue_free(database)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_every_end_of_a_transaction_lets_go_of_the_queue(database, end):
    writer = _connect(database)
    writer.enter_queue()
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE counter SET n = n + 1")
    assert not _queue_free(database)
    getattr(writer, end)()
    assert _queue_free(database)


def test_a_connection_dropped_unclosed_lets_go_of_the_queue(database):
    """With its lock file (sqlite3's statement cache refers back to its connection: the cycle collector frees it)."""
    writer = _connect(database)
    writer.enter_queue()
    assert not _queue_free(database)
    del writer
    gc.collect()
    assert _queue_free(database)


def test_reads_do_not_take_the_queue(database):
    engine = create_engine(f"sqlite:///{database}", connect_args={"factory": QueuedConnection})
    with _write_intent(False), engine.begin() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 0
    assert not database.with_name("fleet.sqlite-writers").exists()  # never opened
    with _write_intent(True), engine.begin() as connection:
        connection.execute(text("UPDATE counter SET n = n + 1"))
        assert not _queue_free(database)
    assert _queue_free(database)
    engine.dispose()


def test_a_begin_that_fails_lets_go_of_the_queue(database):
    """A writer outside the queue (the sqlite3 shell) holds SQLite's lock past the busy timeout: the BEGIN fails
    as before, and the queue is free for the next writer."""
    outside = sqlite3.connect(database, isolation_level=None)
    outside.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{database}", connect_args={"factory": QueuedConnection})
    # after fleet.db's own connect hook, which sets 30 s
    event.listen(engine, "connect", lambda driver, _record: driver.execute("PRAGMA busy_timeout=50"))
    with _write_intent(True):
        connection = engine.connect()  # held open, as a kept connection is (fleet.connections)
        with pytest.raises(OperationalError, match="database is locked"):
            connection.begin()
        assert _queue_free(database)
        connection.close()
        outside.rollback()
        with engine.begin() as connection:
            connection.execute(text("UPDATE counter SET n = n + 1"))
    assert _queue_free(database)
    engine.dispose()


def test_a_writer_leaves_a_queue_held_too_long_for_sqlites_own_wait(database, monkeypatch):
    """No wait in the queue is endless: after PATIENCE the writer goes on to BEGIN IMMEDIATE without it."""
    monkeypatch.setattr(writers, "PATIENCE", 0.05)
    holder = _connect(database)
    holder.enter_queue()  # holds the queue, not SQLite's lock
    writer = _connect(database)
    writer.enter_queue()
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE counter SET n = n + 1")
    writer.commit()
    assert not _queue_free(database)  # the holder's lock was never taken from it
    holder.leave_queue()
    assert _queue_free(database)


def test_a_child_of_a_fork_does_not_let_go_of_its_parents_lock(database):
    """The lock file's open description is shared with a child: its end of an inherited transaction is not ours."""
    writer = _connect(database)
    writer.enter_queue()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            writer.leave_queue()
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    assert not _queue_free(database)
    writer.leave_queue()
    assert _queue_free(database)


def test_a_database_opened_read_only_gets_no_lock_file(database):
    reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True, factory=QueuedConnection, isolation_level=None)
    reader.enter_queue()
    reader.execute("BEGIN IMMEDIATE")
    reader.rollback()
    reader.close()
    assert not database.with_name("fleet.sqlite-writers").exists()


def test_a_database_in_memory_has_no_queue():
    memory = sqlite3.connect(":memory:", factory=QueuedConnection, isolation_level=None)
    memory.enter_queue()
    memory.execute("BEGIN IMMEDIATE")
    memory.commit()


def test_writers_in_threads_lose_no_update(database):
    """Four threads, 50 read-then-write transactions each, through the queue: every increment is kept."""
    def work() -> None:
        connection = _connect(database)
        for _ in range(50):
            connection.enter_queue()
            connection.execute("BEGIN IMMEDIATE")
            n = connection.execute("SELECT n FROM counter").fetchone()[0]
            connection.execute("UPDATE counter SET n = ?", (n + 1,))
            connection.commit()
        connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with _connect(database) as check:
        assert check.execute("SELECT n FROM counter").fetchone() == (200,)
    assert _queue_free(database)


def test_fleets_engine_queues_its_writers(app, client, it_headers):
    """The app's SQLite connections take part, and a hand-over through the API leaves the queue free."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL has no writers' queue: its writers lock rows")
        path = db.engine.url.database
    stock(app, "NB-001")
    assert hand_over(client, it_headers, tag="NB-001").status_code == 201
    assert _queue_free(path)
    with app.app_context():
        with db.engine.connect() as connection:
            assert isinstance(connection.connection.dbapi_connection, QueuedConnection)
