"""The demo staff directory: `python -m demo.directory [--port 3890]`.

Starts slapd on 127.0.0.1:PORT loaded with demo/directory.ldif — the staff of a Korean
district office (대전광역시 유성구청, Yuseong-gu, Daejeon) — prints the FLEET_LDAP_* settings
as `export` lines, and runs until SIGINT or SIGTERM; then it stops slapd and removes its
files. As in a real directory, anonymous clients may only bind: Fleet looks people up
with a read-only service account.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from pathlib import Path

from demo.slapd import DirectoryServer

SUFFIX = "dc=yuseong,dc=go,dc=kr"
LDIF = Path(__file__).with_name("directory.ldif")
DEFAULT_PORT = 3890
PASSWORD = "demo1234"
SERVICE_DN = f"uid=fleet,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "fleet-demo-service"

# Anonymous clients may only bind; bound accounts (the service account, people) may read;
# no one reads a password hash. (Rules naming a DN cannot be used here: slapdtest writes
# the access rules before it loads any schema, so slapd could not parse the DN.)
ACCESS = (
    "to attrs=userPassword by self write by anonymous auth by * none",
    "to * by users read by * none",
)


def demo_settings(uri: str) -> dict[str, str]:
    """The FLEET_LDAP_* settings for the demo directory at `uri`."""
    return {
        "FLEET_LDAP_URI": uri,
        "FLEET_LDAP_BIND_DN": SERVICE_DN,
        "FLEET_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "FLEET_LDAP_PEOPLE_BASE": f"ou=people,{SUFFIX}",
        "FLEET_LDAP_UID_ATTR": "uid",
        "FLEET_LDAP_ACTIVE_FILTER": "(!(employeeType=inactive))",
        "FLEET_LDAP_IT_GROUP": f"cn=fleet-it,ou=groups,{SUFFIX}",
        "FLEET_LDAP_AUDITOR_GROUP": f"cn=fleet-auditors,ou=groups,{SUFFIX}",
        "FLEET_LDAP_PRIVACY_GROUP": f"cn=fleet-privacy,ou=groups,{SUFFIX}",
        "FLEET_LDAP_ELIGIBLE_GROUP": f"cn=fleet-eligible,ou=groups,{SUFFIX}",
        "FLEET_LDAP_NAME_ATTR": "cn",
        "FLEET_LDAP_DEPARTMENT_ATTR": "ou",
        "FLEET_LDAP_TIMEOUT": "3",
    }


DEMO_SETTINGS = demo_settings(f"ldap://127.0.0.1:{DEFAULT_PORT}")

# (uid, password, role, name, note): everyone in demo/directory.ldif. `role` is what the
# person can do in Fleet: "it", "auditor", "employee", or "disabled" (cannot log in).
DEMO_LOGINS: list[tuple[str, str, str, str, str]] = [
    ("kimit", PASSWORD, "it", "김민수", "정보통신과 — IT staff at the loan desk"),
    ("parkit", PASSWORD, "it", "박지훈", "정보통신과 — IT staff, smart work center equipment"),
    ("leeaudit", PASSWORD, "auditor", "이서연", "감사담당관 — auditor: reads everything, changes nothing"),
    ("choi", PASSWORD, "employee", "최유진", "민원여권과 — pregnant: priority in the pilot"),
    ("jung", PASSWORD, "employee", "정민호", "세무과 — caring for a school-age child: priority"),
    ("kang", PASSWORD, "employee", "강하늘", "복지정책과 — wants to work from home"),
    (
        "song",
        PASSWORD,
        "employee",
        "송지아",
        "스마트워크센터운영및디지털민원서비스혁신추진단 — caring for a toddler: priority",
    ),
    ("lim", PASSWORD, "employee", "임재현", "도시계획과"),
    ("oh", PASSWORD, "employee", "오수빈", "교육체육과 — pregnant: priority"),
    ("seo", PASSWORD, "employee", "서준영", "환경과 — seconded to Sejong"),
    ("shin", PASSWORD, "employee", "신예린", "문화관광과 — caring for a school-age child: priority"),
    ("kwon", PASSWORD, "employee", "권도윤", "재난안전과 — on emergency duty"),
    ("hwang", PASSWORD, "employee", "황보민", "건축과"),
    ("ahn", PASSWORD, "employee", "안채원", "보건소 건강증진과 — caring for twins: priority"),
    ("baek", PASSWORD, "employee", "백소윤", "가족정책과 — pregnant, maternity leave ahead: priority"),
    ("yoon", PASSWORD, "employee", "윤도현", "건설과 — active but not in fleet-eligible: may not borrow"),
    ("han", PASSWORD, "disabled", "한상우", "총무과 — left in 2025, account disabled: cannot log in or borrow"),
]


def start(port: int | None = DEFAULT_PORT) -> DirectoryServer:
    """The demo directory, running and loaded (port None: any free port, as the tests use it)."""
    return DirectoryServer.launch(SUFFIX, LDIF, port=port, access=ACCESS)


def main(argv: list[str] | None = None) -> int:
    """Run the demo directory until SIGINT or SIGTERM; print its settings as `export` lines."""
    parser = argparse.ArgumentParser(description="Run the demo staff directory (slapd) on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    done = threading.Event()
    # Handlers first: a SIGTERM that came while slapd starts must still stop it and clean up.
    previous = {sig: signal.signal(sig, lambda *_: done.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            server = start(args.port)
        except RuntimeError as exc:
            print(
                f"The demo directory did not start on 127.0.0.1:{args.port} (is the port taken?): {exc}",
                file=sys.stderr,
            )
            return 1
        try:
            for key, value in demo_settings(server.uri).items():
                print(f"export {key}={shlex.quote(value)}")
            sys.stdout.flush()
            print(f"demo directory on {server.uri}; Ctrl-C stops it", file=sys.stderr)
            while not done.wait(0.2):  # a timed wait, so that the signal handlers get to run
                pass
        finally:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
