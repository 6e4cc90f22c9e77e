"""A real Active Directory domain controller for the tests: Samba (Debian's `samba`), on loopback only.

`SambaDC.start()` provisions a throwaway domain in a temporary directory (about 5 s, no
system file touched), loads the test domain with one `ldbadd` batch while the DC is
stopped (1,500 users in seconds, not 1,500 samba-tool calls), then runs `samba` with only
its LDAP service, listening on 127.0.0.1. Its TLS certificate is issued by a private CA of
the test (tests/support/tls.py) and names `dc1.example.kr` and 127.0.0.1.

Samba's LDAP ports cannot be changed (389, 636, 3268, 3269): they must be free on
127.0.0.1. If they are not, start() says so; the AD tests then fail, never skip.
"""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import ldap

from fleet.db import utcnow
from tests.support.tls import PrivateCA

REALM = "EXAMPLE.KR"
DOMAIN = "EXAMPLE"
BASE = "DC=example,DC=kr"
HOST = "dc1"
ADMIN_PASSWORD = "Adm-1n-Pass!"
PASSWORD = "Fleet-Pass-1!"  # every test person's (AD's complexity rules: no account name inside)
SERVICE_PASSWORD = "Service-Pass-2!"
PORTS = (389, 636, 3268, 3269)
BULK_USERS = 1500

SEOUL = f"OU=Seoul,{BASE}"
BULK = f"OU=Bulk,{BASE}"
SERVICE_DN = f"CN=fleet-svc,OU=Services,{BASE}"
IT_GROUP = f"CN=fleet-it,{SEOUL}"
HELPDESK_GROUP = f"CN=IT-Helpdesk,{SEOUL}"
AUDITOR_GROUP = f"CN=fleet-auditors,{SEOUL}"
ELIGIBLE_GROUP = f"CN=fleet-eligible,{SEOUL}"
SEOUL_STAFF_GROUP = f"CN=Seoul-Staff,{SEOUL}"
DESK_GROUP = f"CN=Desk-Seoul,{SEOUL}"
ALL_STAFF_GROUP = f"CN=All-Staff,{SEOUL}"  # holds Domain Users: everyone through the primary group
DOMAIN_USERS = f"CN=Domain Users,CN=Users,{BASE}"
NORMAL, DISABLED, NO_PASSWORD_NEEDED = 512, 514, 544


@dataclass(frozen=True)
class AdUser:
    sam: str
    given: str
    surname: str
    department: str
    employee_id: str
    enabled: bool = True

    @property
    def cn(self) -> str:
        return f"{self.given} {self.surname}"  # AD's default cn: given name first ("지은 김")

    @property
    def display_name(self) -> str:
        return f"{self.surname}{self.given}"  # as Koreans write it ("김지은")

    @property
    def dn(self) -> str:
        return f"CN={self.cn},{SEOUL}"

    @property
    def upn(self) -> str:
        return f"{self.sam}@{REALM.lower()}"


USERS = [
    AdUser("jieun", "지은", "김", "민원봉사과", "E1001"),  # eligible through Seoul-Staff, nested in fleet-eligible
    AdUser("minsu", "민수", "이", "정보화담당관", "E1002"),  # IT staff through IT-Helpdesk, nested in fleet-it
    AdUser("sora", "소라", "박", "감사담당관", "E1003"),  # auditor, directly
    AdUser("junho", "준호", "최", "총무과", "E1004"),  # in no group of Fleet's (only Domain Users, his primary group)
    AdUser("sangwoo", "상우", "한", "총무과", "E1005", enabled=False),  # disabled
]


def _line(name: str, value: str) -> str:
    """One LDIF line; a value that is not plain ASCII goes base64-encoded (`name:: …`)."""
    if value.isascii() and not value.startswith((" ", ":", "<")):
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode('utf-8')).decode()}\n"


def _password(value: str) -> str:
    quoted = '"' + value + '"'  # AD takes unicodePwd as the quoted password in UTF-16LE
    return f"unicodePwd:: {base64.b64encode(quoted.encode('utf-16-le')).decode()}\n"


