"""The staff directory over LDAP (python-ldap).

Nothing connects at import time or in __init__: a connection is opened by the first
look-up of each thread, bound with the service account (or anonymously), and dropped
and re-opened whenever the server goes away, trying each configured URI in turn. A dead
or frozen server fails within the timeout as DirectoryUnavailable (HTTP 503).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import ldap
import ldap.filter

from fleet.directory.base import ROLE_AUDITOR, ROLE_EMPLOYEE, ROLE_IT, Person
from fleet.errors import DirectoryUnavailable

T = TypeVar("T")

# Errors that mean "this server cannot answer now": drop the connection, try the next URI.
UNREACHABLE = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, ldap.UNAVAILABLE, ldap.BUSY)
MAX_UID_LENGTH = 256
BATCH = 100


def _valid_uid(uid: object) -> bool:
    return isinstance(uid, str) and 0 < len(uid) <= MAX_UID_LENGTH and "\x00" not in uid and uid.strip() == uid


def _first(entry: dict, attr: str) -> str | None:
    for key, values in entry.items():
        if key.lower() == attr.lower() and values:
            return values[0].decode("utf-8", "replace")
    return None


class LdapDirectory:
    """Implements fleet.directory.base.Directory against an LDAP server."""

    def __init__(self, uris: list[str], people_base: str, bind_dn: str | None = None,
                 bind_password: str | None = None, uid_attr: str = "uid",
                 active_filter: str = "(!(employeeType=inactive))", it_group: str | None = None,
                 auditor_group: str | None = None, eligible_group: str | None = None, name_attr: str = "cn",
                 department_attr: str = "ou", timeout: float = 3.0):
        self.uris = [u for u in uris if u]
        self.people_base = people_base
        self.bind_dn = bind_dn or ""
        self.bind_password = bind_password or ""
        self.uid_attr = uid_attr
        self.active_filter = active_filter if active_filter.startswith("(") else f"({active_filter})"
        self.it_group = it_group or None
        self.auditor_group = auditor_group or None
        self.eligible_group = eligible_group or None
        self.name_attr = name_attr
        self.department_attr = department_attr
        self.timeout = timeout
        self._local = threading.local()
        self._preferred = 0
        # LDAP operations made (searches, compares, binds): benchmarks and tests read it.
        self.operation_count = 0

    # -- connections -------------------------------------------------------------------

    def _open(self, uri: str) -> ldap.ldapobject.LDAPObject:
        conn = ldap.initialize(uri)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self.timeout)
        conn.set_option(ldap.OPT_TIMEOUT, self.timeout)
        return conn

    def _connect(self) -> ldap.ldapobject.LDAPObject:
        if not self.uris:
            raise DirectoryUnavailable("No staff directory is configured (FLEET_LDAP_URI is empty).")
        order = self.uris[self._preferred:] + self.uris[:self._preferred]
        for uri in order:
            conn = self._open(uri)
            try:
                conn.simple_bind_s(self.bind_dn, self.bind_password)
            except UNREACHABLE:
                continue
            except ldap.INVALID_CREDENTIALS as exc:
                raise DirectoryUnavailable("The directory refused Fleet's service account.") from exc
            self._preferred = self.uris.index(uri)
            return conn
        raise DirectoryUnavailable("The staff directory cannot be reached; nothing is handed over until it is back.")

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.unbind_s()
            except ldap.LDAPError:
                pass

    def _run(self, operation: Callable[[ldap.ldapobject.LDAPObject], T]) -> T:
        """Run one LDAP operation, reconnecting (each URI in turn) once if the server went away."""
        for attempt in (1, 2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self._connect()
            try:
                self.operation_count += 1
                return operation(conn)
            except UNREACHABLE as exc:
                self._drop()
                if attempt == 2:
                    raise DirectoryUnavailable(
                        "The staff directory did not answer; nothing is handed over until it is back.") from exc
        raise AssertionError("unreachable")

    # -- look-ups ----------------------------------------------------------------------

    def _search(self, base: str, scope: int, filterstr: str, attrs: list[str]) -> list[tuple[str, dict]]:
        try:
            result = self._run(lambda c: c.search_s(base, scope, filterstr, attrs))
        except ldap.NO_SUCH_OBJECT:
            return []
        return [(dn, entry) for dn, entry in result if dn]

    def _member_of(self, group_dn: str | None, person_dn: str) -> bool:
        if not group_dn:
            return False
        try:
            return bool(self._run(lambda c: c.compare_s(group_dn, "member", person_dn.encode("utf-8"))))
        except (ldap.NO_SUCH_OBJECT, ldap.UNDEFINED_TYPE, ldap.NO_SUCH_ATTRIBUTE, ldap.INVALID_DN_SYNTAX):
            return False

    def _attrs(self) -> list[str]:
        return [self.uid_attr, self.name_attr, "employeeNumber", self.department_attr, "mail"]

    def _person(self, dn: str, entry: dict, *, active: bool, eligible: bool, roles: frozenset[str]) -> Person:
        uid = _first(entry, self.uid_attr) or ""
        return Person(uid=uid, dn=dn, name=_first(entry, self.name_attr) or uid,
                      employee_number=_first(entry, "employeeNumber"),
                      department=_first(entry, self.department_attr), email=_first(entry, "mail"),
                      active=active, eligible=eligible, roles=roles)

    def get_person(self, uid: str, *, with_roles: bool = False) -> Person | None:
        """The person with this uid, or None. At most 3 LDAP operations without roles.

        The active filter is applied by the server in the same search that finds an
        active person; only when nothing is found does a second search tell a disabled
        person from an unknown one. Eligibility is one compare on the eligible group.
        """
        if not _valid_uid(uid):
            return None
        by_uid = f"({self.uid_attr}={ldap.filter.escape_filter_chars(uid)})"
        found = self._search(self.people_base, ldap.SCOPE_SUBTREE, f"(&{by_uid}{self.active_filter})", self._attrs())
        active = bool(found)
        if not found:
            found = self._search(self.people_base, ldap.SCOPE_SUBTREE, by_uid, self._attrs())
            if not found:
                return None
        dn, entry = found[0]
        eligible = active and (self.eligible_group is None or self._member_of(self.eligible_group, dn))
        roles: set[str] = set()
        if with_roles and active:
            roles.add(ROLE_EMPLOYEE)
            if self._member_of(self.it_group, dn):
                roles.add(ROLE_IT)
            if self._member_of(self.auditor_group, dn):
                roles.add(ROLE_AUDITOR)
        return self._person(dn, entry, active=active, eligible=eligible, roles=frozenset(roles))

    def authenticate(self, uid: str, password: str) -> Person | None:
        """The active person (with roles) whose password binds, else None.

        An empty password never counts: LDAP would take it as an anonymous bind. A
        disabled person is refused even with the right password, because the server
        lets such a person bind.
        """
        if not isinstance(password, str) or not password or "\x00" in password:
            return None
        person = self.get_person(uid, with_roles=True)
        if person is None or not person.active:
            return None
        order = self.uris[self._preferred:] + self.uris[:self._preferred]
        for uri in order:
            conn = self._open(uri)
            try:
                self.operation_count += 1
                conn.simple_bind_s(person.dn, password)
                return person
            except ldap.INVALID_CREDENTIALS:
                return None
            except UNREACHABLE:
                continue
            finally:
                try:
                    conn.unbind_s()
                except ldap.LDAPError:
                    pass
        raise DirectoryUnavailable("The staff directory cannot be reached to check the password.")

    def get_people(self, uids: Iterable[str]) -> dict[str, Person]:
        """Look many people up (the directory sync), a hundred per search.

        Eligibility comes from one read of the eligible group's members per call.
        """
        wanted = [u for u in dict.fromkeys(uids) if _valid_uid(u)]
        eligible_members: set[str] | None = None
        if self.eligible_group and wanted:
            group = self._search(self.eligible_group, ldap.SCOPE_BASE, "(objectClass=*)", ["member"])
            members = group[0][1].get("member", []) if group else []
            eligible_members = {m.decode("utf-8", "replace").lower() for m in members}
        people: dict[str, Person] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            any_of = "(|" + "".join(f"({self.uid_attr}={ldap.filter.escape_filter_chars(u)})" for u in chunk) + ")"
            entries = self._search(self.people_base, ldap.SCOPE_SUBTREE, any_of, self._attrs())
            active_dns = {dn.lower() for dn, _ in self._search(
                self.people_base, ldap.SCOPE_SUBTREE, f"(&{any_of}{self.active_filter})", ["1.1"])}
            for dn, entry in entries:
                active = dn.lower() in active_dns
                eligible = active and (eligible_members is None or dn.lower() in eligible_members)
                person = self._person(dn, entry, active=active, eligible=eligible, roles=frozenset())
                people[person.uid] = person
        return people

    def ping(self) -> None:
        """Raise DirectoryUnavailable unless the directory answers."""
        self._run(lambda c: c.whoami_s())


def directory_from_config(config: Mapping) -> LdapDirectory:
    """An LdapDirectory from FLEET_LDAP_* settings (API.md)."""

    def get(key: str, default: str = "") -> str:
        return str(config.get(key) or default).strip()

    return LdapDirectory(
        uris=get("FLEET_LDAP_URI").split(),
        people_base=get("FLEET_LDAP_PEOPLE_BASE"),
        bind_dn=get("FLEET_LDAP_BIND_DN") or None,
        bind_password=str(config.get("FLEET_LDAP_BIND_PASSWORD") or "") or None,
        uid_attr=get("FLEET_LDAP_UID_ATTR", "uid"),
        active_filter=get("FLEET_LDAP_ACTIVE_FILTER", "(!(employeeType=inactive))"),
        it_group=get("FLEET_LDAP_IT_GROUP") or None,
        auditor_group=get("FLEET_LDAP_AUDITOR_GROUP") or None,
        eligible_group=get("FLEET_LDAP_ELIGIBLE_GROUP") or None,
        name_attr=get("FLEET_LDAP_NAME_ATTR", "cn"),
        department_attr=get("FLEET_LDAP_DEPARTMENT_ATTR", "ou"),
        timeout=float(get("FLEET_LDAP_TIMEOUT", "3")),
    )
