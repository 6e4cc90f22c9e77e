"""`fleet backup`, `fleet restore` and `fleet verify`, end to end on SQLite and PostgreSQL:
the restored database verifies its event chain and every registered document's hash."""

from __future__ import annotations

import sqlite3

from fleet.extensions import db
from fleet.models import Document, Loan
from tests.api.test_loans_api import hand_over, stock


def _loans_with_forms(app, client, it_headers, *tags: str) -> None:
    stock(app, *tags)
    for tag in tags:
        loan = hand_over(client, it_headers, tag=tag).get_json()
        form = client.get(loan["handover_document"]["url"], headers=it_headers)  # rendered and hashed now
        assert form.status_code == 200 and form.data.startswith(b"%PDF")


def _count_loans(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(Loan)).scalar()


def test_backup_then_restore_gives_back_a_database_that_verifies(app, client, it_headers, tmp_path, database_url):
    _loans_with_forms(app, client, it_headers, "NB-001", "NB-002")
    runner = app.test_cli_runner()
    target = tmp_path / "fleet.backup"
    made = runner.invoke(args=["fleet", "backup", str(target)])
    assert made.exit_code == 0, made.output
    assert target.stat().st_size > 0 and not (tmp_path / "fleet.backup.partial").exists()
    if database_url.startswith("sqlite"):
        assert "event chain: 3 events, verified" in made.output, made.output  # the log-in and 2 hand-overs
        assert "2 checked against their SHA-256" in made.output and "all match" in made.output
        # Verified read-only: still one self-contained file, as it was written.
        with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as copy:
            assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.backup"]

    _loans_with_forms(app, client, it_headers, "NB-003")  # after the backup: the restore takes it away
    assert _count_loans(app) == 3

    refused = runner.invoke(args=["fleet", "restore", str(target)])
    assert refused.exit_code != 0 and "--yes" in refused.output and _count_loans(app) == 3

    restored = runner.invoke(args=["fleet", "restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "verified" in restored.output and "all match" in restored.output, restored.output
    assert _count_loans(app) == 2
    verified = runner.invoke(args=["fleet", "verify"])
    assert verified.exit_code == 0 and "event chain: 3 events, verified" in verified.output, verified.output
    # Fleet works on as before on the restored database.
    stock(app, "NB-004")
    assert hand_over(client, it_headers, tag="NB-004").status_code == 201


def test_verify_finds_a_document_whose_bytes_changed(app, client, it_headers):
    _loans_with_forms(app, client, it_headers, "NB-001")
    with app.app_context():
        document = db.session.execute(db.select(Document).where(Document.sha256.is_not(None))).scalar_one()
        document.content = document.content.replace(b"%PDF", b"%PDX", 1)
        db.session.commit()
        document_id = document.id
    result = app.test_cli_runner().invoke(args=["fleet", "verify"])
    assert result.exit_code == 1, result.output
    assert f"1 DO NOT MATCH: ids [{document_id}]" in result.output and "does not verify" in result.output


def test_a_tampered_sqlite_backup_is_refused_and_nothing_is_restored(app, client, it_headers, tmp_path,
                                                                     database_url):
    if not database_url.startswith("sqlite"):
        return  # a custom-format pg_dump is checked after pg_restore, by the test above
    _loans_with_forms(app, client, it_headers, "NB-001")
    runner = app.test_cli_runner()
    target = tmp_path / "fleet.sqlite"
    assert runner.invoke(args=["fleet", "backup", str(target)]).exit_code == 0
    with sqlite3.connect(target) as copy:
        copy.execute("UPDATE events SET actor = 'someone-else' WHERE seq = 1")
    _loans_with_forms(app, client, it_headers, "NB-002")
    result = runner.invoke(args=["fleet", "restore", str(target), "--yes"])
    assert result.exit_code != 0 and "BROKEN at event 1" in result.output and "nothing was restored" in result.output
    assert _count_loans(app) == 2


def test_backup_never_overwrites_a_file(app, tmp_path):
    target = tmp_path / "there.sqlite"
    target.write_bytes(b"keep me")
    result = app.test_cli_runner().invoke(args=["fleet", "backup", str(target)])
    assert result.exit_code != 0 and "exists already" in result.output
    assert target.read_bytes() == b"keep me"
