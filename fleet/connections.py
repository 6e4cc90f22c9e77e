"""SQLite connections kept open between units of work.

Taking a connection of SQLAlchemy's pool and giving it back (a `Connection` built, the pool's checkout, its reset
and checkin) costs some 50 µs of Python each time: on SQLite, where a statement itself takes a few, that was 7 %
of a hand-over's CPU, paid twice (the session look-up, then the request's transaction). So on SQLite the session
look-up (`fleet.db.read_alone`) and each session's transaction (`fleet.extensions.Session`) borrow a connection
kept here instead. Each is a connection of the engine's pool, held out of it; it holds no transaction between
borrowings. At most `KEEP` are kept idle (one in a gunicorn sync worker; a threaded server opens more when it
needs them and closes those); a new engine, a `dispose()` of it or a new process (a fork) starts a new set, and
the old set's connections go back to their pool (dropped unclosed after a fork: they are the parent's).
PostgreSQL keeps its pool: a checkout there also checks that the server is still there (`pool_pre_ping`).
"""

from __future__ import annotations

import os
import threading

from sqlalchemy.engine import Connection, Engine


class KeptConnections:
    KEEP = 2

    def __init__(self):
        self._key: tuple | None = None
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def borrow(self, engine: Engine) -> tuple[tuple, Connection]:
        """A connection of `engine` with no transaction, and the key to give it back with."""
        key = (engine, engine.pool, os.getpid())
        with self._lock:
            if key != self._key:
                self._drop(self._key, self._idle)
                self._key, self._idle = key, []
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed and not connection.invalidated:
                    return key, connection
        return key, engine.connect()

    def give_back(self, key: tuple, connection: Connection) -> None:
        """Keep it for the next borrower; closed instead (back to its pool, which resets it) when enough are kept,
        when it is of an engine no longer in use, or when it did not come back clean."""
        clean = not connection.closed and not connection.invalidated and not connection.in_transaction()
        with self._lock:
            if clean and key == self._key and len(self._idle) < self.KEEP:
                self._idle.append(connection)
                return
        self._drop(key, [connection])

    @staticmethod
    def _drop(key: tuple | None, connections: list[Connection]) -> None:
        if key is not None and key[2] == os.getpid():
            for connection in connections:
                connection.close()


KEPT = KeptConnections()