def _user(user: AdUser) -> str:
    return (
        _line("dn", user.dn) + "objectClass: user\n" + _line("cn", user.cn) + f"sAMAccountName: {user.sam}\n"
        f"userPrincipalName: {user.upn}\n" + _line("givenName", user.given) + _line("sn", user.surname)
        + _line("displayName", user.display_name) + _line("department", user.department)
        + f"employeeID: {user.employee_id}\nmail: {user.sam}@example.kr\n" + _password(PASSWORD)
        + f"userAccountControl: {NORMAL if user.enabled else DISABLED}\n"
    )


def _group(dn: str, members: list[str]) -> str:
    name = dn.split(",", 1)[0][3:]
    members_ldif = "".join(_line("member", m) for m in members)
    return _line("dn", dn) + f"objectClass: group\nsAMAccountName: {name}\n" + members_ldif


def domain_ldif() -> str:
    """The test domain: Seoul's people and groups, a computer, a service account and 1,500 more users."""
    jieun, minsu, sora, junho, _ = USERS
    parts = [
        f"dn: {SEOUL}\nobjectClass: organizationalUnit\nou: Seoul\n",
        f"dn: OU=Services,{BASE}\nobjectClass: organizationalUnit\nou: Services\n",
        f"dn: {BULK}\nobjectClass: organizationalUnit\nou: Bulk\n",
        f"dn: {SERVICE_DN}\nobjectClass: user\nsAMAccountName: fleet-svc\n{_password(SERVICE_PASSWORD)}"
        f"userAccountControl: {NORMAL}\n",
        *(_user(u) for u in USERS),
        f"dn: CN=LAPTOP-SEOUL01,{SEOUL}\nobjectClass: computer\nsAMAccountName: LAPTOP-SEOUL01$\n"
        f"userAccountControl: 4096\n",
        _group(HELPDESK_GROUP, [minsu.dn]),
        _group(IT_GROUP, [HELPDESK_GROUP]),
        _group(AUDITOR_GROUP, [sora.dn]),
        _group(SEOUL_STAFF_GROUP, [jieun.dn]),
        _group(ELIGIBLE_GROUP, [SEOUL_STAFF_GROUP]),
        _group(DESK_GROUP, [jieun.dn, junho.dn]),
        _group(ALL_STAFF_GROUP, [DOMAIN_USERS]),
    ]
    for i in range(1, BULK_USERS + 1):
        parts.append(
            f"dn: CN=u{i:04d},{BULK}\nobjectClass: user\nsAMAccountName: u{i:04d}\n"
            + _line("displayName", f"직원{i:04d}") + f"userAccountControl: {NO_PASSWORD_NEEDED}\n"
        )
    return "\n".join(parts)


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# Provisioning takes ~30 s on an idle 2-core machine and several times that beside a CPU hog: the bounds on each
# step only catch a hang, they do not judge the machine's speed.
HANG_GUARD = 600

