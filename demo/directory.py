"""The demo staff directory: `python -m demo.directory [--port 3890]`.

Starts slapd on 127.0.0.1:PORT loaded with demo/directory.ldif (Yuseong-gu, Daejeon),
prints the FLEET_LDAP_* settings as `export` lines, and runs until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from demo.slapd import DirectoryServer

SUFFIX = "dc=yuseong,dc=go,dc=kr"
LDIF = Path(__file__).with_name("directory.ldif")
PASSWORD = "demo1234"


def demo_settings(uri: str) -> dict[str, str]:
    return {
        "FLEET_LDAP_URI": uri,
        "FLEET_LDAP_PEOPLE_BASE": f"ou=people,{SUFFIX}",
        "FLEET_LDAP_IT_GROUP": f"cn=fleet-it,ou=groups,{SUFFIX}",
        "FLEET_LDAP_AUDITOR_GROUP": f"cn=fleet-auditors,ou=groups,{SUFFIX}",
        "FLEET_LDAP_ELIGIBLE_GROUP": f"cn=fleet-eligible,ou=groups,{SUFFIX}",
    }


# (uid, password, role, name, note) — the README lists these.
DEMO_LOGINS = [
    ("kimit", PASSWORD, "IT staff", "김민수", "정보통신과, hands devices over at the desk"),
    ("parkit", PASSWORD, "IT staff", "박지훈", "정보통신과"),
    ("leeaudit", PASSWORD, "auditor", "이서연", "감사담당관"),
    ("choi", PASSWORD, "employee", "최유진", "민원여권과 — pregnant, priority in the pilot"),
    ("jung", PASSWORD, "employee", "정민호", "세무과 — caring for a child"),
    ("kang", PASSWORD, "employee", "강하늘", "복지정책과"),
    ("yoon", PASSWORD, "employee (not eligible)", "윤도현", "건설과 — not in the eligible group"),
    ("han", PASSWORD, "disabled", "한상우", "총무과 — account disabled: cannot log in or borrow"),
]


def start(port: int) -> DirectoryServer:
    server = DirectoryServer(SUFFIX, port=port)
    server.start()
    server.load(LDIF.read_text(encoding="utf-8"))
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=3890)
    args = parser.parse_args(argv)
    server = start(args.port)
    for key, value in demo_settings(server.uri).items():
        print(f"export {key}='{value}'")
    sys.stdout.flush()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    try:
        done.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
