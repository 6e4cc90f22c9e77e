"""Test directory servers: the shared slapd wrapper of the demo, with test data."""

from __future__ import annotations

from pathlib import Path

from demo.slapd import DirectoryServer

LDIF_DIR = Path(__file__).resolve().parent.parent / "ldif"
SUFFIX = "dc=example,dc=kr"


def start_test_directory(ldif: str = "directory.ldif", suffix: str = SUFFIX) -> DirectoryServer:
    server = DirectoryServer(suffix)
    server.start()
    server.load((LDIF_DIR / ldif).read_text(encoding="utf-8"))
    return server


def directory_settings(server: DirectoryServer, suffix: str = SUFFIX) -> dict[str, str]:
    """FLEET_LDAP_* for the test directory: anonymous look-ups, the three groups."""
    return {
        "FLEET_LDAP_URI": server.uri,
        "FLEET_LDAP_PEOPLE_BASE": f"ou=people,{suffix}",
        "FLEET_LDAP_IT_GROUP": f"cn=fleet-it,ou=groups,{suffix}",
        "FLEET_LDAP_AUDITOR_GROUP": f"cn=fleet-auditors,ou=groups,{suffix}",
        "FLEET_LDAP_ELIGIBLE_GROUP": f"cn=fleet-eligible,ou=groups,{suffix}",
        "FLEET_LDAP_TIMEOUT": "3",
    }
