"""The demo directory (demo/directory.ldif) holds what the README and the seed promise."""

from __future__ import annotations

import glob
import os
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator

import ldap
import pytest

from demo.directory import DEFAULT_PORT, DEMO_LOGINS, DEMO_SETTINGS, demo_settings, main, start
from demo.slapd import DirectoryServer
from fleet.directory import LdapDirectory, directory_from_config
from fleet.errors import DirectoryUnavailable

ROLES = {"it": {"it", "employee"}, "auditor": {"auditor", "employee"}, "employee": {"employee"}}


@pytest.fixture(scope="module")
def demo() -> Iterator[DirectoryServer]:
    server = start(port=None)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_directory(demo) -> LdapDirectory:
    return directory_from_config(demo_settings(demo.uri))


@pytest.mark.parametrize(("uid", "password", "role", "name", "note"), DEMO_LOGINS, ids=[x[0] for x in DEMO_LOGINS])
def test_every_demo_login_works_as_the_readme_says(demo_directory, uid, password, role, name, note):
    person = demo_directory.get_person(uid, with_roles=True)
    assert person.name == name and person.email == f"{uid}@yuseong.go.kr"
    assert note.startswith(person.department)
    if role == "disabled":
        assert not person.active and demo_directory.authenticate(uid, password) is None
    else:
        assert demo_directory.authenticate(uid, password).roles == ROLES[role]
        assert person.eligible == ("not in fleet-eligible" not in note)


def test_the_demo_has_the_people_the_brief_asks_for():
    roles = [role for _, _, role, _, _ in DEMO_LOGINS]
    assert roles.count("it") == 2 and roles.count("auditor") == 1 and roles.count("disabled") == 1
    assert roles.count("employee") >= 12
    notes = " ".join(note for *_, note in DEMO_LOGINS)
    assert "pregnant" in notes and "child" in notes and "not in fleet-eligible" in notes


def test_the_demo_directory_lets_anonymous_clients_only_bind(demo):
    conn = ldap.initialize(demo.uri)
    with pytest.raises(ldap.NO_SUCH_OBJECT):  # slapd does not even disclose that the base exists
        conn.search_s("ou=people,dc=yuseong,dc=go,dc=kr", ldap.SCOPE_SUBTREE, "(uid=choi)")
    conn.simple_bind_s(DEMO_SETTINGS["FLEET_LDAP_BIND_DN"], DEMO_SETTINGS["FLEET_LDAP_BIND_PASSWORD"])
    [(_, entry)] = conn.search_s("ou=people,dc=yuseong,dc=go,dc=kr", ldap.SCOPE_SUBTREE, "(uid=choi)")
    assert entry["description"] == ["임신 중 — 시범사업 우선 지원 대상".encode()] and "userPassword" not in entry
    conn.unbind_s()


def test_demo_settings_name_the_fixed_port():
    assert DEMO_SETTINGS == demo_settings(f"ldap://127.0.0.1:{DEFAULT_PORT}")
    assert directory_from_config(DEMO_SETTINGS).uris == ["ldap://127.0.0.1:3890"]


def test_the_demo_command_prints_exports_and_stops_cleanly_on_sigterm(capsys):
    with socket.socket() as probe:  # a free port, found as slapdtest finds one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uri = f"ldap://127.0.0.1:{port}"
    seen: list[object] = []
    returned = threading.Event()

    def log_in_then_terminate() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not seen:
            try:
                person = directory_from_config(demo_settings(uri)).authenticate("kimit", "demo1234")
            except DirectoryUnavailable:
                person = None
            if person is not None and "it" in person.roles:  # the groups come last in the LDIF
                seen.append(person.roles)
            else:
                time.sleep(0.05)
        if not returned.is_set():  # never signal pytest itself once main() is over
            os.kill(os.getpid(), signal.SIGTERM)  # what Ctrl-C or scripts/demo.sh's `kill` does

    handler = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=log_in_then_terminate, daemon=True).start()
    try:
        assert main(["--port", str(port)]) == 0
    finally:
        returned.set()
    assert signal.getsignal(signal.SIGTERM) is handler  # main() puts the handlers back
    assert seen == [{"it", "employee"}]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"export FLEET_LDAP_URI={uri}"
    assert "export FLEET_LDAP_ACTIVE_FILTER='(!(employeeType=inactive))'" in out
    with pytest.raises(ldap.SERVER_DOWN):  # slapd is gone, and so are its files
        ldap.initialize(uri).simple_bind_s("", "")
    assert not glob.glob(f"{tempfile.gettempdir()}/fleet-slapd-{os.getpid()}-*/python-ldap-test-{port}")
