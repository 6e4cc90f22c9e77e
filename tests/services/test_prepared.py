"""fleet.db.Prepared, the hot path's statements sent straight to the driver: on SQLite and PostgreSQL alike they
store and read back what SQLAlchemy's own execution does, stay in the session's transaction, raise SQLAlchemy's
exceptions, and show themselves to the engine's listeners. With them: `detached` (the objects the hot path builds
from their rows) and `read_alone` (the session look-up)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import DetachedInstanceError

from fleet.db import Prepared, columns_of, detached, insert_of, read_alone, run
from fleet.extensions import db
from fleet.models import Asset, Center, Loan, Notification
from tests.factories import create_asset

_NOTIFICATIONS, _LOANS = Notification.__table__, Loan.__table__
_QUEUE = Prepared(insert_of(_NOTIFICATIONS, ("kind", "recipient_uid", "language", "data", "status", "attempts",
                                             "next_attempt_at", "created_at")).returning(_NOTIFICATIONS.c.id))
_READ = Prepared(select(_NOTIFICATIONS.c.id, _NOTIFICATIONS.c.data, _NOTIFICATIONS.c.next_attempt_at,
                        _NOTIFICATIONS.c.created_at).where(_NOTIFICATIONS.c.id == bindparam("nid")))
_ASSETS = Asset.__table__
_RENAME = Prepared(update(_ASSETS).where(_ASSETS.c.asset_tag == bindparam("tag"))
                   .values(model=bindparam("model", type_=_ASSETS.c.model.type),
                           updated_at=bindparam("now", type_=_ASSETS.c.updated_at.type)))
_LOAN_COLUMNS = tuple(c.key for c in _LOANS.columns if c.key != "id")
_INSERT_LOAN = Prepared(insert_of(_LOANS, _LOAN_COLUMNS).returning(_LOANS.c.id))
SEOUL = timezone(timedelta(hours=9))


def test_values_go_in_and_come_back_as_sqlalchemy_would_have_them(ctx):
    at = datetime(2027, 1, 1, 0, 30, tzinfo=SEOUL)  # 31 December 2026, 15:30 UTC
    nid = run(_QUEUE, {"kind": "handover_receipt", "recipient_uid": "emp1", "language": "ko",
                       "data": {"loan_id": 7, "이름": "지은"}, "status": "queued", "attempts": 0,
                       "next_attempt_at": at, "created_at": at}).scalar_one()
    row = run(_READ, {"nid": nid}).one()
    assert row.id == nid and row.data == {"loan_id": 7, "이름": "지은"}
    assert row.next_attempt_at == at and row.next_attempt_at.tzinfo is not None
    assert row.created_at.utcoffset() == timedelta(0)
    db.session.expire_all()
    stored = db.session.get(Notification, nid)  # the ORM reads the same row the same way
    assert (stored.data, stored.next_attempt_at) == ({"loan_id": 7, "이름": "지은"}, at)
    assert stored.kind == "handover_receipt"
    assert run(_READ, {"nid": nid + 1000}).one_or_none() is None
    assert run(_READ, {"nid": nid + 1000}).first() is None


def test_a_statement_stays_in_the_sessions_transaction(ctx):
    create_asset(asset_tag="NB-1")
    now = datetime(2027, 1, 4, 1, tzinfo=UTC)
    assert run(_RENAME, {"tag": "NB-1", "model": "gram 17", "now": now}).rowcount == 1
    assert run(_RENAME, {"tag": "NB-2", "model": "gram 17", "now": now}).rowcount == 0
    db.session.rollback()
    assert db.session.execute(select(Asset.model).where(Asset.asset_tag == "NB-1")).scalar_one() != "gram 17"


def test_a_refused_row_is_sqlalchemys_integrity_error_and_the_session_goes_on(ctx):
    asset = create_asset(asset_tag="NB-1")
    values = dict.fromkeys(_LOAN_COLUMNS) | {
        "asset_id": asset.id, "center_id": asset.center_id, "status": "active", "assignee_uid": "emp1",
        "assignee_name": "이지은", "issued_by": "it1", "checked_out_at": datetime(2027, 1, 4, 1, tzinfo=UTC),
        "due_date": date(2027, 1, 18), "accessories_out": ["charger"]}
    first = run(_INSERT_LOAN, values).scalar_one()
    with pytest.raises(IntegrityError):  # the unique index on an asset's open loan
        run(_INSERT_LOAN, values)
    db.session.rollback()
    assert db.session.get(Loan, first) is None  # rolled back with the transaction it was in
    loan_id = run(_INSERT_LOAN, values).scalar_one()
    db.session.commit()
    loan = db.session.get(Loan, loan_id)
    assert (loan.due_date, loan.accessories_out, loan.accessories_returned) == (date(2027, 1, 18), ["charger"], None)


def test_the_engines_listeners_see_each_statement(ctx):
    seen: list[str] = []

    def listen(_connection, _cursor, statement, *_args) -> None:
        seen.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        run(_READ, {"nid": 1})
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert seen[-1] == "SELECT"


def test_what_it_cannot_send_as_sqlalchemy_would_is_refused(ctx):
    in_list = Prepared(select(Asset.id).where(Asset.asset_tag.in_(bindparam("tags", expanding=True))))
    with pytest.raises(ValueError, match="IN lists"):
        run(in_list, {"tags": ["NB-1"]})
    # assets.updated_at is set on every UPDATE by SQLAlchemy (onupdate): a statement that leaves it out would
    # write NULL
    forgetful = Prepared(update(_ASSETS).where(_ASSETS.c.asset_tag == bindparam("tag")).values(model="x"))
    with pytest.raises(ValueError, match="updated_at"):
        run(forgetful, {"tag": "NB-1"})


_ASSET_BY_TAG = Prepared(select(*_ASSETS.columns).where(_ASSETS.c.asset_tag == bindparam("tag")))


def test_a_numeric_column_comes_back_a_decimal(ctx):
    # psycopg says which type it sent a NUMERIC as: the result's processors are worked out from the first rows
    create_asset(asset_tag="NB-1", purchase_cost=Decimal("1299000.50"))
    assert run(_ASSET_BY_TAG, {"tag": "NB-1"}).one().purchase_cost == Decimal("1299000.50")


def test_an_object_built_from_its_row_is_as_loaded_and_outside_the_session(ctx):
    stored = create_asset(asset_tag="NB-1")
    row = run(_ASSET_BY_TAG, {"tag": "NB-1"}).one()
    center = db.session.get(Center, stored.center_id)
    asset = detached(Asset, columns_of(row), center=center)
    assert (asset.id, asset.asset_tag, asset.accessories, asset.center.code) == (
        stored.id, "NB-1", ["charger", "bag"], center.code)
    assert asset not in db.session and not db.session.dirty
    db.session.commit()  # the session's objects expire; this one is no part of it
    assert asset.model == "gram 16"
    loan = detached(Loan, dict.fromkeys(_LOAN_COLUMNS) | {"id": 7, "asset_id": asset.id, "status": "active"})
    with pytest.raises(DetachedInstanceError):
        _ = loan.asset  # a relationship not given is never a silent None
    with pytest.raises(ValueError, match="due_date"):
        detached(Loan, dict.fromkeys(_LOAN_COLUMNS[:8]) | {"id": 8})  # nor a column left out


def test_a_read_alone_sends_no_begin_on_sqlite_and_holds_no_transaction(ctx):
    create_asset(asset_tag="NB-1")
    seen: list[str] = []

    def listen(_connection, _cursor, statement, *_args) -> None:
        seen.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert read_alone(_ASSET_BY_TAG, {"tag": "NB-1"}).one().asset_tag == "NB-1"
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    if db.engine.dialect.name == "sqlite":
        assert seen == ["SELECT"]
        assert not db.session().in_transaction()
        # it sees what is committed, not what the session is writing
        run(_RENAME, {"tag": "NB-1", "model": "gram 17", "now": datetime(2027, 1, 4, 1, tzinfo=UTC)})
        assert read_alone(_ASSET_BY_TAG, {"tag": "NB-1"}).one().model == "gram 16"
        db.session.rollback()
    else:
        assert seen[-1] == "SELECT" and db.session().in_transaction()  # the request's own transaction


# ---- UTCDateTime on SQLite: its own one-step processors write and read what the general ones do ----------------

_MOMENTS = [datetime(2026, 12, 6, 3, 4, 5, 6, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2027, 1, 1, 8, 30, tzinfo=timezone(timedelta(hours=9))),  # a Seoul new year: 2026 in UTC
            datetime(1999, 1, 2, 0, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC), datetime(9999, 12, 31, 12, tzinfo=UTC)]


def test_utc_datetimes_are_written_and_read_on_sqlite_as_sqlalchemy_does():
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.types import TypeDecorator

    from fleet.db import UTCDateTime

    dialect = sqlite.dialect()
    column = UTCDateTime().dialect_impl(dialect)  # what statements use: its impl SQLite's DATETIME
    quick_bind, general_bind = column.bind_processor(dialect), TypeDecorator.bind_processor(column, dialect)
    quick_read, general_read = (column.result_processor(dialect, None),
                                TypeDecorator.result_processor(column, dialect, None))
    for moment in _MOMENTS:
        stored = quick_bind(moment)
        assert stored == general_bind(moment) and len(stored) == 26
        assert quick_read(stored) == general_read(stored) == moment and quick_read(stored).tzinfo is UTC
    assert quick_bind(None) is None and quick_read(None) is None
    # text not written by Fleet (a default of the database, a date alone) is read by the general processor
    for text in ("2026-12-06 03:04:05", "2026-12-06", "2026-12-06T03:04:05.000006", "2026-12-06 03:04:05.1",
                 "2026-12-06 03:04:05.1+0900", "2026-12-06 03:04:05+09:00"):
        assert quick_read(text) == general_read(text)
    with pytest.raises(ValueError, match="naive"):
        quick_bind(datetime(2026, 12, 6, 3, 4, 5))
