"""Database plumbing: a UTC timestamp type and SQLite's locking discipline.

SQLite lets one writer at a time. A transaction that reads first and writes later
can fail at once with SQLITE_BUSY when another writer got in between, whatever the
busy timeout. So a unit of work that will write begins with BEGIN IMMEDIATE: it waits
for the write lock up front (up to the busy timeout) instead of failing half-way.
Requests that only read begin a plain deferred transaction and never block writers (WAL).
"""

from __future__ import annotations

import collections
import contextvars
import functools
import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Response
from sqlalchemy import DateTime, bindparam, event, exc, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.types import TypeDecorator

from fleet import problems
from fleet.connections import KEPT
from fleet.extensions import db
from fleet.writers import QueuedConnection

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


def work_pending() -> bool:
    """Whether the request's session has anything to commit or roll back: a transaction begun (a read, a write,
    an object added), or a change to an object loaded before the last commit. A request that never touched the
    database, or whose view committed its change itself (fleet.api.common.committed), has none: its commit hook
    then skips the session's begin-and-commit of nothing (some 50 µs of Python)."""
    registry = db.session.registry
    if not registry.has():
        return False
    session = registry()
    return session.in_transaction() or bool(session.new or session.dirty or session.deleted)


def commit_or_refusal() -> Response | None:
    """Commit the request's unit of work; when the database refuses, roll back and answer the problem to send
    instead (409: a unique rule broken by a change made at the same moment; 503: the database busy)."""
    try:
        db.session.commit()
    except exc.IntegrityError:
        db.session.rollback()
        return problems.problem_response(
            409, "Conflict", "The change conflicts with another one made at the same moment; try again.")
    except exc.OperationalError:
        db.session.rollback()
        return problems.problem_response(503, "Database busy", "The database is busy; try again in a moment.",
                                         headers={"Retry-After": "2"})
    return None


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

    # SQLite: the text SQLAlchemy's DATETIME writes and reads ("2026-12-06 03:04:05.000006") made and read by
    # isoformat and fromisoformat around process_bind_param and process_result_value, not by DATETIME's own
    # processor (a format of nine fields, a regular expression back): the hot path binds and reads a dozen of these
    # a request. Any other text is read as before.
    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value):
            stored = self.process_bind_param(value, dialect)
            return None if stored is None else stored.isoformat(" ", "microseconds")

        return process

    def result_processor(self, dialect, coltype):
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite":
            return general

        def process(value):
            if value is None:
                return None
            # as written above (no offset, six digits of microseconds); any other text as SQLAlchemy reads it
            if isinstance(value, str) and len(value) == 26 and value[10] == " " and value[19] == "." \
                    and value[20:].isdigit():
                return self.process_result_value(datetime.fromisoformat(value), dialect)
            return general(value)

        return process


def session_connection():
    """The connection of the session's transaction (begun now if it is not): `db.session.connection()`, without
    going through the session's bookkeeping again for each of the hot path's statements (some 10 µs a call). The
    session says which connection it began on (`after_begin`) and when its transaction ends; between the two, this
    is that connection."""
    session = db.session()
    held = session.info.get(_HELD)
    return held if held is not None else session.connection()


_HELD = "fleet_connection"


@event.listens_for(Session, "after_begin")
def _hold_connection(session, transaction, connection) -> None:
    if transaction.parent is None:  # the root transaction (a SAVEPOINT keeps its root's connection)
        session.info[_HELD] = connection


@event.listens_for(Session, "after_transaction_end")
def _release_connection(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_HELD, None)


def run(statement, params: dict | None = None):
    """Execute a Core statement on the session's connection, inside the request's unit of work.

    For the hot path (hand-over, return, the event log): no ORM flush, and a statement
    built once at import is compiled once, not rebuilt and cache-keyed on every call.
    A `Prepared` statement goes further: see there.
    """
    connection = session_connection()
    if isinstance(statement, Prepared):
        return statement.execute(connection, params or {})
    return connection.execute(statement, params or {})