@dataclass
class SambaDC:
    """A provisioned, running Samba AD DC; `stop()` ends it and removes every file."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fleet-samba-")))
    process: subprocess.Popen | None = None

    @property
    def ca_file(self) -> Path:
        return self.root / "pki" / "fleet-test-ad-ca-ca.pem"

    @property
    def ldaps_uri(self) -> str:
        return "ldaps://127.0.0.1:636"

    @property
    def ldap_uri(self) -> str:
        return "ldap://127.0.0.1:389"

    def _run(self, *args: str) -> None:
        done = subprocess.run(args, capture_output=True, text=True, timeout=HANG_GUARD, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def start(self) -> SambaDC:
        busy = [p for p in PORTS if _port_in_use(p)]
        if busy:
            raise RuntimeError(f"Samba's LDAP ports {busy} are in use on 127.0.0.1; the AD tests need them free")
        if shutil.which("samba-tool") is None:
            raise RuntimeError("samba-tool is missing: run scripts/setup.sh --test (Debian samba, samba-ad-provision)")
        self._run(
            "samba-tool", "domain", "provision", f"--realm={REALM}", f"--domain={DOMAIN}", "--server-role=dc",
            "--dns-backend=NONE", f"--host-name={HOST}", f"--adminpass={ADMIN_PASSWORD}",
            f"--targetdir={self.root}", "--option=interfaces=127.0.0.1", "--option=bind interfaces only=yes",
            f"--option=pid directory={self.root / 'run'}",
        )
        ca = PrivateCA(self.root / "pki", "Fleet Test AD CA", utcnow())
        cert = ca.issue("dc1", [f"{HOST}.{REALM.lower()}", "127.0.0.1"])
        conf = self.root / "etc" / "smb.conf"
        lines = conf.read_text().splitlines()
        extra = [
            "\tserver services = ldap",
            f"\tlog file = {self.root / 'log.%m'}",
            f"\tncalrpc dir = {self.root / 'ncalrpc'}",
            f"\ttls certfile = {cert.cert}", f"\ttls keyfile = {cert.key}", f"\ttls cafile = {ca.cert}",
            "\tldap server require strong auth = yes",
        ]
        kept = [line for line in lines if not line.strip().startswith(("server services", "log file"))]
        at = kept.index("[global]") + 1
        conf.write_text("\n".join(kept[:at] + extra + kept[at:]) + "\n")
        for sub in ("run", "ncalrpc"):
            (self.root / sub).mkdir(exist_ok=True)
        ldif = self.root / "domain.ldif"
        ldif.write_text(domain_ldif(), encoding="utf-8")
        self._run("ldbadd", "--nosync", "-H", str(self.root / "private" / "sam.ldb"), str(ldif))  # a throwaway domain
        self.process = subprocess.Popen(
            ["samba", "-i", "-M", "single", "-s", str(conf)],
            stdout=(self.root / "samba.out").open("wb"), stderr=subprocess.STDOUT,
        )
        self._wait_until_serving()
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + HANG_GUARD
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"samba exited: {(self.root / 'samba.out').read_text(errors='replace')[-2000:]}")
            try:
                conn = self.connect()
                conn.unbind_s()
                return
            except ldap.LDAPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"samba did not start serving LDAP within {HANG_GUARD} s") from None
                time.sleep(0.2)

    def connect(self, who: str = f"Administrator@{REALM.lower()}", password: str = ADMIN_PASSWORD):
        """A python-ldap connection over ldaps://, bound (the Administrator by default)."""
        conn = ldap.initialize(self.ldaps_uri)
        conn.set_option(ldap.OPT_X_TLS_CACERTFILE, str(self.ca_file))
        conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 2)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.simple_bind_s(who, password)
        return conn

    def set_enabled(self, dn: str, enabled: bool) -> None:
        """Enable or disable an account while the DC runs (userAccountControl), as an administrator would."""
        conn = self.connect()
        try:
            value = str(NORMAL if enabled else DISABLED).encode()
            conn.modify_s(dn, [(ldap.MOD_REPLACE, "userAccountControl", [value])])
        finally:
            conn.unbind_s()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)


def ad_settings(dc: SambaDC, **overrides: str) -> dict[str, str]:
    """FLEET_LDAP_* for the test domain, as an administrator would write them: the ad flavor, ldaps://, the CA."""
    return {
        "FLEET_LDAP_FLAVOR": "ad",
        "FLEET_LDAP_URI": dc.ldaps_uri,
        "FLEET_LDAP_CA_FILE": str(dc.ca_file),
        "FLEET_LDAP_BIND_DN": SERVICE_DN,
        "FLEET_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "FLEET_LDAP_PEOPLE_BASE": BASE,
        "FLEET_LDAP_IT_GROUP": IT_GROUP,
        "FLEET_LDAP_AUDITOR_GROUP": AUDITOR_GROUP,
        "FLEET_LDAP_ELIGIBLE_GROUP": ELIGIBLE_GROUP,
        "FLEET_LDAP_TIMEOUT": "5",
        **overrides,
    }
