"""The actor re-check: a running session's person, asked of the directory again every so often.

Each process keeps, per person, the directory's last answer and when it came. A request within
FLEET_ROLE_RECHECK_SECONDS of that answer asks nothing (the hand-over path stays one directory
look-up: its assignee's); a later one asks once (`Directory.check_actor`, one search). When the
directory cannot be reached, the last known roles stand (reads, returns and reports go on; a
hand-over asks the directory for its assignee anyway, and is refused with 503), and the directory
is asked again only after the same bound, so an outage costs one timeout per person and bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fleet.directory.base import Directory
from fleet.errors import DirectoryUnavailable

MAX_ENTRIES = 50_000  # a process never keeps more answers than this (then it forgets the oldest half)


@dataclass(frozen=True)
class Verdict:
    """The directory's answer about one person: `active` None means it could not be asked."""

    checked_at: float
    active: bool | None
    roles: frozenset[str] | None = None
    reason: str | None = None  # when not active: "disabled" or "removed"


class ActorChecks:
    """The per-process cache of the directory's answers about callers."""

    def __init__(self, bound_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.bound = bound_seconds
        self.clock = clock
        self._answers: dict[str, Verdict] = {}
        self._lock = threading.Lock()

    def fresh(self, uid: str) -> Verdict | None:
        """The last answer about `uid` if it is younger than the bound, else None (ask again)."""
        verdict = self._answers.get(uid)
        if verdict is None or self.clock() - verdict.checked_at >= self.bound:
            return None
        return verdict

    def remember(self, uid: str, active: bool | None, roles: frozenset[str] | None = None,
                 reason: str | None = None) -> Verdict:
        verdict = Verdict(self.clock(), active, roles, reason)
        with self._lock:
            if len(self._answers) >= MAX_ENTRIES:
                oldest = sorted(self._answers, key=lambda key: self._answers[key].checked_at)
                for key in oldest[: MAX_ENTRIES // 2]:
                    self._answers.pop(key, None)
            self._answers[uid] = verdict
        return verdict

    def check(self, directory: Directory, uid: str, dn: str | None) -> Verdict:
        """Ask the directory now (one search when `dn` is known) and remember its answer."""
        try:
            person = directory.check_actor(uid, dn)
            if person is not None and not person.active:
                return self.remember(uid, False, reason="disabled")
            if person is None:
                return self.remember(uid, False, reason="removed")
            return self.remember(uid, True, frozenset(person.roles))
        except DirectoryUnavailable:
            return self.remember(uid, None)

    def forget(self, uid: str) -> None:
        self._answers.pop(uid, None)
