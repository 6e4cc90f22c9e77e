"""TLS to the directory against a real slapd that listens on ldaps:// and offers StartTLS.

A private CA is made for the test (tests/support/tls.py). What slapd itself logged is the
proof of what went over the wire: each bind line carries the `ssf` it came in with, and
`ssf=0` would mean a password in clear.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.slapd import TlsDirectoryServer
from fleet import create_app
from fleet.db import utcnow
from fleet.directory import ROLE_EMPLOYEE, ROLE_IT, LdapDirectory, directory_from_config
from fleet.errors import DirectoryUnavailable
from tests.support.slapd import LDIF_DIR, SUFFIX, DirectoryServer, directory_settings, person_dn
from tests.support.tls import IssuedCert, PrivateCA

ROOT = Path(__file__).resolve().parents[2]
CORP_NAME = "ldap.corp.example.kr"  # a name that is not loopback; given to 127.0.0.1 in a private mount namespace


@dataclass
class Pki:
    ca: PrivateCA
    other_ca: PrivateCA
    good: IssuedCert
    wrong_host: IssuedCert
    expired: IssuedCert
    corp: IssuedCert
    client: IssuedCert


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    now = utcnow()
    directory = tmp_path_factory.mktemp("pki")
    ca = PrivateCA(directory, "Fleet Test CA", now)
    return Pki(
        ca=ca,
        other_ca=PrivateCA(directory, "Somebody Else CA", now),
        good=ca.issue("good", ["127.0.0.1", "localhost"]),
        wrong_host=ca.issue("wrong-host", ["ldap.elsewhere.example"]),
        expired=ca.issue("expired", ["127.0.0.1", "localhost"], valid_days=(-60, -1)),
        corp=ca.issue("corp", [CORP_NAME]),
        client=ca.issue("fleet-client", ["fleet-app"], client=True),
    )


def _tls_server(pki: Pki, cert: IssuedCert, **options) -> TlsDirectoryServer:
    server = TlsDirectoryServer(SUFFIX, ca_file=pki.ca.cert, cert_file=cert.cert, key_file=cert.key, **options)
    try:
        server.start()
        server.load((LDIF_DIR / "directory.ldif").read_text(encoding="utf-8"))
    except (RuntimeError, OSError):
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def tls_slapd(pki) -> Iterator[TlsDirectoryServer]:
    server = _tls_server(pki, pki.good)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def servers_with_bad_certs(pki) -> Iterator[dict[str, TlsDirectoryServer]]:
    servers = {"wrong_host": _tls_server(pki, pki.wrong_host), "expired": _tls_server(pki, pki.expired)}
    yield servers
    for server in servers.values():
        server.stop()


def tls_directory(server: TlsDirectoryServer, uri: str | None = None, **settings: str) -> LdapDirectory:
    """FLEET_LDAP_* for the TLS server: the service account binds with a password, so it is protected too."""
    return directory_from_config(
        {
            **directory_settings(server),
            "FLEET_LDAP_URI": uri or server.ldaps_uri,
            "FLEET_LDAP_BIND_DN": server.root_dn,
            "FLEET_LDAP_BIND_PASSWORD": server.root_pw,
            "FLEET_LDAP_TIMEOUT": "2",
            **settings,
        }
    )


def binds_since(server: TlsDirectoryServer, mark: int) -> list[str]:
    """The simple binds slapd answered after `mark` (a length of its log), as `dn ssf=N` strings."""
    log = server.log()[mark:]
    return [
        f"{m.group(1)} ssf={m.group(2)}"
        for m in re.finditer(r'BIND dn="([^"]*)" mech=SIMPLE bind_ssf=\d+ ssf=(\d+)', log)
    ]


def accepted_since(server: TlsDirectoryServer, mark: int) -> int:
    """How many connections slapd accepted on TCP after `mark` (its ldapi socket, used by the test tools, not)."""
    return len(re.findall(r"ACCEPT from IP=", server.log()[mark:]))


def mark(server: TlsDirectoryServer) -> int:
    return len(server.log())


@pytest.mark.parametrize("transport", ["ldaps", "starttls"])
def test_log_in_and_look_up_over_tls(tls_slapd, pki, transport):
    settings = {"FLEET_LDAP_CA_FILE": str(pki.ca.cert)}
    if transport == "starttls":
        settings.update(FLEET_LDAP_URI=tls_slapd.uri, FLEET_LDAP_STARTTLS="true")
    directory = tls_directory(tls_slapd, **settings)
    assert directory.refusal is None and directory.warnings == []
    start = mark(tls_slapd)
    person = directory.authenticate("it1", "it1pw")
    assert person.name == "김민수" and person.roles == {ROLE_IT, ROLE_EMPLOYEE}
    assert directory.get_person("emp1").eligible
    binds = binds_since(tls_slapd, start)
    assert f"{person_dn('it1')} ssf=0" not in binds and len(binds) == 2  # the service account's, then the person's
    assert all(not b.endswith(" ssf=0") for b in binds), binds


@pytest.mark.parametrize("transport", ["ldaps", "starttls"])
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no_ca_file", "certificate is not trusted (set FLEET_LDAP_CA_FILE"),
        ("another_ca", "certificate is not trusted (set FLEET_LDAP_CA_FILE"),
        ("wrong_host", "certificate does not name '127.0.0.1'"),
        ("expired", "certificate has expired"),
    ],
)
def test_each_certificate_problem_is_refused_with_its_own_reason(
    tls_slapd, servers_with_bad_certs, pki, transport, case, expected, caplog
):
    server = servers_with_bad_certs.get(case, tls_slapd)
    ca_file = {"no_ca_file": "", "another_ca": str(pki.other_ca.cert)}.get(case, str(pki.ca.cert))
    settings = {"FLEET_LDAP_CA_FILE": ca_file}
    if transport == "starttls":
        settings.update(FLEET_LDAP_URI=server.uri, FLEET_LDAP_STARTTLS="true")
    directory = tls_directory(server, **settings)
    start = mark(server)
    for call in [
        lambda: directory.get_person("emp1"),
        lambda: directory.authenticate("emp1", "emp1pw"),
        directory.ping,
    ]:
        with caplog.at_level(logging.ERROR, "fleet.directory.ldap"), pytest.raises(DirectoryUnavailable) as caught:
            call()
        assert expected in caught.value.detail and "cannot be reached" not in caught.value.detail
    assert expected in caplog.text  # the log names the cause too
    assert binds_since(server, start) == []  # nothing was bound: no password left Fleet


def test_a_directory_that_requires_tls_says_so(pki):
    server = _tls_server(pki, pki.good, security="simple_bind=64")
    try:
        plain = tls_directory(server, uri=server.uri, FLEET_LDAP_BIND_DN="", FLEET_LDAP_BIND_PASSWORD="")
        assert plain.get_person("emp1").active  # anonymous look-ups are allowed; a password is not
        with pytest.raises(DirectoryUnavailable, match="requires an encrypted connection.*FLEET_LDAP_STARTTLS"):
            plain.authenticate("emp1", "emp1pw")
        with pytest.raises(DirectoryUnavailable, match="requires an encrypted connection"):
            tls_directory(server, uri=server.uri).get_person("emp1")  # the service account's password neither
        start = mark(server)
        starttls = tls_directory(
            server, uri=server.uri, FLEET_LDAP_STARTTLS="true", FLEET_LDAP_CA_FILE=str(pki.ca.cert)
        )
        assert starttls.authenticate("emp1", "emp1pw").uid == "emp1"
        binds = binds_since(server, start)
        assert len(binds) == 2 and not any(b.endswith(" ssf=0") for b in binds), binds  # service account, person
    finally:
        server.stop()


def test_ldaps_and_ldap_uris_never_downgrade(tls_slapd, pki):
    mixed = f"{tls_slapd.ldaps_uri} {tls_slapd.uri}"
    start = mark(tls_slapd)
    # Mixed protection is refused outright, whichever URI comes first.
    for uris in [mixed, f"{tls_slapd.uri} {tls_slapd.ldaps_uri}"]:
        directory = tls_directory(tls_slapd, uri=uris)  # no CA file either: the ldaps:// one would fail
        assert "mixes URIs with and without TLS" in directory.refusal
        for call in [lambda d=directory: d.get_person("emp1"), lambda d=directory: d.authenticate("emp1", "emp1pw")]:
            with pytest.raises(DirectoryUnavailable, match="mixes URIs with and without TLS"):
                call()
    # With StartTLS both are TLS: the certificate failure on the first does not open the second in clear.
    both = tls_directory(tls_slapd, uri=mixed, FLEET_LDAP_STARTTLS="true")
    with pytest.raises(DirectoryUnavailable, match="not trusted"):
        both.authenticate("emp1", "emp1pw")
    # A dead ldaps:// first: the second is used, over StartTLS.
    failover = tls_directory(
        tls_slapd,
        uri=f"ldaps://127.0.0.1:1 {tls_slapd.uri}",
        FLEET_LDAP_STARTTLS="true",
        FLEET_LDAP_CA_FILE=str(pki.ca.cert),
    )
    assert failover.authenticate("emp1", "emp1pw").uid == "emp1"
    binds = binds_since(tls_slapd, start)
    assert len(binds) == 2 and not any(b.endswith("ssf=0") for b in binds), binds  # slapd's own word


def test_cleartext_to_a_name_off_this_host_is_refused_without_a_connection(ldap_settings, ldap_operations):
    directory = directory_from_config({**ldap_settings, "FLEET_LDAP_URI": f"ldap://{CORP_NAME}"})
    assert "would send passwords in clear" in directory.refusal and "FLEET_LDAP_ALLOW_CLEARTEXT" in directory.refusal
    for call in [
        lambda: directory.get_person("emp1"),
        lambda: directory.authenticate("emp1", "emp1pw"),
        directory.ping,
    ]:
        with pytest.raises(DirectoryUnavailable, match="would send passwords in clear"):
            call()
    assert ldap_operations == []  # not even a connection was tried
    allowed = directory_from_config(
        {**ldap_settings, "FLEET_LDAP_URI": f"ldap://{CORP_NAME}", "FLEET_LDAP_ALLOW_CLEARTEXT": "true"}
    )
    assert allowed.refusal is None and "passwords go in clear" in allowed.warnings[0]
    for local in ["ldap://127.0.0.1:389", "ldap://localhost", "ldap://[::1]:389", "ldapi://%2Frun%2Fldapi"]:
        assert directory_from_config({**ldap_settings, "FLEET_LDAP_URI": local}).refusal is None, local
    assert directory_from_config({**ldap_settings, "FLEET_LDAP_URI": "ldap:///"}).refusal is not None


NAMESPACE_PROBE = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from fleet.directory import directory_from_config
    from fleet.errors import DirectoryUnavailable
    settings = json.loads(sys.argv[2])
    results = {}
    for label, extra in json.loads(sys.argv[3]).items():
        try:
            person = directory_from_config({**settings, **extra}).authenticate("emp1", "emp1pw")
            results[label] = person.uid if person else None
        except DirectoryUnavailable as exc:
            results[label] = exc.detail
    print(json.dumps(results))
    """
)


