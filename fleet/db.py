"""Database plumbing: a UTC timestamp type and SQLite's locking discipline.

SQLite lets one writer at a time. A transaction that reads first and writes later
can fail at once with SQLITE_BUSY when another writer got in between, whatever the
busy timeout. So a unit of work that will write begins with BEGIN IMMEDIATE: it waits
for the write lock up front (up to the busy timeout) instead of failing half-way.
Requests that only read begin a plain deferred transaction and never block writers (WAL).
"""

from __future__ import annotations

import contextvars
import functools
import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from fleet.extensions import db

# Every table's id is an INTEGER column: 32 bits on PostgreSQL. A larger id names nothing (a 404), and is never
# sent to the database, which would refuse it (and SQLite would not: the same request would differ by database).
MAX_ID = 2**31 - 1

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("fleet_write_intent", default=False)


def declare_write_intent(value: bool = True) -> contextvars.Token:
    """Mark the current context as one that will write (SQLite: BEGIN IMMEDIATE)."""
    return _write_intent.set(value)


def write_intended() -> bool:
    """Whether the current unit of work declared that it will write."""
    return _write_intent.get()


def write_intent(view):
    """Mark a read-method view that writes (e.g. renders and registers a PDF on first download)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        declare_write_intent(True)
        return view(*args, **kwargs)

    return wrapped


@contextmanager
def reading():
    """A short read-only unit of work, even inside a request that will write later."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def end_short_read() -> None:
    """End the short read a request makes before its own work (the caller's session, a look-up before the
    directory is asked). On SQLite its transaction ends here: a write after it must begin with BEGIN IMMEDIATE,
    and no snapshot is held while the request waits on the directory. On PostgreSQL the request's later
    statements go on in the same transaction, two round trips (COMMIT, BEGIN) fewer: under READ COMMITTED each
    statement sees what is committed when it starts, and a SELECT locks no row."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.commit()


@contextmanager
def writing():
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (naive UTC text) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def run(statement, params: dict | None = None):
    """Execute a Core statement on the session's connection, inside the request's unit of work.

    For the hot path (hand-over, return, the event log): no ORM flush, and a statement
    built once at import is compiled once, not rebuilt and cache-keyed on every call.
    """
    return db.session.connection().execute(statement, params or {})


def utcnow() -> datetime:
    return datetime.now(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Take transaction control away from pysqlite so that the "begin" hook decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        pass  # opened read-only (mode=ro, e.g. to verify a backup): it keeps the journal mode it has
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
