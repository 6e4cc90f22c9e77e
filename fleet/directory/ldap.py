"""The staff directory over LDAP (python-ldap).

Nothing connects at import time or in ``__init__``. Each thread opens its own service
connection on its first look-up, bound with the service account (or anonymously), and
keeps it. When a server goes away or stops answering, the connection is dropped and the
configured URIs are tried in turn; a dead or frozen directory fails within about the
timeout as DirectoryUnavailable (HTTP 503), and the next call after the directory is back
simply works.

Every filter built from input escapes the input; a uid that no directory could hold (empty,
over 256 characters, control characters) is simply not found.
"""

from __future__ import annotations

import logging
import os
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import ldap
import ldap.filter
import ldapurl
from ldap.ldapobject import LDAPObject

from fleet.directory.base import ROLE_AUDITOR, ROLE_EMPLOYEE, ROLE_IT, Person
from fleet.errors import DirectoryUnavailable

T = TypeVar("T")
Entry = dict[str, list[bytes]]

log = logging.getLogger(__name__)

# "This server cannot answer now": drop the connection and try the next URI.
UNREACHABLE: tuple[type[ldap.LDAPError], ...] = (
    ldap.SERVER_DOWN,
    ldap.TIMEOUT,
    ldap.CONNECT_ERROR,
    ldap.UNAVAILABLE,
    ldap.BUSY,
)
# "The server went away under an open connection": it may be back already, so reconnect to it.
STALE: tuple[type[ldap.LDAPError], ...] = (ldap.SERVER_DOWN, ldap.CONNECT_ERROR)
# A bind that says no to the person (wrong password, locked, policy): not a directory failure.
BIND_REFUSED: tuple[type[ldap.LDAPError], ...] = (
    ldap.INVALID_CREDENTIALS,
    ldap.UNWILLING_TO_PERFORM,
    ldap.INAPPROPRIATE_AUTH,
    ldap.CONSTRAINT_VIOLATION,
)
# Compare answers that mean "not a member": no such group, or a DN the server cannot parse.
NOT_A_MEMBER: tuple[type[ldap.LDAPError], ...] = (
    ldap.NO_SUCH_OBJECT,
    ldap.NO_SUCH_ATTRIBUTE,
    ldap.UNDEFINED_TYPE,
    ldap.INVALID_DN_SYNTAX,
)

UNREACHABLE_DETAIL = "The staff directory cannot be reached; nothing is handed over until it answers again."
MAX_UID_LENGTH = 256
MAX_PASSWORD_LENGTH = 1024
BATCH_SIZE = 100  # uids per OR-filter in get_people: well under slapd's default size limit of 500


def plausible_uid(uid: object) -> bool:
    """Whether a directory could hold this uid; anything else is simply not found.

    Empty, over 256 characters, leading or trailing space, or any control, NUL or
    unpaired-surrogate character: no look-up is made at all.
    """
    return isinstance(uid, str) and 0 < len(uid) <= MAX_UID_LENGTH and uid.isprintable() and uid == uid.strip()


def _plausible_password(password: object) -> bool:
    """A password worth a bind: an empty one would be an anonymous bind and always "succeed"."""
    if not isinstance(password, str) or not 0 < len(password) <= MAX_PASSWORD_LENGTH or "\x00" in password:
        return False
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _match_key(uid: str) -> str:
    """How the directory compares uids (caseIgnoreMatch): case and repeated spaces do not count."""
    return " ".join(unicodedata.normalize("NFKC", uid).casefold().split())


def _values(entry: Entry, attr: str) -> list[str]:
    """The values of one attribute, decoded as UTF-8 (LDAP's string encoding); attribute names ignore case."""
    wanted = attr.lower()
    for key, values in entry.items():
        if key.lower() == wanted:
            return [v.decode("utf-8", "replace") for v in values]
    return []


def _first(entry: Entry, attr: str) -> str | None:
    values = _values(entry, attr)
    return values[0] if values else None


