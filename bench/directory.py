"""A slapd with 10,000 people, indexed as a production directory would be."""

from __future__ import annotations

from pathlib import Path

from demo.slapd import DirectoryServer

SUFFIX = "dc=bench,dc=kr"


class IndexedDirectoryServer(DirectoryServer):
    """slapd with equality indexes on uid, member and objectClass, as a production directory has."""

    def _write_config(self) -> None:
        # The schemas load after the database entry, so the indexes are added to its file afterwards
        # (dropping the file's CRC line, which slapd then does not check).
        super()._write_config()
        path = Path(self._slapd_conf) / "cn=config" / "olcDatabase={1}mdb.ldif"
        lines = [line for line in path.read_text().splitlines() if not line.startswith("# CRC32")]
        lines += ["olcDbIndex: uid eq", "olcDbIndex: member eq", "olcDbIndex: objectClass eq"]
        path.write_text("\n".join(lines) + "\n")


def person_uid(i: int) -> str:
    return f"u{i:05d}"


def start(people: int = 10_000) -> DirectoryServer:
    server = IndexedDirectoryServer(SUFFIX)
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


def settings(server: DirectoryServer) -> dict[str, str]:
    return {"FLEET_LDAP_URI": server.uri, "FLEET_LDAP_PEOPLE_BASE": f"ou=people,{SUFFIX}",
            "FLEET_LDAP_IT_GROUP": f"cn=it,ou=groups,{SUFFIX}", "FLEET_LDAP_AUDITOR_GROUP": "",
            "FLEET_LDAP_ELIGIBLE_GROUP": f"cn=eligible,ou=groups,{SUFFIX}"}
