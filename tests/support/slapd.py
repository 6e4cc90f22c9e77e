"""Test directory servers: the demo's slapd wrapper, loaded with the test LDIFs.

`DirectoryServer` (from demo/slapd.py) gives `uri`, `stop()`, `stop_serving()` /
`restart()` (same port and data), `freeze()` / `thaw()` (SIGSTOP / SIGCONT), `load()` /
`ldapadd()` and `modify()` / `ldapmodify()` to change entries while it runs.
"""

from __future__ import annotations

from pathlib import Path

from demo.slapd import DirectoryServer

LDIF_DIR = Path(__file__).resolve().parent.parent / "ldif"
SUFFIX = "dc=example,dc=kr"
PEOPLE_BASE = f"ou=people,{SUFFIX}"
IT_GROUP = f"cn=fleet-it,ou=groups,{SUFFIX}"
AUDITOR_GROUP = f"cn=fleet-auditors,ou=groups,{SUFFIX}"
PRIVACY_GROUP = f"cn=fleet-privacy,ou=groups,{SUFFIX}"
ELIGIBLE_GROUP = f"cn=fleet-eligible,ou=groups,{SUFFIX}"

__all__ = ["DirectoryServer", "directory_settings", "person_dn", "start_test_directory"]


def start_test_directory(ldif: str = "directory.ldif", suffix: str = SUFFIX) -> DirectoryServer:
    """A running slapd with `suffix`, loaded from tests/ldif/<ldif>; the caller stops it."""
    return DirectoryServer.launch(suffix, LDIF_DIR / ldif)


def person_dn(uid: str) -> str:
    """The DN of a person in the test directory."""
    return f"uid={uid},{PEOPLE_BASE}"


def directory_settings(server: DirectoryServer, suffix: str = SUFFIX) -> dict[str, str]:
    """FLEET_LDAP_* for the test directory: anonymous look-ups (its rules allow reads), the three groups."""
    return {
        "FLEET_LDAP_URI": server.uri,
        "FLEET_LDAP_BIND_DN": "",
        "FLEET_LDAP_BIND_PASSWORD": "",
        "FLEET_LDAP_PEOPLE_BASE": f"ou=people,{suffix}",
        "FLEET_LDAP_UID_ATTR": "uid",
        "FLEET_LDAP_ACTIVE_FILTER": "(!(employeeType=inactive))",
        "FLEET_LDAP_IT_GROUP": f"cn=fleet-it,ou=groups,{suffix}",
        "FLEET_LDAP_AUDITOR_GROUP": f"cn=fleet-auditors,ou=groups,{suffix}",
        "FLEET_LDAP_PRIVACY_GROUP": f"cn=fleet-privacy,ou=groups,{suffix}",
        "FLEET_LDAP_ELIGIBLE_GROUP": f"cn=fleet-eligible,ou=groups,{suffix}",
        "FLEET_LDAP_NAME_ATTR": "cn",
        "FLEET_LDAP_DEPARTMENT_ATTR": "ou",
        "FLEET_LDAP_TIMEOUT": "3",
    }
