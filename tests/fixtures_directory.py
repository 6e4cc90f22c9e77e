"""The real directory for the test session (a pytest plugin listed in tests/conftest.py).

One slapd serves the whole session. A test that changes an entry through `slapd.modify`
puts it back in a `finally`; a test that stops or freezes a directory takes `own_slapd`
(a second server, brought back after each test) instead, so the shared one is never down.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ldap.ldapobject import SimpleLDAPObject

from fleet.directory import LdapDirectory, directory_from_config
from tests.support.samba import SambaDC
from tests.support.slapd import DirectoryServer, directory_settings, start_test_directory


@pytest.fixture(scope="session")
def slapd() -> Iterator[DirectoryServer]:
    """The session's running test directory (tests/ldif/directory.ldif, suffix dc=example,dc=kr)."""
    server = start_test_directory()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ldap_settings(slapd: DirectoryServer) -> dict[str, str]:
    """FLEET_LDAP_* for the session's directory."""
    return directory_settings(slapd)


@pytest.fixture(scope="session")
def directory(ldap_settings: dict[str, str]) -> LdapDirectory:
    """An LdapDirectory on the session's directory, made from the settings alone."""
    return directory_from_config(ldap_settings)


@pytest.fixture(scope="session")
def _spare_slapd() -> Iterator[DirectoryServer]:
    server = start_test_directory()
    yield server
    server.stop()


@pytest.fixture
def own_slapd(_spare_slapd: DirectoryServer) -> Iterator[DirectoryServer]:
    """A second copy of the test directory that a test may stop, restart or freeze, but not change.

    It is thawed and serving again after the test, so the next test finds it as new.
    """
    yield _spare_slapd
    _spare_slapd.thaw()
    if not _spare_slapd.running:
        _spare_slapd.restart()


# Requests a client sends; reading results and unbinding are not operations the server answers.
LDAP_REQUESTS = frozenset(
    {
        "search_ext",
        "compare_ext",
        "simple_bind",
        "whoami_s",
        "extop",
        "sasl_interactive_bind_s",
        "sasl_bind_s",
        "add_ext",
        "modify_ext",
        "delete_ext",
        "rename",
        "passwd",
    }
)


@pytest.fixture
def ldap_operations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the LDAP requests python-ldap sends while the test runs, in order (any connection)."""
    sent: list[str] = []
    original = SimpleLDAPObject._ldap_call

    def counting(self: SimpleLDAPObject, func, *args, **kwargs):
        if getattr(func, "__name__", "") in LDAP_REQUESTS:
            sent.append(func.__name__)
        return original(self, func, *args, **kwargs)

    monkeypatch.setattr(SimpleLDAPObject, "_ldap_call", counting)
    return sent


@pytest.fixture
def ldap_exchanges(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """As ldap_operations, with each read of an answer as "result" between them."""
    seen: list[str] = []
    original = SimpleLDAPObject._ldap_call

    def recording(self: SimpleLDAPObject, func, *args, **kwargs):
        name = getattr(func, "__name__", "")
        if name in LDAP_REQUESTS or name == "result4":
            seen.append("result" if name == "result4" else name)
        return original(self, func, *args, **kwargs)

    monkeypatch.setattr(SimpleLDAPObject, "_ldap_call", recording)
    return seen


def round_trips(exchanges: list[str]) -> int:
    """How many times the client waited for the server: requests sent, then their answers read, count once."""
    return sum(1 for i, name in enumerate(exchanges) if name != "result" and (i == 0 or exchanges[i - 1] == "result"))


@pytest.fixture(scope="session")
def samba_dc() -> Iterator[SambaDC]:
    """A real Active Directory domain controller (Samba) for the session, started on first use (~15 s).

    tests/support/samba.py: the test domain (Korean people, a disabled one, nested groups,
    Domain Users as a primary group, a group and a computer that are no people, 1,500 users).
    """
    dc = SambaDC()
    try:
        dc.start()
    except BaseException:
        dc.stop()
        raise
    yield dc
    dc.stop()


PARKIT_LDIF = """dn: uid=parkit,ou=people,dc=example,dc=kr
objectClass: inetOrgPerson
uid: parkit
cn: 박정보
sn: 박
employeeNumber: E1009
ou: 정보통신과
mail: parkit@example.kr
userPassword: parkitpw
"""


@pytest.fixture
def parkit(slapd: DirectoryServer) -> Iterator[str]:
    """`parkit`, IT staff in the shared test directory for this test only (password parkitpw).

    The test may disable them or take them out of the IT group; they are removed afterwards.
    """
    group = "cn=fleet-it,ou=groups,dc=example,dc=kr"
    dn = "uid=parkit,ou=people,dc=example,dc=kr"
    slapd.load(PARKIT_LDIF)
    slapd.modify(f"dn: {group}\nchangetype: modify\nadd: member\nmember: {dn}\n")
    try:
        yield "parkit"
    finally:
        try:
            slapd.modify(f"dn: {group}\nchangetype: modify\ndelete: member\nmember: {dn}\n")
        except RuntimeError:
            pass  # the test took them out of the group already
        slapd.ldapdelete(dn)