def _language(value: str | None) -> str | None:
    """RFC 2798's preferredLanguage (e.g. `en`, `en-US`, `ko;q=1`) as a two-letter code, or None."""
    if not value:
        return None
    code = value.split(",")[0].split(";")[0].strip().lower()[:2]
    return code if code.isalpha() else None


def _quiet_unbind(conn: LDAPObject) -> None:
    """Close a connection we are giving up on; it may already be dead, which is fine."""
    try:
        conn.unbind_ext_s()
    except ldap.LDAPError:
        pass


class LdapDirectory:
    """fleet.directory.base.Directory against an LDAP server (OpenLDAP, 389 DS, AD…)."""

    def __init__(
        self,
        uris: list[str],
        people_base: str,
        bind_dn: str | None = None,
        bind_password: str | None = None,
        uid_attr: str = "uid",
        active_filter: str = "(!(employeeType=inactive))",
        it_group: str | None = None,
        auditor_group: str | None = None,
        eligible_group: str | None = None,
        name_attr: str = "cn",
        department_attr: str = "ou",
        timeout: float = 3.0,
    ):
        """Keep the settings; connect to nothing (that happens on a thread's first look-up)."""
        self.uris = [uri for uri in uris if uri]
        bad = [uri for uri in self.uris if not ldapurl.isLDAPUrl(uri)]
        if bad:
            raise ValueError(f"Not an LDAP URI: {', '.join(bad)} (expected ldap://, ldaps:// or ldapi://).")
        if bind_dn and not bind_password:
            raise ValueError("A bind DN for the directory needs a bind password (FLEET_LDAP_BIND_PASSWORD).")
        if timeout <= 0:
            raise ValueError("The directory timeout must be a positive number of seconds.")
        self.people_base = people_base
        self.bind_dn = bind_dn or ""
        self.bind_password = bind_password or ""
        self.uid_attr = uid_attr
        active_filter = active_filter.strip() or "(objectClass=*)"
        self.active_filter = active_filter if active_filter.startswith("(") else f"({active_filter})"
        self.it_group = it_group or None
        self.auditor_group = auditor_group or None
        self.eligible_group = eligible_group or None
        self.name_attr = name_attr
        self.department_attr = department_attr
        self.timeout = float(timeout)
        self._local = threading.local()
        self._preferred = 0  # index of the URI that answered last; shared by the threads

    def __repr__(self) -> str:
        return f"LdapDirectory({' '.join(self.uris)!r}, {self.people_base!r})"

    # -- connections -------------------------------------------------------------------

    def _uris_in_turn(self) -> list[str]:
        """The URIs to try, starting with the one that answered last."""
        start = self._preferred if self._preferred < len(self.uris) else 0
        return self.uris[start:] + self.uris[:start]

    def _open(self, uri: str) -> LDAPObject:
        """A connection object for one URI, with every wait bounded by the timeout (no I/O yet)."""
        conn = ldap.initialize(uri)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
        conn.set_option(ldap.OPT_REFERRALS, 0)  # chasing referrals would bind anonymously elsewhere
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self.timeout)  # TCP connect
        conn.set_option(ldap.OPT_TIMEOUT, self.timeout)  # waiting for any answer
        conn.timeout = self.timeout  # python-ldap's own wait in the *_s methods
        return conn

    def _service_connection(self, uri: str) -> LDAPObject:
        """A connection to `uri` bound as the service account (or anonymously)."""
        conn = self._open(uri)
        try:
            conn.simple_bind_s(self.bind_dn, self.bind_password)
        except ldap.LDAPError:
            _quiet_unbind(conn)
            raise
        return conn

    def _current(self) -> LDAPObject | None:
        """This thread's service connection; one inherited across a fork is not ours to use."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid != os.getpid():
            self._local.conn = None
            return None
        return conn

    def _drop(self) -> None:
        conn = self._current()
        self._local.conn = None
        if conn is not None:
            _quiet_unbind(conn)

    def _keep(self, conn: LDAPObject, uri: str) -> None:
        self._local.conn, self._local.uri, self._local.pid = conn, uri, os.getpid()
        self._preferred = self.uris.index(uri)

    def _call(self, operation: Callable[[LDAPObject], T]) -> T:
        """Run one look-up on this thread's service connection, failing over between URIs.

        A connection that went stale (the server restarted) is re-opened, to the same
        server first; a server that did not answer in time is not waited on twice. Any
        other LDAP error is a directory fault, never a crash: DirectoryUnavailable.
        """
        skip: set[str] = set()
        conn = self._current()
        if conn is not None:
            try:
                return operation(conn)
            except STALE:
                self._drop()
            except UNREACHABLE:
                skip.add(self._local.uri)
                self._drop()
            except ldap.LDAPError as exc:
                self._drop()
                raise self._fault(exc) from exc
        if not self.uris:
            raise DirectoryUnavailable("The staff directory cannot be reached: no FLEET_LDAP_URI is configured.")
        for uri in self._uris_in_turn():
            if uri in skip:
                continue
            try:
                conn = self._service_connection(uri)
            except UNREACHABLE as exc:
                log.warning("directory %s did not answer: %s", uri, exc)
                continue
            except ldap.INVALID_CREDENTIALS as exc:
                raise DirectoryUnavailable(
                    "The staff directory cannot be used: it refused Fleet's service account "
                    "(check FLEET_LDAP_BIND_DN and FLEET_LDAP_BIND_PASSWORD)."
                ) from exc
            except ldap.LDAPError as exc:
                raise self._fault(exc) from exc
            try:
                result = operation(conn)
            except UNREACHABLE as exc:
                log.warning("directory %s stopped answering: %s", uri, exc)
                _quiet_unbind(conn)
                continue
            except ldap.LDAPError as exc:
                _quiet_unbind(conn)
                raise self._fault(exc) from exc
            self._keep(conn, uri)
            return result
        raise DirectoryUnavailable(UNREACHABLE_DETAIL)

    @staticmethod
    def _fault(exc: ldap.LDAPError) -> DirectoryUnavailable:
        """An answer Fleet cannot use (bad filter or base in the settings, access denied…)."""
        log.error("directory error: %r", exc)
        info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        what = info.get("desc", type(exc).__name__)
        return DirectoryUnavailable(
            f"The staff directory cannot answer Fleet's look-up ({what}); check the FLEET_LDAP_* settings."
        )

    # -- single operations -------------------------------------------------------------

    def _search_people(
        self, filterstr: str, attrs: list[str], scope: int = ldap.SCOPE_SUBTREE
    ) -> list[tuple[str, Entry]]:
        """The entries under the people base that match; one LDAP operation.

        A people base that does not exist is a configuration fault, not "nobody is there":
        otherwise a typo in the settings would make every borrower a leaver.
        """

        def search(conn: LDAPObject) -> list[tuple[str, Entry]] | None:
            try:
                found = conn.search_ext_s(self.people_base, scope, filterstr, attrs, timeout=self.timeout)
            except ldap.NO_SUCH_OBJECT:
                return None
            return [(dn, entry) for dn, entry in found if dn]  # drops search references

        found = self._call(search)
        if found is None:
            raise DirectoryUnavailable(
                f"The staff directory has no entry {self.people_base!r}; check FLEET_LDAP_PEOPLE_BASE."
            )
        return found

    def _member_of(self, group_dn: str, person_dn: str) -> bool:
        """Whether the groupOfNames lists the person: one compare, never a read of the member list."""

        def compare(conn: LDAPObject) -> bool:
            try:
                return conn.compare_ext_s(group_dn, "member", person_dn.encode("utf-8"))
            except NOT_A_MEMBER:
                return False

        return self._call(compare)

    def _members_of(self, group_dn: str, person_dns: list[str]) -> set[str]:
        """Which of these people the group lists: pipelined compares, one round trip per batch."""

        def compare_all(conn: LDAPObject) -> set[str]:
            sent = [(dn, conn.compare_ext(group_dn, "member", dn.encode("utf-8"))) for dn in person_dns]
            members = set()
            for dn, msgid in sent:
                try:
                    conn.result3(msgid, all=1, timeout=self.timeout)
                except ldap.COMPARE_TRUE:
                    members.add(dn)
                except (ldap.COMPARE_FALSE, *NOT_A_MEMBER):
                    pass
            return members

        return self._call(compare_all) if person_dns else set()

    # -- the Directory protocol --------------------------------------------------------

    def _attrs(self) -> list[str]:
        return [self.uid_attr, self.name_attr, "cn", "employeeNumber", self.department_attr, "mail",
                "preferredLanguage"]

    def _by_uid(self, uid: str) -> str:
        return f"({self.uid_attr}={ldap.filter.escape_filter_chars(uid)})"

    def _person(
        self, dn: str, entry: Entry, *, uid: str, active: bool, eligible: bool, roles: frozenset[str] = frozenset()
    ) -> Person:
        stored_uid = next((v for v in _values(entry, self.uid_attr) if _match_key(v) == _match_key(uid)), uid)
        name = _first(entry, self.name_attr) or _first(entry, "cn") or stored_uid
        return Person(
            uid=stored_uid,
            dn=dn,
            name=name,
            employee_number=_first(entry, "employeeNumber"),
            department=_first(entry, self.department_attr),
            email=_first(entry, "mail"),
            language=_language(_first(entry, "preferredLanguage")),
            active=active,
            eligible=eligible,
            roles=roles,
        )

    def get_person(self, uid: str, *, with_roles: bool = False) -> Person | None:
        """The person with this uid as the directory has them now, or None.

        At most 3 LDAP operations without roles (the service bind of a new connection
        included): the server applies the active filter in the search that finds an active
        person; only when that finds nobody does a second search tell a disabled person
        from an unknown uid. Eligibility is one compare on the eligible group. A uid that
        matches two entries in one search is ambiguous and counts as not found (no guessing
        whose password to check). Roles, on request, are one
        compare per role group: `employee` for every active person, nothing for a
        disabled one.
        """
        if not plausible_uid(uid):
            return None
        attrs = self._attrs()
        found = self._search_people(f"(&{self._by_uid(uid)}{self.active_filter})", attrs)
        active = bool(found)
        if not found:
            found = self._search_people(self._by_uid(uid), attrs)
        if len(found) != 1:
            if found:
                log.warning("uid %r is held by %d directory entries; treated as unknown", uid, len(found))
            return None
        dn, entry = found[0]
        eligible = active and (self.eligible_group is None or self._member_of(self.eligible_group, dn))
        roles: set[str] = set()
        if with_roles and active:
            roles.add(ROLE_EMPLOYEE)
            if self.it_group and self._member_of(self.it_group, dn):
                roles.add(ROLE_IT)
            if self.auditor_group and self._member_of(self.auditor_group, dn):
                roles.add(ROLE_AUDITOR)
        return self._person(dn, entry, uid=uid, active=active, eligible=eligible, roles=frozenset(roles))

    def authenticate(self, uid: str, password: str) -> Person | None:
        """The active person (with roles) whose password binds, else None.

        An empty password never counts: LDAP would take it as an anonymous bind and
        succeed. A disabled person is refused even with the right password, because the
        server still lets such a person bind. The bind happens on a fresh connection that
        is closed right after, so the service connection never changes identity.
        """
        if not _plausible_password(password):
            return None
        person = self.get_person(uid, with_roles=True)
        if person is None or not person.active:
            return None
        for uri in self._uris_in_turn():
            conn = self._open(uri)
            try:
                conn.simple_bind_s(person.dn, password)
            except BIND_REFUSED:
                return None
            except UNREACHABLE as exc:
                log.warning("directory %s did not answer a password check: %s", uri, exc)
                continue
            except ldap.LDAPError as exc:
                raise self._fault(exc) from exc
            finally:
                _quiet_unbind(conn)
            return person
        raise DirectoryUnavailable(UNREACHABLE_DETAIL)

    def get_people(self, uids: Iterable[str]) -> dict[str, Person]:
        """Many people at once (the directory sync), keyed by the uids asked for; unknown ones are absent.

        Per batch of 100 uids: one OR-filter search for the entries, one with the active
        filter added, and one round trip of pipelined compares on the eligible group (for
        the active ones only) — about 3 operations per 100 people, never a read of a whole
        group. Roles are not looked up. A uid held by two entries is absent, as in get_person.
        """
        wanted: dict[str, list[str]] = {}
        for uid in uids:
            if plausible_uid(uid) and uid not in wanted.get(_match_key(uid), []):
                wanted.setdefault(_match_key(uid), []).append(uid)
        asked = [spellings[0] for spellings in wanted.values()]
        people: dict[str, Person] = {}
        for start in range(0, len(asked), BATCH_SIZE):
            any_of = "(|" + "".join(self._by_uid(uid) for uid in asked[start : start + BATCH_SIZE]) + ")"
            entries = self._search_people(any_of, self._attrs())
            active_dns = {dn for dn, _ in self._search_people(f"(&{any_of}{self.active_filter})", ["1.1"])}
            holders: dict[str, list[tuple[str, Entry]]] = {}
            for dn, entry in entries:
                for value in {_match_key(v) for v in _values(entry, self.uid_attr)}:
                    if value in wanted:
                        holders.setdefault(value, []).append((dn, entry))
            unique = {key: found[0] for key, found in holders.items() if len(found) == 1}
            if self.eligible_group is None:
                eligible_dns = active_dns
            else:
                eligible_dns = self._members_of(
                    self.eligible_group, sorted({dn for dn, _ in unique.values() if dn in active_dns})
                )
            for key, (dn, entry) in unique.items():
                for uid in wanted[key]:
                    people[uid] = self._person(dn, entry, uid=uid, active=dn in active_dns, eligible=dn in eligible_dns)
        return people

    def ping(self) -> None:
        """Raise DirectoryUnavailable unless the directory answers and holds the people base (one search)."""
        self._search_people("(objectClass=*)", ["1.1"], scope=ldap.SCOPE_BASE)


def directory_from_config(config: Mapping[str, Any]) -> LdapDirectory:
    """An LdapDirectory from the FLEET_LDAP_* settings (API.md); a missing or empty key takes the default."""

    def get(key: str, default: str = "") -> str:
        value = config.get(key)
        return default if value is None or str(value).strip() == "" else str(value).strip()

    timeout = get("FLEET_LDAP_TIMEOUT", "3")
    try:
        seconds = float(timeout)
    except ValueError:
        raise ValueError(f"FLEET_LDAP_TIMEOUT must be a number of seconds, not {timeout!r}.") from None
    return LdapDirectory(
        uris=get("FLEET_LDAP_URI").split(),
        people_base=get("FLEET_LDAP_PEOPLE_BASE"),
        bind_dn=get("FLEET_LDAP_BIND_DN") or None,
        bind_password=str(config.get("FLEET_LDAP_BIND_PASSWORD") or "") or None,  # spaces may be part of it
        uid_attr=get("FLEET_LDAP_UID_ATTR", "uid"),
        active_filter=get("FLEET_LDAP_ACTIVE_FILTER", "(!(employeeType=inactive))"),
        it_group=get("FLEET_LDAP_IT_GROUP") or None,
        auditor_group=get("FLEET_LDAP_AUDITOR_GROUP") or None,
        eligible_group=get("FLEET_LDAP_ELIGIBLE_GROUP") or None,
        name_attr=get("FLEET_LDAP_NAME_ATTR", "cn"),
        department_attr=get("FLEET_LDAP_DEPARTMENT_ATTR", "ou"),
        timeout=seconds,
    )
