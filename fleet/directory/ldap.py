"""The staff directory over LDAP (python-ldap): OpenLDAP, Active Directory and the like.

Nothing connects at import time or in ``__init__``. Each thread opens its own service
connection on its first look-up, bound with the service account (or anonymously), and
keeps it; password checks use a second kept connection per thread, so TLS handshakes
happen once per thread, not once per request. When a server goes away or stops
answering, the connection is dropped and the configured URIs are tried in turn; a dead or
frozen directory fails within about the timeout as DirectoryUnavailable (HTTP 503), and
the next call after the directory is back simply works.

No password (a person's or the service account's) is ever sent in clear: a URI without
TLS is used only on loopback or ldapi://, unless FLEET_LDAP_ALLOW_CLEARTEXT says so.
URIs are all protected alike, so a TLS failure never falls back to clear text. A TLS
failure is reported with its cause (fleet.directory.tls).

Every filter built from input escapes the input; a uid that no directory could hold (empty,
over 256 characters, control characters) is simply not found. Only entries matching the
person filter are people: a group or a computer account is "not found", never "disabled".
"""

from __future__ import annotations

import logging
import os
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

import ldap
import ldap.dn
import ldap.filter
import ldapurl
from ldap.controls import SimplePagedResultsControl
from ldap.ldapobject import LDAPObject

from fleet.directory import tls
from fleet.directory.base import ROLE_AUDITOR, ROLE_EMPLOYEE, ROLE_IT, ROLE_PRIVACY, Person
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
# The server wants encryption before it takes a password (OpenLDAP `security`, AD's LDAP signing rules).
NEEDS_TLS: tuple[type[ldap.LDAPError], ...] = (ldap.CONFIDENTIALITY_REQUIRED, ldap.STRONG_AUTH_REQUIRED)
# Compare answers that mean "not a member": no such group, or a DN the server cannot parse.
NOT_A_MEMBER: tuple[type[ldap.LDAPError], ...] = (
    ldap.NO_SUCH_OBJECT,
    ldap.NO_SUCH_ATTRIBUTE,
    ldap.UNDEFINED_TYPE,
    ldap.INVALID_DN_SYNTAX,
)

UNREACHABLE_DETAIL = "The staff directory cannot be reached; nothing is handed over until it answers again."
NEEDS_TLS_DETAIL = (
    "The staff directory requires an encrypted connection before it takes a password "
    "(use ldaps:// in FLEET_LDAP_URI or set FLEET_LDAP_STARTTLS=true)."
)
MAX_UID_LENGTH = 256
MAX_PASSWORD_LENGTH = 1024
BATCH_SIZE = 100  # uids per OR-filter in get_people: well under slapd's default size limit of 500
IN_CHAIN = "1.2.840.113556.1.4.1941"  # AD's LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups
GROUP_CACHE_SECONDS = 300.0  # how long a group's RIDs (primary-group membership) are kept

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


def _send_compares(conn: LDAPObject, pairs: list[tuple[str, str]]) -> list[tuple[tuple[str, str], int]]:
    """Send one compare of `member` per (group DN, person DN), without waiting: their answers come back in one
    round trip (read by LdapDirectory._compare_answers)."""
    return [((group, dn), conn.compare_ext(group, "member", dn.encode("utf-8"))) for group, dn in pairs]


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


def _raw(entry: Entry, attr: str) -> list[bytes]:
    wanted = attr.lower()
    return next((values for key, values in entry.items() if key.lower() == wanted), [])


def _rid(sid: bytes) -> int | None:
    """The relative identifier (last sub-authority) of a binary Windows SID."""
    if len(sid) < 8 or len(sid) != 8 + 4 * sid[1]:
        return None
    return int.from_bytes(sid[-4:], "little") if sid[1] else None


def _naming_context(dn: str) -> str:
    """The dc=… tail of a DN (the domain an AD group lives in), or the DN itself when it has none."""
    try:
        parts = ldap.dn.explode_dn(dn)
    except ldap.DECODING_ERROR:
        return dn
    tail = [p for p in parts if p.lower().startswith("dc=")]
    return ",".join(tail) if tail else dn
def _dn_key(dn: str) -> str:
    """A DN as the directory compares it: per RDN, case and spaces ignored (`CN=X, OU=G` is `cn=x,ou=g`)."""
    try:
        return ",".join(_match_key(part) for part in ldap.dn.explode_dn(dn))
    except ldap.DECODING_ERROR:
        return _match_key(dn)


