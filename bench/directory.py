"""A slapd with 10,000 people, indexed as a production directory would be, on ldap://, ldaps:// and StartTLS."""

from __future__ import annotations

import tempfile
from pathlib import Path

from demo.slapd import DirectoryServer, TlsDirectoryServer
from fleet.db import utcnow
from tests.support.tls import PrivateCA

SUFFIX = "dc=bench,dc=kr"


class _Indexes:
    """Equality indexes on uid, member and objectClass, as a production directory has."""

    def _write_config(self) -> None:
        # The schemas load after the database entry, so the indexes are added to its file afterwards
        # (dropping the file's CRC line, which slapd then does not check).
        super()._write_config()
        path = Path(self._slapd_conf) / "cn=config" / "olcDatabase={1}mdb.ldif"
        lines = [line for line in path.read_text().splitlines() if not line.startswith("# CRC32")]
        lines += ["olcDbIndex: uid eq", "olcDbIndex: member eq", "olcDbIndex: objectClass eq"]
        path.write_text("\n".join(lines) + "\n")


class IndexedDirectoryServer(_Indexes, DirectoryServer):
    """slapd with the indexes, on ldap:// only."""


class IndexedTlsDirectoryServer(_Indexes, TlsDirectoryServer):
    """slapd with the indexes, also on ldaps:// and StartTLS (a private CA made here), without the stats log."""

    debug_level = "0"


def person_uid(i: int) -> str:
    return f"u{i:05d}"


def start(people: int = 10_000) -> IndexedTlsDirectoryServer:
    pki = Path(tempfile.mkdtemp(prefix="fleet-bench-pki-"))
    ca = PrivateCA(pki, "Fleet Bench CA", utcnow())
    cert = ca.issue("slapd", ["127.0.0.1"])
    server = IndexedTlsDirectoryServer(SUFFIX, ca_file=ca.cert, cert_file=cert.cert, key_file=cert.key)
    server.start()
    parts = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: bench\no: Bench\n",
             f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
             f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n"]
    for i in range(people):
        uid = person_uid(i)
        parts.append(f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: 직원{i}\n"
                     f"sn: 김\nemployeeNumber: B{i:05d}\nou: 부서{i % 50}\nmail: {uid}@bench.kr\nuserPassword: pw\n")
    members = "".join(f"member: uid={person_uid(i)},ou=people,{SUFFIX}\n" for i in range(people))
    parts.append(f"dn: cn=eligible,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: eligible\n{members}")
    parts.append(f"dn: cn=it,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: it\n"
                 f"member: uid={person_uid(0)},ou=people,{SUFFIX}\n")
    server.load("\n".join(parts))
    return server


def settings(server: DirectoryServer, transport: str = "plain") -> dict[str, str]:
    """FLEET_LDAP_* for the bench directory; transport `plain` (ldap://), `ldaps` or `starttls`."""
    values = {"FLEET_LDAP_URI": server.uri, "FLEET_LDAP_PEOPLE_BASE": f"ou=people,{SUFFIX}",
              "FLEET_LDAP_IT_GROUP": f"cn=it,ou=groups,{SUFFIX}", "FLEET_LDAP_AUDITOR_GROUP": "",
              "FLEET_LDAP_ELIGIBLE_GROUP": f"cn=eligible,ou=groups,{SUFFIX}"}
    if transport != "plain":
        values["FLEET_LDAP_CA_FILE"] = server.cafile
    if transport == "ldaps":
        values["FLEET_LDAP_URI"] = server.ldaps_uri
    elif transport == "starttls":
        values["FLEET_LDAP_STARTTLS"] = "true"
    return values