class Prepared:
    """A Core statement of the hot path, compiled once per database and sent straight to the driver's cursor.

    SQLAlchemy's `Connection.execute` spends some 20–60 µs of Python per statement on what never changes for a
    statement built once at import (the compiled form's lookup, the parameters' assembly, the result's set-up);
    a hand-over and its return send some 30 on SQLite. Here the SQL text, the parameters' order, their type
    processors (UTC datetimes, JSON, dates: exactly SQLAlchemy's own) and the result columns' processors are
    worked out once per dialect; a call fills in the values and runs the cursor. It stays inside the session's
    transaction (the connection is the session's), fires the engine's `before_cursor_execute` and
    `after_cursor_execute` listeners (statement counts in the tests), and raises SQLAlchemy's own exceptions
    (`IntegrityError`, `OperationalError` …). Refused when first run: a statement with expanding (`IN`)
    parameters, or one that leaves a column's Python `default` or `onupdate` to SQLAlchemy (`insert_of` names
    every column written).
    """

    __slots__ = ("statement", "_by_dialect")

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def execute(self, connection, params: dict) -> PreparedResult:
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        values = compiled.defaults | params
        for name, process in compiled.processors:
            values[name] = process(values[name])
        arguments = tuple(values[name] for name in compiled.order) if compiled.order is not None else values
        cursor = connection.connection.cursor()
        dispatch = connection.dispatch
        observed = connection._has_events or connection.engine._has_events  # as Connection.execute decides
        if observed:
            dispatch.before_cursor_execute(connection, cursor, compiled.sql, arguments, None, False)
        try:
            cursor.execute(compiled.sql, arguments)
            description = cursor.description
            rows = cursor.fetchall() if description is not None else None
            rowcount = cursor.rowcount
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            invalidated = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
            if invalidated:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(compiled.sql, arguments, error, dialect.loaded_dbapi.Error,
                                          connection_invalidated=invalidated, dialect=dialect) from error
        cursor.close()
        if observed:
            dispatch.after_cursor_execute(connection, cursor, compiled.sql, arguments, None, False)
        if not rows:
            return PreparedResult(None, [], rows, rowcount)
        return PreparedResult(compiled.row_of(description), compiled.processors_of(description), rows, rowcount)


def detached(model, values: dict, **related):
    """An object of `model` as the ORM would load it, from the values a Core statement just read or wrote, but
    outside the session: the hot path's loan, asset and center.

    The ORM spends some 100–150 µs of Python on each object it loads or adds (the query's loading set-up, the
    unit of work, the identity map); this costs a few. `values` must hold every column (ValueError otherwise);
    `related`: the objects of its relationships, set as loaded (reading one not given raises
    DetachedInstanceError: loud, never a stale value). Changes to it are never flushed: the hot path writes with
    Core statements and sets what they wrote with `set_committed_value`.
    """
    mapper = model.__mapper__
    columns = _COLUMNS.get(model)
    if columns is None:
        columns = _COLUMNS[model] = frozenset(attribute.key for attribute in mapper.column_attrs)
    if not columns <= values.keys():
        # an absent column would read as None, not raise, on an object outside the session
        raise ValueError(f"{model.__name__} needs every column: {', '.join(sorted(columns - values.keys()))} missing")
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    # as make_transient_to_detached would, without expiring what is absent: no column is, and a relationship
    # not given raises DetachedInstanceError when read (its lazy load needs a session)
    instance_state(obj).key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    for name, other in related.items():
        set_committed_value(obj, name, other)
    return obj


_COLUMNS: dict[type, frozenset[str]] = {}


def dialect_name() -> str:
    """The database's kind ("sqlite", "postgresql"): the engine's, without the session's bind look-up."""
    return db.engine.dialect.name


def columns_of(row, prefix: str = "") -> dict:
    """The values of a row's columns named `prefix…`, by their names without it: a row of one table's columns
    beside other tables' labelled `asset__id`, `center__code` … (no prefix: the columns without `__` in their
    names, the first table's)."""
    if not prefix:
        return {name: value for name, value in zip(row._fields, row, strict=True) if "__" not in name}
    return {name[len(prefix):]: value for name, value in zip(row._fields, row, strict=True)
            if name.startswith(prefix)}


def read_alone(statement: Prepared, params: dict) -> PreparedResult:
    """A read made before the request's own work, that no transaction need hold: the caller's session look-up, and
    the loan a return or a loss closes (`fleet.services.loans.read_loan`: they change it only if it is unchanged).

    On SQLite it runs on a kept connection (fleet.connections) with no BEGIN and no COMMIT: SQLite reads it in an
    implicit read transaction that ends with the statement, so no snapshot is held while the request goes on (a
    hand-over asks the directory next), and a write after it begins with BEGIN IMMEDIATE. On PostgreSQL it is the first
    statement of the request's transaction, as `run` (no round trip more: under READ COMMITTED each statement sees
    what is committed when it starts, and a SELECT locks no row)."""
    if dialect_name() != "sqlite":
        return run(statement, params)
    key, connection = KEPT.borrow(db.engine)  # fleet.connections: no checkout from the pool
    try:
        return statement.execute(connection, params)
    finally:
        KEPT.give_back(key, connection)


def insert_of(table, columns, **fixed):
    """An INSERT of exactly these columns, each bound by its own name and type (a `Prepared` statement sends
    what it is given: the columns' Python defaults are for the caller to pass), and `fixed` values."""
    return insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns} | fixed)


