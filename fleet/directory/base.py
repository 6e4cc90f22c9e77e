"""What Fleet needs from the staff directory, independent of LDAP."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

ROLE_IT = "it"
ROLE_AUDITOR = "auditor"
ROLE_EMPLOYEE = "employee"
ROLE_PRIVACY = "privacy"  # the privacy officer (개인정보 보호책임자): reads and reviews the access log


@dataclass(frozen=True)
class Person:
    """A directory entry as the directory gave it at one moment."""

    uid: str
    dn: str
    name: str
    employee_number: str | None = None
    department: str | None = None
    email: str | None = None
    language: str | None = None  # preferredLanguage, e.g. "en"; None: the default (Korean)
    active: bool = True
    eligible: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)


class Directory(Protocol):
    def get_person(self, uid: str, *, with_roles: bool = False) -> Person | None:
        """The person with this uid, or None when there is none.

        `active` and `eligible` are always filled in (at most 3 LDAP operations);
        `roles` only with `with_roles=True` (login, /me). Raises DirectoryUnavailable.
        """

    def authenticate(self, uid: str, password: str) -> Person | None:
        """The person (with roles) when the password binds and the person is active, else None.

        An empty password never counts. Raises DirectoryUnavailable.
        """

    def check_actor(self, uid: str, dn: str | None = None) -> Person | None:
        """The caller's status and roles now, for the re-check of a running session (one search when the
        person's `dn` is known); None when the uid is no person any more. Raises DirectoryUnavailable.
        """

    def get_people(self, uids: Iterable[str]) -> dict[str, Person]:
        """Look many people up (for the directory sync); missing uids are absent from the dict."""

    def ping(self) -> None:
        """Raise DirectoryUnavailable unless the directory answers."""
