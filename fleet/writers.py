"""The writers' queue of an SQLite database: Fleet's writers wait for each other on a file lock, not in SQLite.

SQLite lets one writer at a time, and a BEGIN IMMEDIATE that finds the write lock taken waits in SQLite's busy
handler, which sleeps 1, 2, 5, 10 … ms between its tries. A hand-over holds the write lock about 1 ms: a writer
that came 0.2 ms after another slept a whole millisecond or three, and with two gunicorn workers writing in turns
that was time neither used (8 % of a worker's wall time in the hand-over bench).

So a connection of Fleet's engine (`QueuedConnection`, the driver's connection class) first takes an exclusive
`flock` on a file beside the database (`<database>-writers`), and only then sends BEGIN IMMEDIATE; it lets go of
it when its transaction ends (COMMIT, ROLLBACK, or the connection closed). While the lock is taken, a writer
tries again after 50 µs, then 100, 200, up to 500 µs apart: it comes in a fraction of a millisecond after the
other went out. SQLite's own lock stays what keeps writers apart: a writer outside the queue (the sqlite3
shell, a connection of another engine) is waited for by SQLite's busy handler as before, and a writer that has
waited `PATIENCE` seconds in the queue goes on to BEGIN IMMEDIATE and SQLite's busy timeout, so that no wait in
the queue is endless (a thread that holds the queue and waits for another thread that waits in it).

The lock file is not the database: deleting it while no one writes loses nothing. The kernel releases a
process's locks when it ends; a connection dropped unclosed releases its lock with its file object, when Python's
cycle collector frees it (sqlite3's statement cache refers back to its connection).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time

PATIENCE = 5.0  # seconds in the queue before a writer leaves it for SQLite's busy handler
_FIRST_PAUSE, _LONGEST_PAUSE = 0.00005, 0.0005


class QueuedConnection(sqlite3.Connection):
    """The driver's connection to an SQLite database file, taking part in the writers' queue."""

    _lock_file = None  # the open lock file (a FileIO: closing it, or dropping it, releases the lock)
    _lock_pid = 0  # the process that looked for it: a child of a fork opens its own
    _holding = False

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        # A database opened read-only (`file:…?mode=ro`, as `fleet backup` checks its copy) writes nothing: no lock
        # file is made beside it.
        self._read_only = "mode=ro" in str(database)

    def enter_queue(self) -> None:
        """Wait for the writers' queue (see the module): before BEGIN IMMEDIATE."""
        lock_file = self._queue_file()
        if lock_file is None or self._holding:
            return
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _wait(lock_file):
                return
        self._holding = True

    def leave_queue(self) -> None:
        if self._holding and self._lock_pid == os.getpid():  # a child of a fork never lets go of its parent's lock
            self._holding = False
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._holding = False
            if self._lock_file is not None and self._lock_pid == os.getpid():
                self._lock_file.close()
            self._lock_file = None

    def _queue_file(self):
        """The lock file, opened on the first write in this process; None for a database in memory, or a lock file
        that cannot be opened (this connection's writers then wait in SQLite only)."""
        if self._lock_pid != os.getpid():
            self._lock_pid, self._holding, self._lock_file = os.getpid(), False, self._open_lock_file()
        return self._lock_file

    def _open_lock_file(self):
        if self._read_only:
            return None
        path = next((row[2] for row in self.execute("PRAGMA database_list") if row[1] == "main"), "")
        if not path:
            return None
        try:
            mode = os.stat(path).st_mode & 0o666  # as the database's own -wal and -shm files
            descriptor = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)
        except OSError:
            return None
        return os.fdopen(descriptor, "r+b", buffering=0)


def _wait(lock_file) -> bool:
    """Try the lock again at growing pauses; False after PATIENCE seconds without it."""
    deadline = time.monotonic() + PATIENCE
    pause = _FIRST_PAUSE
    while True:
        time.sleep(pause)
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
        pause = min(pause * 2, _LONGEST_PAUSE)