def test_a_real_host_name_over_ldaps_starttls_and_cleartext(pki, tmp_path):
    """As an office runs it: a directory known by its name, not 127.0.0.1 (that name points to 127.0.0.1 in
    a private mount namespace of the test's own)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.fail("this test needs root and unshare(1) (util-linux) to give a host name to 127.0.0.1")
    server = _tls_server(pki, pki.corp)
    try:
        hosts = tmp_path / "hosts"
        hosts.write_text(f"127.0.0.1 localhost\n127.0.0.1 {CORP_NAME}\n")
        base = {**directory_settings(server), "FLEET_LDAP_CA_FILE": str(pki.ca.cert), "FLEET_LDAP_TIMEOUT": "3"}
        cases = {
            "ldaps": {"FLEET_LDAP_URI": f"ldaps://{CORP_NAME}:{server.ldaps_port}"},
            "starttls": {"FLEET_LDAP_URI": f"ldap://{CORP_NAME}:{server.port}", "FLEET_LDAP_STARTTLS": "true"},
            "cleartext": {"FLEET_LDAP_URI": f"ldap://{CORP_NAME}:{server.port}"},
            "cleartext_allowed": {
                "FLEET_LDAP_URI": f"ldap://{CORP_NAME}:{server.port}",
                "FLEET_LDAP_ALLOW_CLEARTEXT": "true",
            },
            "by_address": {"FLEET_LDAP_URI": f"ldaps://127.0.0.1:{server.ldaps_port}"},
        }
        start = mark(server)
        done = subprocess.run(
            [
                "unshare",
                "-m",
                "sh",
                "-c",
                'mount --bind "$0" /etc/hosts && exec "$@"',
                str(hosts),
                sys.executable,
                "-c",
                NAMESPACE_PROBE,
                str(ROOT),
                json.dumps(base),
                json.dumps(cases),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        results = json.loads(done.stdout)
        assert results["ldaps"] == results["starttls"] == results["cleartext_allowed"] == "emp1"
        assert "would send passwords in clear" in results["cleartext"]
        assert "does not name '127.0.0.1'" in results["by_address"]  # the certificate names the host, not the address
        ssf = [b.split("ssf=")[1] for b in binds_since(server, start)]
        assert ssf.count("0") == 1 and len(ssf) == 3  # only the explicitly allowed one went in clear
    finally:
        server.stop()


def test_unchecked_certificates_work_but_are_warned_about(tls_slapd, caplog):
    directory = tls_directory(tls_slapd, FLEET_LDAP_TLS_REQUIRE_CERT="never")
    assert "FLEET_LDAP_TLS_REQUIRE_CERT=never" in directory.warnings[0]
    assert directory.authenticate("emp1", "emp1pw").uid == "emp1"  # no CA file, yet it connects
    settings = {
        **directory_settings(tls_slapd),
        "FLEET_LDAP_URI": tls_slapd.ldaps_uri,
        "FLEET_LDAP_TLS_REQUIRE_CERT": "never",
        "FLEET_SECRET_KEY": "t",
        "FLEET_DATABASE_URL": "sqlite://",
    }
    with caplog.at_level(logging.WARNING):
        app = create_app(settings)
    assert "FLEET_LDAP_TLS_REQUIRE_CERT=never" in caplog.text  # said at start
    body = app.test_client().get("/readyz").get_json()
    assert body["status"] == "ok" and "FLEET_LDAP_TLS_REQUIRE_CERT=never" in body["warnings"][0]


def test_readiness_and_start_name_a_refused_setting(ldap_settings, caplog):
    settings = {
        **ldap_settings,
        "FLEET_LDAP_URI": f"ldap://{CORP_NAME}",
        "FLEET_SECRET_KEY": "t",
        "FLEET_DATABASE_URL": "sqlite://",
    }
    with caplog.at_level(logging.ERROR):
        app = create_app(settings)
    assert "would send passwords in clear" in caplog.text
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and "would send passwords in clear" in response.get_json()["detail"]


def test_readiness_names_a_certificate_problem(tls_slapd):
    settings = {
        **directory_settings(tls_slapd),
        "FLEET_LDAP_URI": tls_slapd.ldaps_uri,
        "FLEET_SECRET_KEY": "t",
        "FLEET_DATABASE_URL": "sqlite://",
    }
    response = create_app(settings).test_client().get("/readyz")
    assert response.status_code == 503 and "not trusted (set FLEET_LDAP_CA_FILE" in response.get_json()["detail"]


def test_a_client_certificate_is_presented(pki):
    server = _tls_server(pki, pki.good, verify_client="demand")
    try:
        without = tls_directory(server, FLEET_LDAP_CA_FILE=str(pki.ca.cert))
        with pytest.raises(DirectoryUnavailable):
            without.get_person("emp1")
        with_cert = tls_directory(
            server,
            FLEET_LDAP_CA_FILE=str(pki.ca.cert),
            FLEET_LDAP_TLS_CERT_FILE=str(pki.client.cert),
            FLEET_LDAP_TLS_KEY_FILE=str(pki.client.key),
        )
        assert with_cert.authenticate("emp1", "emp1pw").uid == "emp1"
    finally:
        server.stop()


def test_tls_connections_are_kept_not_opened_per_request(tls_slapd, pki):
    directory = tls_directory(tls_slapd, FLEET_LDAP_CA_FILE=str(pki.ca.cert))
    start = mark(tls_slapd)
    for _ in range(10):
        assert directory.get_person("emp1", with_roles=True).active
        assert directory.authenticate("emp2", "emp2pw").uid == "emp2"
    assert directory.get_people(["emp1", "emp2", "gone1"]).keys() == {"emp1", "emp2", "gone1"}
    assert accepted_since(tls_slapd, start) == 2  # one service connection, one for password checks


def test_tls_settings_that_cannot_work_are_refused_at_start(ldap_settings, tmp_path):
    for settings, message in [
        ({"FLEET_LDAP_CA_FILE": str(tmp_path / "missing.pem")}, "FLEET_LDAP_CA_FILE names a file"),
        ({"FLEET_LDAP_TLS_REQUIRE_CERT": "allow"}, "demand or never"),
        ({"FLEET_LDAP_STARTTLS": "maybe"}, "FLEET_LDAP_STARTTLS must be true or false"),
        ({"FLEET_LDAP_TLS_CERT_FILE": str(Path(__file__))}, "both FLEET_LDAP_TLS_CERT_FILE and"),
    ]:
        with pytest.raises(ValueError, match=message):
            directory_from_config({**ldap_settings, **settings})


def test_a_directory_without_tls_refuses_starttls_and_fleet_says_so():
    server = DirectoryServer(SUFFIX)
    server.slapd_conf_template = "".join(
        line for line in server.slapd_conf_template.splitlines(keepends=True) if not line.startswith("olcTLS")
    )
    try:
        server.start()
        server.load((LDIF_DIR / "directory.ldif").read_text(encoding="utf-8"))
        directory = directory_from_config(
            {**directory_settings(server), "FLEET_LDAP_STARTTLS": "true", "FLEET_LDAP_TIMEOUT": "2"}
        )
        with pytest.raises(DirectoryUnavailable, match="refused StartTLS"):
            directory.authenticate("emp1", "emp1pw")
    finally:
        server.stop()