def _shared_suffix(dns: list[str]) -> str | None:
    """The longest DN suffix all of `dns` share (e.g. dc=example,dc=kr), or None when they share none."""
    try:
        exploded = [ldap.dn.explode_dn(dn) for dn in dns if dn]
    except ldap.DECODING_ERROR:
        return None
    if not exploded:
        return None
    shared: list[str] = []
    for parts in zip(*(reversed(p) for p in exploded), strict=False):
        if len({_match_key(part) for part in parts}) != 1:
            break
        shared.insert(0, parts[0])
    return ",".join(shared) or None


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


def _parenthesised(filterstr: str, default: str) -> str:
    filterstr = filterstr.strip() or default
    return filterstr if filterstr.startswith("(") else f"({filterstr})"


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
        privacy_group: str | None = None,
        eligible_group: str | None = None,
        name_attr: str = "cn",
        department_attr: str = "ou",
        timeout: float = 3.0,
        *,
        tls_settings: tls.TlsSettings | None = None,
        allow_cleartext: bool = False,
        person_filter: str = "(objectClass=inetOrgPerson)",
        employee_number_attr: str = "employeeNumber",
        login_attrs: list[str] | None = None,
        nested_groups: bool = False,
        flavor: str = "openldap",
        page_size: int = 500,
        nesting_depth: int = 8,
    ):
        """Keep the settings; connect to nothing (that happens on a thread's first look-up).

        Settings that cannot work at all raise ValueError; settings that would send a
        password in clear or mix protected and unprotected URIs are kept as a refusal
        (`refusal`): every call then answers DirectoryUnavailable saying why, so that the
        app still starts and /readyz can say it.
        """
        self.uris = [uri for uri in uris if uri]
        bad = [uri for uri in self.uris if not ldapurl.isLDAPUrl(uri)]
        if bad:
            raise ValueError(f"Not an LDAP URI: {', '.join(bad)} (expected ldap://, ldaps:// or ldapi://).")
        if bind_dn and not bind_password:
            raise ValueError("A bind DN for the directory needs a bind password (FLEET_LDAP_BIND_PASSWORD).")
        if timeout <= 0:
            raise ValueError("The directory timeout must be a positive number of seconds.")
        if page_size <= 0 or nesting_depth <= 0:
            raise ValueError("FLEET_LDAP_PAGE_SIZE and FLEET_LDAP_NESTING_DEPTH must be positive.")
        self.tls = tls_settings or tls.TlsSettings()
        if self.tls.require_cert not in ("demand", "never"):
            raise ValueError(f"FLEET_LDAP_TLS_REQUIRE_CERT must be demand or never, not {self.tls.require_cert!r}.")
        for setting, path in [("FLEET_LDAP_CA_FILE", self.tls.ca_file),
                              ("FLEET_LDAP_TLS_CERT_FILE", self.tls.cert_file),
                              ("FLEET_LDAP_TLS_KEY_FILE", self.tls.key_file)]:
            if path and not os.access(path, os.R_OK):
                raise ValueError(f"{setting} names a file Fleet cannot read: {path}")
        if bool(self.tls.cert_file) != bool(self.tls.key_file):
            raise ValueError("A client certificate needs both FLEET_LDAP_TLS_CERT_FILE and FLEET_LDAP_TLS_KEY_FILE.")
        if flavor not in ("openldap", "ad"):
            raise ValueError(f"FLEET_LDAP_FLAVOR must be openldap or ad, not {flavor!r}.")
        self.allow_cleartext = allow_cleartext
        self.people_base = people_base
        self.bind_dn = bind_dn or ""
        self.bind_password = bind_password or ""
        self.uid_attr = uid_attr
        self.active_filter = _parenthesised(active_filter, "(objectClass=*)")
        self.person_filter = _parenthesised(person_filter, "(objectClass=*)")
        self.it_group = it_group or None
        self.auditor_group = auditor_group or None
        self.privacy_group = privacy_group or None
        self.eligible_group = eligible_group or None
        self.name_attr = name_attr
        self.department_attr = department_attr
        self.employee_number_attr = employee_number_attr
        self.login_attrs = [a for a in (login_attrs or []) if a] or [uid_attr]
        self.nested_groups = nested_groups
        self.flavor = flavor
        self.page_size = page_size
        self.nesting_depth = nesting_depth
        self.timeout = float(timeout)
        self._local = threading.local()
        self._preferred = 0  # index of the URI that answered last; shared by the threads
        self._group_rids: dict[str, tuple[float, frozenset[int]]] = {}
        # Whether the last person found had the DN `<uid attr>=<uid>,<people base>` (None: nobody found yet): then
        # a look-up sends its group compares with the search, for the DN that layout gives (see _find).
        self._dn_by_uid: bool | None = None
        self.refusal, self.warnings = self._check_protection()

    def __repr__(self) -> str:
        return f"LdapDirectory({' '.join(self.uris)!r}, {self.people_base!r})"

    # -- protection of passwords ---------------------------------------------------------

    def _check_protection(self) -> tuple[str | None, list[str]]:
        """(why no password may be sent at all, or None; warnings to show at start and on /readyz)."""
        warnings: list[str] = []
        protected = [tls.uses_tls(uri, self.tls.starttls) for uri in self.uris]
        if self.tls.require_cert == "never" and any(protected):
            warnings.append(
                "FLEET_LDAP_TLS_REQUIRE_CERT=never: the directory's certificate is not checked, so anyone "
                "on the network path can pose as the directory and read every password. Use demand."
            )
        if any(protected) and not all(protected):
            plain = [uri for uri, safe in zip(self.uris, protected, strict=True) if not safe]
            return (
                "FLEET_LDAP_URI mixes URIs with and without TLS "
                f"({', '.join(plain)} without): a TLS failure would fall back to clear text. "
                "Make every URI ldaps://, or set FLEET_LDAP_STARTTLS=true.",
                warnings,
            )
        exposed = [uri for uri, safe in zip(self.uris, protected, strict=True) if not safe and not tls.is_local(uri)]
        if exposed and not self.allow_cleartext:
            return (
                f"FLEET_LDAP_URI {' '.join(exposed)} would send passwords in clear over the network. "
                "Use ldaps://, set FLEET_LDAP_STARTTLS=true, or (only on a network you trust) "
                "FLEET_LDAP_ALLOW_CLEARTEXT=true.",
                warnings,
            )
        if exposed:
            warnings.append(
                f"FLEET_LDAP_ALLOW_CLEARTEXT=true: passwords go in clear to {' '.join(exposed)}; "
                "anyone on the network path can read them. Use ldaps:// or FLEET_LDAP_STARTTLS=true."
            )
        return None, warnings

    def log_settings_problems(self, logger: logging.Logger | None = None) -> None:
        """Say at start what is refused and what is risky (the same words /readyz gives)."""
        logger = logger or log
        if self.refusal:
            logger.error("directory refused: %s", self.refusal)
        for warning in self.warnings:
            logger.warning("directory: %s", warning)

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
        if tls.uses_tls(uri, self.tls.starttls):
            # Per connection, then a new TLS context from them (OPT_X_TLS_NEWCTX last): Fleet's own
            # settings, not libldap's process-wide LDAPTLS_* environment or ldap.conf.
            conn.set_option(
                ldap.OPT_X_TLS_REQUIRE_CERT,
                ldap.OPT_X_TLS_NEVER if self.tls.require_cert == "never" else ldap.OPT_X_TLS_DEMAND,
            )
            if self.tls.ca_file:
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, self.tls.ca_file)
            if self.tls.cert_file:
                conn.set_option(ldap.OPT_X_TLS_CERTFILE, self.tls.cert_file)
                conn.set_option(ldap.OPT_X_TLS_KEYFILE, self.tls.key_file)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        return conn

    def _tls_failure(self, uri: str, exc: ldap.LDAPError) -> tls.TlsFailure | None:
        """The TLS cause of a failed connection to `uri`, or None when it is not about TLS."""
        if not tls.uses_tls(uri, self.tls.starttls) or isinstance(exc, ldap.TIMEOUT):
            return None
        cause = tls.diagnose(uri, self.tls, min(self.timeout, 3.0))
        if cause is None:
            return None
        log.error("directory %s: TLS failed: %s", uri, cause)
        return tls.TlsFailure(uri, cause)

    def _connect(self, uri: str, who: str, password: str) -> LDAPObject:
        """A connection to `uri`, TLS set up first when the URI wants it (StartTLS before any bind), then bound.

        Raises TlsFailure for a TLS problem, the LDAP error otherwise.
        """
        if self.refusal:
            raise DirectoryUnavailable(f"The staff directory is not used: {self.refusal}")
        conn = self._open(uri)
        try:
            if self.tls.starttls and tls.scheme(uri) == "ldap":
                try:
                    conn.start_tls_s()
                except (ldap.PROTOCOL_ERROR, ldap.UNAVAILABLE_CRITICAL_EXTENSION, ldap.OPERATIONS_ERROR) as exc:
                    raise tls.TlsFailure(uri, tls.STARTTLS_REFUSED) from exc
            conn.simple_bind_s(who, password)
        except ldap.LDAPError as exc:
            _quiet_unbind(conn)
            failure = self._tls_failure(uri, exc) if isinstance(exc, UNREACHABLE) else None
            if failure is not None:
                raise failure from exc
            raise
        except tls.TlsFailure:
            _quiet_unbind(conn)
            raise
        return conn

    def _current(self, slot: str = "conn") -> LDAPObject | None:
        """This thread's kept connection; one inherited across a fork is not ours to use."""
        conn = getattr(self._local, slot, None)
        if conn is not None and getattr(self._local, f"{slot}_pid", None) != os.getpid():
            setattr(self._local, slot, None)
            return None
        return conn

    def _drop(self, slot: str = "conn") -> None:
        conn = self._current(slot)
        setattr(self._local, slot, None)
        if conn is not None:
            _quiet_unbind(conn)

    def _keep(self, conn: LDAPObject, uri: str, slot: str = "conn") -> None:
        setattr(self._local, slot, conn)
        setattr(self._local, f"{slot}_uri", uri)
        setattr(self._local, f"{slot}_pid", os.getpid())
        self._preferred = self.uris.index(uri)

    def _unavailable(self, tls_causes: list[str]) -> DirectoryUnavailable:
        if tls_causes:
            return DirectoryUnavailable(
                f"The staff directory cannot be used safely: {tls_causes[0]}. Nothing is handed over until it is fixed."
            )
        return DirectoryUnavailable(UNREACHABLE_DETAIL)

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
                skip.add(self._local.conn_uri)
                self._drop()
            except ldap.LDAPError as exc:
                self._drop()
                raise self._fault(exc) from exc
        if not self.uris:
            raise DirectoryUnavailable("The staff directory cannot be reached: no FLEET_LDAP_URI is configured.")
        tls_causes: list[str] = []
        for uri in self._uris_in_turn():
            if uri in skip:
                continue
            try:
                conn = self._connect(uri, self.bind_dn, self.bind_password)
            except tls.TlsFailure as exc:
                tls_causes.append(exc.cause)
                continue
            except UNREACHABLE as exc:
                log.warning("directory %s did not answer: %s", uri, exc)
                continue
            except ldap.INVALID_CREDENTIALS as exc:
                raise DirectoryUnavailable(
                    "The staff directory cannot be used: it refused Fleet's service account "
                    "(check FLEET_LDAP_BIND_DN and FLEET_LDAP_BIND_PASSWORD)."
                ) from exc
            except NEEDS_TLS as exc:
                log.error("directory %s: %r", uri, exc)
                raise DirectoryUnavailable(NEEDS_TLS_DETAIL) from exc
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
        raise self._unavailable(tls_causes)

    @staticmethod
    def _fault(exc: ldap.LDAPError) -> DirectoryUnavailable:
        """An answer Fleet cannot use (bad filter or base in the settings, access denied…)."""
        log.error("directory error: %r", exc)
        if isinstance(exc, NEEDS_TLS):
            return DirectoryUnavailable(NEEDS_TLS_DETAIL)
        info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        what = info.get("desc", type(exc).__name__)
        return DirectoryUnavailable(
            f"The staff directory cannot answer Fleet's look-up ({what}); check the FLEET_LDAP_* settings."
        )

    def _password_binds(self, dn: str, password: str) -> bool:
        """Whether `password` is the person's: a bind on this thread's kept password-check connection.

        It is a connection of its own, so the service connection never changes identity;
        it is kept (and re-bound for the next person) so that a log-in costs one operation,
        not a new TCP and TLS handshake.
        """
        conn = self._current("auth")
        if conn is not None:
            try:
                conn.simple_bind_s(dn, password)
                return True
            except BIND_REFUSED:
                return False
            except NEEDS_TLS as exc:
                self._drop("auth")
                raise self._fault(exc) from exc
            except ldap.LDAPError:
                self._drop("auth")  # gone stale or odd: open a new one below
        tls_causes: list[str] = []
        for uri in self._uris_in_turn():
            try:
                conn = self._connect(uri, dn, password)
            except BIND_REFUSED:
                return False
            except tls.TlsFailure as exc:
                tls_causes.append(exc.cause)
                continue
            except UNREACHABLE as exc:
                log.warning("directory %s did not answer a password check: %s", uri, exc)
                continue
            except ldap.LDAPError as exc:
                raise self._fault(exc) from exc
            self._keep(conn, uri, "auth")
            return True
        raise self._unavailable(tls_causes)

    # -- single operations -------------------------------------------------------------

    def _paged_search(self, conn: LDAPObject, base: str, scope: int, filterstr: str, attrs: list[str], *,
                      along: Callable[[], object] | None = None) -> list[tuple[str, Entry]]:
        """All entries of one search, fetched in pages (the Simple Paged Results control).

        A server caps what one search returns (AD: 1,000 entries); with pages nothing is
        cut off. Each page is one operation; a server without paging answers in one.
        `along`: sends requests that travel with the first page's (its answers are the caller's to read).
        """
        control = SimplePagedResultsControl(criticality=False, size=self.page_size, cookie=b"")
        found: list[tuple[str, Entry]] = []
        while True:
            msgid = conn.search_ext(base, scope, filterstr, attrs, serverctrls=[control], timeout=self.timeout)
            if along is not None:
                along()
                along = None
            _, data, _, controls = conn.result3(msgid, all=1, timeout=self.timeout)
            found.extend((dn, entry) for dn, entry in data if dn)  # drops search references
            cookie = next(
                (c.cookie for c in controls or [] if c.controlType == SimplePagedResultsControl.controlType), b""
            )
            if not cookie:
                return found
            control.cookie = cookie

    def _search_people(
        self, filterstr: str, attrs: list[str], scope: int = ldap.SCOPE_SUBTREE, *, people_only: bool = True
    ) -> list[tuple[str, Entry]]:
        """The people under the people base that match (the person filter added); one operation per page.

        A people base that does not exist is a configuration fault, not "nobody is there":
        otherwise a typo in the settings would make every borrower a leaver.
        """
        return self._search_people_asking(filterstr, attrs, [], scope, people_only=people_only)[0]

    def _search_people_asking(
        self, filterstr: str, attrs: list[str], compares: list[tuple[str, str]], scope: int = ldap.SCOPE_SUBTREE,
        *, people_only: bool = True,
    ) -> tuple[list[tuple[str, Entry]], dict[tuple[str, str], bool]]:
        """As `_search_people`, and the answers of `compares` ((group DN, person DN) pairs), sent with the search's
        first page so that both take one round trip: whether each group lists each DN. An answer the directory
        could not give is left out (the caller asks again)."""
        if people_only:
            filterstr = f"(&{filterstr}{self.person_filter})"

        def search(conn: LDAPObject) -> tuple[list[tuple[str, Entry]] | None, dict[tuple[str, str], bool]]:
            sent: list[tuple[tuple[str, str], int]] = []
            along = (lambda: sent.extend(_send_compares(conn, compares))) if compares else None
            try:
                found = self._paged_search(conn, self.people_base, scope, filterstr, attrs, along=along)
            except ldap.NO_SUCH_OBJECT:
                found = None
            # (any other failure of the search: _call drops the connection, the answers unread with it)
            return found, self._compare_answers(conn, sent, strict=False)

        found, answers = self._call(search)
        if found is None:
            raise DirectoryUnavailable(
                f"The staff directory has no entry {self.people_base!r}; check FLEET_LDAP_PEOPLE_BASE."
            )
        return found, answers

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
            answers = self._compare_answers(conn, _send_compares(conn, [(group_dn, dn) for dn in person_dns]))
            return {dn for (_, dn), member in answers.items() if member}

        return self._call(compare_all) if person_dns else set()

    def _compare_answers(self, conn: LDAPObject, sent: list[tuple[tuple[str, str], int]], *,
                         strict: bool = True) -> dict[tuple[str, str], bool]:
        """The answers to compares sent (`_send_compares`): whether each group lists each DN. `strict`: any other
        answer than yes, no, or "no such group" is the directory's fault; otherwise it is left out."""
        answers: dict[tuple[str, str], bool] = {}
        failure: ldap.LDAPError | None = None
        for pair, msgid in sent:  # every answer is read, so that none is left waiting on the connection
            try:
                conn.result3(msgid, all=1, timeout=self.timeout)
            except ldap.COMPARE_TRUE:
                answers[pair] = True
            except (ldap.COMPARE_FALSE, *NOT_A_MEMBER):
                answers[pair] = False
            except ldap.LDAPError as exc:
                failure = failure or exc
        if failure is not None and (strict or isinstance(failure, UNREACHABLE)):
            raise failure
        return answers

    def _in_chain(self, group_dn: str, person_dn: str) -> bool:
        """AD: whether the person is in the group directly or through nested groups (one base search)."""
        filterstr = f"(memberOf:{IN_CHAIN}:={ldap.filter.escape_filter_chars(group_dn)})"

        def search(conn: LDAPObject) -> bool:
            try:
                return bool(conn.search_ext_s(person_dn, ldap.SCOPE_BASE, filterstr, ["1.1"], timeout=self.timeout))
            except NOT_A_MEMBER:
                return False

        return self._call(search)

    def _groups_above(self, dns: Iterable[str]) -> set[str]:
        """Other servers: every group that holds one of `dns` through `member`, walked upwards.

        One search per level under the groups' naming context; cycles are cut by
        remembering each group seen, and the walk stops after `nesting_depth` levels.
        """
        groups = (self.it_group, self.auditor_group, self.privacy_group, self.eligible_group)
        bases = {_naming_context(g) for g in groups if g}
        seen: set[str] = set()
        frontier = set(dns)
        for _ in range(self.nesting_depth):
            if not frontier:
                break
            any_member = "(|" + "".join(f"(member={ldap.filter.escape_filter_chars(dn)})" for dn in frontier) + ")"
            above: set[str] = set()
            for base in bases:

                def search(conn: LDAPObject, base: str = base, filterstr: str = any_member) -> list[tuple[str, Entry]]:
                    try:
                        return self._paged_search(conn, base, ldap.SCOPE_SUBTREE, filterstr, ["1.1"])
                    except ldap.NO_SUCH_OBJECT:
                        return []

                above |= {dn for dn, _ in self._call(search)}
            frontier = {dn for dn in above if _match_key(dn) not in {_match_key(s) for s in seen}}
            seen |= frontier
        return seen

    def _primary_group_rids(self, group_dn: str) -> frozenset[int]:
        """AD: the RIDs whose `primaryGroupID` makes a person a member of the group (kept a few minutes).

        The group's own RID; with nested groups also those of the groups inside it, since
        a person's primary group (Domain Users) may itself be a member of the group.
        """
        cached = self._group_rids.get(group_dn)
        if cached and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
            return cached[1]

        def search(conn: LDAPObject) -> frozenset[int]:
            rids: set[int] = set()
            try:
                own = conn.search_ext_s(group_dn, ldap.SCOPE_BASE, "(objectClass=*)", ["objectSid"],
                                        timeout=self.timeout)
            except NOT_A_MEMBER:
                return frozenset()
            for _, entry in own:
                rids.update(r for r in map(_rid, _raw(entry, "objectSid")) if r is not None)
            if self.nested_groups and self.flavor == "ad" and rids:
                inner = f"(&(objectClass=group)(memberOf:{IN_CHAIN}:={ldap.filter.escape_filter_chars(group_dn)}))"
                for _, entry in self._paged_search(conn, _naming_context(group_dn), ldap.SCOPE_SUBTREE, inner,
                                                   ["objectSid"]):
                    rids.update(r for r in map(_rid, _raw(entry, "objectSid")) if r is not None)
            return frozenset(rids)

        rids = self._call(search)
        self._group_rids[group_dn] = (time.monotonic(), rids)
        return rids

    def _by_primary_group(self, group_dn: str, entry: Entry) -> bool:
        primary = _first(entry, "primaryGroupID")
        if primary is None or not primary.isdigit():
            return False
        return int(primary) in self._primary_group_rids(group_dn)

    def _groups_of(self, dn: str, entry: Entry, groups: list[str], known: dict[str, bool] | None = None) -> set[str]:
        """Which of `groups` the person belongs to: directly, through the primary group, and when
        FLEET_LDAP_NESTED_GROUPS is on, through nested groups.

        Without nesting: one compare per group (`known`: the answers of compares already made for this DN).
        AD with nesting: one in-chain search per group. Other servers with nesting: a compare per group, and
        for the groups that said no, one upward walk of `member` shared by them.
        """
        known = known or {}
        member: set[str] = set()
        undecided: list[str] = []
        for group in groups:
            if self._by_primary_group(group, entry):
                member.add(group)
            elif self.nested_groups and self.flavor == "ad":
                if self._in_chain(group, dn):
                    member.add(group)
            elif known[group] if group in known else self._member_of(group, dn):
                member.add(group)
            else:
                undecided.append(group)
        if undecided and self.nested_groups:
            above = {_match_key(g) for g in self._groups_above([dn])}
            member.update(g for g in undecided if _match_key(g) in above)
        return member

    # -- the Directory protocol --------------------------------------------------------

    def _attrs(self) -> list[str]:
        return list(dict.fromkeys([self.uid_attr, self.name_attr, "cn", self.employee_number_attr,
                                   self.department_attr, "mail", "primaryGroupID", "preferredLanguage"]))

    def _by_uid(self, uid: str) -> str:
        return f"({self.uid_attr}={ldap.filter.escape_filter_chars(uid)})"

    def _by_login(self, login: str) -> str:
        """Any of the login attributes holding `login` (`name`, `name@upn-suffix`; `DOMAIN\\name` is read as `name`)."""
        value = ldap.filter.escape_filter_chars(login)
        if len(self.login_attrs) == 1:
            return f"({self.login_attrs[0]}={value})"
        return "(|" + "".join(f"({attr}={value})" for attr in self.login_attrs) + ")"

    def _person(
        self, dn: str, entry: Entry, *, uid: str, active: bool, eligible: bool, roles: frozenset[str] = frozenset()
    ) -> Person:
        stored = _values(entry, self.uid_attr)
        stored_uid = next((v for v in stored if _match_key(v) == _match_key(uid)), stored[0] if stored else uid)
        name = _first(entry, self.name_attr) or _first(entry, "cn") or stored_uid
        return Person(
            uid=stored_uid,
            dn=dn,
            name=name,
            employee_number=_first(entry, self.employee_number_attr),
            department=_first(entry, self.department_attr),
            email=_first(entry, "mail"),
            language=_language(_first(entry, "preferredLanguage")),
            active=active,
            eligible=eligible,
            roles=roles,
        )

    def _find(self, match: str, uid: str, *, with_roles: bool) -> Person | None:
        attrs = self._attrs()
        guess = self._guessed_dn(uid)
        groups = self._groups_asked(with_roles)
        found, answers = self._search_people_asking(f"(&{match}{self.active_filter})", attrs,
                                                    [(group, guess) for group in groups] if guess else [])
        active = bool(found)
        if not found:
            found = self._search_people(match, attrs)
        if len(found) != 1:
            if found:
                log.warning("uid %r is held by %d directory entries; treated as unknown", uid, len(found))
            return None
        dn, entry = found[0]
        key = _dn_key(dn)
        self._learn_layout(key, entry)
        known = None
        if guess is not None and key == _dn_key(guess):
            known = {group: member for (group, _), member in answers.items()}
        member_of = self._groups_of(dn, entry, groups, known) if active and groups else set()
        eligible = active and (self.eligible_group is None or self.eligible_group in member_of)
        roles: set[str] = set()
        if with_roles and active:
            roles.add(ROLE_EMPLOYEE)
            roles.update(role for role, group in self._role_groups().items() if group in member_of)
        return self._person(dn, entry, uid=uid, active=active, eligible=eligible, roles=frozenset(roles))

    def _groups_asked(self, with_roles: bool) -> list[str]:
        """The groups a look-up asks about for an active person (a disabled one has none): the eligible group,
        and the role groups on request."""
        wanted = [self.eligible_group] if self.eligible_group else []
        if with_roles:
            wanted += list(self._role_groups().values())
        return list(dict.fromkeys(wanted))

    def _guessed_dn(self, uid: str) -> str | None:
        """The DN the person would have if the directory names people by uid under the people base (OpenLDAP's
        usual layout), as the last person found was; None when it does not, or when groups are nested in AD
        (asked by in-chain searches, not compares)."""
        if self._dn_by_uid is False or (self.nested_groups and self.flavor == "ad"):
            return None
        return self._dn_by_layout(uid)

    def _dn_by_layout(self, uid: str) -> str:
        return f"{self.uid_attr}={ldap.dn.escape_dn_chars(uid)},{self.people_base}"

    def _learn_layout(self, key: str, entry: Entry) -> None:
        """`key`: the DN found, as `_dn_key` gives it."""
        self._dn_by_uid = any(key == _dn_key(self._dn_by_layout(value)) for value in _values(entry, self.uid_attr))

    def get_person(self, uid: str, *, with_roles: bool = False) -> Person | None:
        """The person with this uid as the directory has them now, or None.

        One round trip for an active person on a directory that names people by uid under
        the people base (OpenLDAP's usual layout); at most 3 otherwise, the service bind of a
        new connection included. The server applies the active filter in the search that
        finds an active person; only when that finds nobody does a second search tell a
        disabled person from an unknown uid. Eligibility is one compare on the eligible
        group, and roles, on request, one compare per role group. The compares travel with
        the search, for the DN that layout gives the uid, while the last person found had such
        a DN; their answers count only if the person found has that DN, otherwise they are
        asked again for the DN found. A uid that matches two entries in one search is
        ambiguous and counts as not found (no guessing whose password to check). An entry
        that is no person (a group, a computer) is not found. `employee` is a role of every
        active person; a disabled one has none.
        """
        if not plausible_uid(uid):
            return None
        return self._find(self._by_uid(uid), uid, with_roles=with_roles)

    def authenticate(self, uid: str, password: str) -> Person | None:
        """The active person (with roles) whose password binds, else None.

        The log-in name may be any of FLEET_LDAP_LOGIN_ATTRS (`name`, `name@upn-suffix`)
        or `DOMAIN\\name`; the person comes back under their one uid. An empty password
        never counts: LDAP would take it as an anonymous bind and succeed. A disabled person
        is refused even with the right password, because the server still lets such a
        person bind.
        """
        if not _plausible_password(password) or not plausible_uid(uid):
            return None
        login = uid.split("\\", 1)[1] if "\\" in uid else uid  # DOMAIN\name: the domain is not kept anywhere
        if not plausible_uid(login):
            return None
        person = self._find(self._by_login(login), login, with_roles=True)
        if person is None or not person.active:
            return None
        return person if self._password_binds(person.dn, password) else None

    def _role_groups(self) -> dict[str, str]:
        """The configured groups that grant a role, by role: the log-in and the re-check read the same."""
        return {role: group for role, group in ((ROLE_IT, self.it_group), (ROLE_AUDITOR, self.auditor_group),
                                                (ROLE_PRIVACY, self.privacy_group)) if group}

    def check_actor(self, uid: str, dn: str | None = None) -> Person | None:
        """The caller as the directory has them now: active or not, and their roles (the actor re-check).

        One search, when the person's DN is known from the log-in: under the suffix shared by the people
        base and the role groups, `(|(<the uid, a person, active>)(member=<the DN>))` answers the active
        entry and the groups that list that DN, i.e. status and roles together. A person the search does
        not find (disabled or removed) costs a second look-up, to say which. Active Directory, nested
        groups, a DN that changed, or groups in another naming context: the person is looked up as at
        log-in instead (a search and a compare per role group).
        """
        if not plausible_uid(uid):
            return None
        groups = self._role_groups()
        base = _shared_suffix([self.people_base, *groups.values()])
        if dn is None or self.nested_groups or self.flavor == "ad" or not base:
            return self._find(self._by_uid(uid), uid, with_roles=True)
        active = f"(&{self._by_uid(uid)}{self.person_filter}{self.active_filter})"
        filterstr = f"(|{active}(member={ldap.filter.escape_filter_chars(dn)}))"
        people_key = _dn_key(self.people_base)

        def search(conn: LDAPObject) -> list[tuple[str, Entry]]:
            return self._paged_search(conn, base, ldap.SCOPE_SUBTREE, filterstr, self._attrs())

        found = self._call(search)
        keys = {_dn_key(found_dn) for found_dn, _ in found}
        people = [(d, e) for d, e in found
                  if _dn_key(d).endswith("," + people_key)
                  and any(_match_key(v) == _match_key(uid) for v in _values(e, self.uid_attr))]
        if len(people) != 1 or _dn_key(people[0][0]) != _dn_key(dn):
            return self._find(self._by_uid(uid), uid, with_roles=True)  # gone, disabled, ambiguous or moved
        roles = {ROLE_EMPLOYEE} | {role for role, group in groups.items() if _dn_key(group) in keys}
        person_dn, entry = people[0]
        return self._person(person_dn, entry, uid=uid, active=True, eligible=False, roles=frozenset(roles))

    def get_people(self, uids: Iterable[str]) -> dict[str, Person]:
        """Many people at once (the directory sync), keyed by the uids asked for; unknown ones are absent.

        Per batch of 100 uids: one OR-filter search for the entries, one with the active
        filter added, and one round trip of pipelined compares on the eligible group (for
        the active ones only; AD with nested groups: one in-chain search instead) — about
        3 operations per 100 people, never a read of a whole group. Roles are not looked
        up. A uid held by two entries is absent, as in get_person.
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
            eligible_dns = self._eligible_among(any_of, [(dn, e) for dn, e in unique.values() if dn in active_dns])
            for key, (dn, entry) in unique.items():
                for uid in wanted[key]:
                    people[uid] = self._person(dn, entry, uid=uid, active=dn in active_dns, eligible=dn in eligible_dns)
        return people

    def _eligible_among(self, any_of: str, active: list[tuple[str, Entry]]) -> set[str]:
        """Which of these active people may borrow (the batch of get_people)."""
        dns = sorted(dn for dn, _ in active)
        if self.eligible_group is None or not dns:
            return set(dns)
        group = self.eligible_group
        eligible = {dn for dn, entry in active if self._by_primary_group(group, entry)}
        if self.nested_groups and self.flavor == "ad":
            chain = f"(&{any_of}(memberOf:{IN_CHAIN}:={ldap.filter.escape_filter_chars(group)}))"
            return eligible | {dn for dn, _ in self._search_people(chain, ["1.1"])}
        eligible |= self._members_of(group, [dn for dn in dns if dn not in eligible])
        if self.nested_groups:
            key = _match_key(group)
            for dn in dns:
                if dn not in eligible and key in {_match_key(g) for g in self._groups_above([dn])}:
                    eligible.add(dn)
        return eligible

    def ping(self) -> None:
        """Raise DirectoryUnavailable unless the directory answers and holds the people base (one search)."""
        self._search_people("(objectClass=*)", ["1.1"], scope=ldap.SCOPE_BASE, people_only=False)
