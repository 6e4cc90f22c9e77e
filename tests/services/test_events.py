"""The hash chain: appends, verification, tampering, concurrent writers."""

from __future__ import annotations

import threading

from sqlalchemy import text

from fleet.db import writing
from fleet.extensions import db
from fleet.models import Event
from fleet.services.events import append_event, verify_chain


def _append(n: int, actor: str = "it1") -> None:
    for i in range(n):
        append_event(actor, "test.happened", "test", i, after={"i": i, "이름": "김민수"})
    db.session.commit()


def test_an_empty_log_verifies(ctx):
    result = verify_chain()
    assert result.valid and result.count == 0 and result.first_bad_seq is None


def test_appends_chain_and_verify(ctx):
    _append(5)
    events = db.session.execute(db.select(Event).order_by(Event.seq)).scalars().all()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    result = verify_chain(batch_size=2)
    assert result.valid and result.count == 5 and result.head == events[-1].hash


def test_any_edit_of_a_past_entry_is_found(ctx):
    _append(6)
    for column, value in [("data", '{"i":99}'), ("actor", "mallory"), ("at", None), ("action", "x"),
                          ("subject_id", "77")]:
        original = db.session.execute(text(f"SELECT {column} FROM events WHERE seq = 3")).scalar()
        if column == "at":
            db.session.execute(text("UPDATE events SET at = at + interval '1 second' WHERE seq = 3")
                               if db.engine.dialect.name == "postgresql" else
                               text("UPDATE events SET at = datetime(at, '+1 second') WHERE seq = 3"))
        else:
            db.session.execute(text(f"UPDATE events SET {column} = :v WHERE seq = 3"), {"v": value})
        db.session.commit()
        result = verify_chain()
        assert not result.valid and result.first_bad_seq == 3, column
        db.session.execute(text(f"UPDATE events SET {column} = :v WHERE seq = 3"), {"v": original})
        db.session.commit()
        assert verify_chain().valid


def test_a_rewritten_chain_tail_or_deletion_is_found(ctx):
    _append(4)
    db.session.execute(text("DELETE FROM events WHERE seq = 4"))
    db.session.commit()
    result = verify_chain()
    assert not result.valid and result.first_bad_seq == 4
    db.session.execute(text("DELETE FROM events WHERE seq = 2"))
    db.session.commit()
    assert verify_chain().first_bad_seq == 2


def test_concurrent_writers_form_one_chain(app):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with app.app_context(), writing():
                for i in range(10):
                    append_event(f"w{n}", "test.happened", "test", i)
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        result = verify_chain()
        assert result.valid and result.count == 60


def test_the_migrations_match_the_models(app):
    """Every model change comes with a migration: autogenerate finds nothing to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context():
        diff = compare_metadata(MigrationContext.configure(db.session.connection()), db.metadata)
    assert diff == []


def test_a_chain_without_its_head_row_gets_one_and_appends(ctx):
    """Both chains' append (fleet.services.chains.Appending): when the head row is missing (a database made
    without the migrations' rows), the head is made and the append made again, as the first entry of the chain."""
    from fleet.access_log.chain import Access, append_access, verify_access_log

    db.session.execute(text("DELETE FROM event_head"))
    db.session.execute(text("DELETE FROM access_head"))
    db.session.commit()
    _append(2)
    append_access("it1", "it", "10.0.0.1", Access("view", "loan:1", ("emp1",)))
    db.session.commit()
    assert [e.seq for e in db.session.execute(db.select(Event).order_by(Event.seq)).scalars()] == [1, 2]
    events, accesses = verify_chain(), verify_access_log()
    assert events.valid and events.count == 2 and accesses.valid and accesses.count == 1