class _Compiled:
    """One statement's SQL text for one dialect, with what turns values into the driver's and back."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params or compiled.escaped_bind_names:
            raise ValueError("a prepared statement takes plain parameters only (no IN lists)")
        if compiled.insert_prefetch or compiled.update_prefetch:
            # SQLAlchemy would work these out in Python as it executes (`default=`, `onupdate=`); here nothing would
            raise ValueError("a prepared statement sets every column that has a Python default or onupdate itself: "
                             + ", ".join(c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)))
        self.sql = compiled.string
        self.order = list(compiled.positiontup) if compiled.positional else None
        names = compiled.bind_names  # BindParameter -> its name in the SQL
        self.defaults = {name: bind.effective_value for bind, name in names.items() if not bind.required}
        # one processor per name: a name bound in two places (`now`) is one value
        processors = {name: bind.type._cached_bind_processor(dialect) for bind, name in names.items()}
        self.processors = [(name, process) for name, process in processors.items() if process is not None]
        returned = statement.selected_columns if hasattr(statement, "selected_columns") else \
            getattr(statement, "_returning", None)
        # A plain text() declares no columns: its rows (if any) keep the driver's values, named as it names them.
        self.row: type | None = None
        self._returned: list = []
        self.result_processors: list | None = None
        if returned:
            returned = list(returned)
            self.row = collections.namedtuple("Row", [getattr(column, "key", None) or f"_{i}"
                                                      for i, column in enumerate(returned)], rename=True)
            self._returned = returned
        self._dialect = dialect

    def processors_of(self, description) -> list[tuple[int, Callable]]:
        """The result columns' processors by their places in a row (the columns without one left out), worked out
        at the first rows: some depend on the type the driver says it sent (a NUMERIC on PostgreSQL), as
        SQLAlchemy's own do."""
        if self.result_processors is None:
            processors = [column.type._cached_result_processor(self._dialect, described[1])
                          for column, described in zip(self._returned, description, strict=False)]
            self.result_processors = [(index, process) for index, process in enumerate(processors)
                                      if process is not None]
        return self.result_processors

    def row_of(self, description) -> type:
        if self.row is None:
            self.row = collections.namedtuple("Row", [column[0] for column in description], rename=True)
        return self.row


class PreparedResult:
    """The answer of a `Prepared` statement: its rows fetched (converted by their columns' types), its rowcount,
    and the few ways the services read a result (`first`, `one`, `one_or_none`, `scalar_one`, `scalars`, `all`)."""

    __slots__ = ("rowcount", "_rows")

    def __init__(self, row_type: type | None, processors: list[tuple[int, Callable]], rows, rowcount: int):
        self.rowcount = rowcount
        if rows:
            make = row_type._make
            if processors:
                converted = []
                for row in rows:
                    values = list(row)
                    for index, process in processors:
                        values[index] = process(values[index])
                    converted.append(make(values))
                rows = converted
            else:
                rows = [make(row) for row in rows]
        self._rows = rows or []

    def all(self) -> list:
        return self._rows

    def __iter__(self):
        return iter(self._rows)

    def first(self):
        return self._rows[0] if self._rows else None

    def one_or_none(self):
        if len(self._rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def one(self):
        if len(self._rows) != 1:
            raise (exc.NoResultFound("No row was found when one was required") if not self._rows else
                   exc.MultipleResultsFound("Multiple rows were found when exactly one was required"))
        return self._rows[0]

    def scalar_one(self):
        return self.one()[0]

    def scalar(self):
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> list:
        return [row[0] for row in self._rows]


def utcnow() -> datetime:
    return datetime.now(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
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
    # What PostgreSQL's encode(sha256(convert_to(text, 'UTF8')), 'hex') is: a chain's append hashes its entry in
    # the head's UPDATE on both databases (fleet.services.chains.hashing_head_update).
    dbapi_connection.create_function("fleet_sha256", 1, _sha256_hex, deterministic=True)


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Every unit of work on SQLite begins with one of these: sent straight to the driver (see Prepared).
_BEGIN = {True: Prepared(text("BEGIN IMMEDIATE")), False: Prepared(text("BEGIN"))}


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    if not _write_intent.get():
        _BEGIN[False].execute(conn, {})
        return
    driver = conn.connection.dbapi_connection
    queued = isinstance(driver, QueuedConnection)
    if queued:
        driver.enter_queue()  # fleet.writers: wait for the other writers there, not in SQLite's busy handler
    try:
        _BEGIN[True].execute(conn, {})
    except BaseException:
        if queued:
            driver.leave_queue()
        raise
