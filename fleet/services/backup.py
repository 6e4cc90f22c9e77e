"""Backups and restores of the database, and the checks any copy must pass.

SQLite is copied with its online backup API in one step: one read snapshot, consistent,
and in WAL mode it never blocks Fleet's writers (a copy made in steps would start over
each time a writer commits).
PostgreSQL is dumped with `pg_dump --format=custom` and restored with `pg_restore`.
Stored forms live in the database, so a copy holds every registered document too.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.engine import make_url

from fleet.errors import ValidationFailed
from fleet.extensions import db
from fleet.models import Document
from fleet.services.events import verify_chain


@dataclass(frozen=True)
class Verification:
    """What a database (live, a backup, or just restored) holds and whether it is intact."""

    events: int
    chain_valid: bool
    first_bad_event: int | None
    documents: int
    documents_reserved: int  # registered but not yet rendered: nothing to check yet
    bad_documents: tuple[int, ...]

    @property
    def valid(self) -> bool:
        return self.chain_valid and not self.bad_documents


def verify_documents(batch_size: int = 200) -> tuple[int, int, tuple[int, ...]]:
    """Recompute the SHA-256 and size of every rendered document, a batch at a time.

    Answers (checked, reserved, ids of documents whose bytes no longer match).
    """
    checked, reserved, bad = 0, 0, []
    after = 0
    connection = db.session.connection()
    documents = Document.__table__
    query = (select(documents.c.id, documents.c.sha256, documents.c.size, documents.c.content)
             .where(documents.c.id > bindparam("after")).order_by(documents.c.id).limit(batch_size))
    while True:
        rows = connection.execute(query, {"after": after}).all()
        if not rows:
            break
        for document_id, sha256, size, content in rows:
            if sha256 is None:
                reserved += 1
                continue
            checked += 1
            if content is None or len(content) != size or hashlib.sha256(content).hexdigest() != sha256:
                bad.append(document_id)
        after = rows[-1][0]
    return checked, reserved, tuple(bad)


def verify_database() -> Verification:
    """The event chain and every document's hash, in the current app's database."""
    chain = verify_chain()
    checked, reserved, bad = verify_documents()
    return Verification(chain.count, chain.valid, chain.first_bad_seq, checked, reserved, bad)


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValidationFailed("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def backup_sqlite(url: str, target: Path) -> None:
    """Copy the live SQLite database to `target` (a new file) with the online backup API."""
    source_path = sqlite_file(url)
    if not source_path.exists():
        raise ValidationFailed(f"There is no database at {source_path}.")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        source.close()
    os.replace(partial, target)  # a crash mid-copy never leaves a file that looks complete


def restore_sqlite(source: Path, url: str) -> None:
    """Overwrite the SQLite database at `url` with the backup `source`, page by page, in one transaction."""
    target_path = sqlite_file(url)
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ValidationFailed(f"{source} is damaged (SQLite's integrity check failed); nothing was restored.")
        target = sqlite3.connect(target_path, timeout=30)
        try:
            backup.backup(target)
        finally:
            target.close()
    finally:
        backup.close()


def _postgres_tool(name: str) -> str:
    """pg_dump / pg_restore: on the PATH, or the newest under /usr/lib/postgresql (Debian)."""
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                       key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0)
    found = shutil.which(name) or (installed[-1] if installed else None)
    if found is None:
        raise ValidationFailed(f"{name} is not installed (Debian package postgresql-client).")
    return found


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq understands it (no +psycopg driver part)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup_postgresql(url: str, target: Path) -> None:
    """`pg_dump --format=custom` of the database at `url` into `target`."""
    partial = target.with_name(target.name + ".partial")
    result = subprocess.run([_postgres_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}",
                             f"--dbname={_libpq_url(url)}"], capture_output=True, text=True)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise ValidationFailed(f"pg_dump failed: {result.stderr.strip()}")
    os.replace(partial, target)


def restore_postgresql(source: Path, url: str) -> None:
    """`pg_restore --clean` of a custom-format dump into the database at `url`, in one transaction."""
    result = subprocess.run([_postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                             "--single-transaction", f"--dbname={_libpq_url(url)}", str(source)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise ValidationFailed(f"pg_restore failed: {result.stderr.strip()}")
