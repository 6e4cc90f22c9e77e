"""TLS to the directory: which URIs are protected, and why a TLS connection failed.

libldap (built with GnuTLS on Debian) reports every failed handshake the same way, as
"Can't contact LDAP server" or "Connect error". An administrator needs to know whether the
certificate is not trusted, names another host or has expired, so after a failure Fleet
repeats the handshake once with Python's own `ssl` (the same CA file, the same name) and
reads the reason from that. This runs only after a failure, never on the normal path.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import unquote

import ldapurl

STARTTLS_REFUSED = "the directory refused StartTLS (use ldaps://, or enable TLS on the directory)"
STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"
# LDAPMessage { messageID 1, ExtendedRequest [APPLICATION 23] { requestName [0] "1.3.6.1.4.1.1466.20037" } }
STARTTLS_REQUEST = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x16" + STARTTLS_OID

# OpenSSL's verify codes (X509_V_ERR_*) that mean "no chain to a CA Fleet trusts".
UNTRUSTED_CODES = frozenset({2, 18, 19, 20, 21, 27, 32})
EXPIRED_CODES = frozenset({10})
NOT_YET_VALID_CODES = frozenset({9})
HOSTNAME_CODES = frozenset({62, 64})  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH


@dataclass(frozen=True)
class TlsSettings:
    """FLEET_LDAP_CA_FILE, FLEET_LDAP_STARTTLS, FLEET_LDAP_TLS_REQUIRE_CERT and the client certificate."""

    ca_file: str | None = None
    starttls: bool = False
    require_cert: str = "demand"  # or "never"
    cert_file: str | None = None
    key_file: str | None = None


class TlsFailure(Exception):
    """A TLS connection to one URI failed; `cause` says why, in words an administrator can act on."""

    def __init__(self, uri: str, cause: str):
        super().__init__(f"{uri}: {cause}")
        self.uri = uri
        self.cause = cause


def scheme(uri: str) -> str:
    return uri.split("://", 1)[0].lower()


def host_and_port(uri: str) -> tuple[str, int]:
    """The host and port an ldap:// or ldaps:// URI connects to (389 and 636 when none is given)."""
    parsed = ldapurl.LDAPUrl(uri)
    hostport = unquote(parsed.hostport or "")
    default = 636 if parsed.urlscheme == "ldaps" else 389
    if hostport.startswith("["):  # [::1]:389
        host, _, rest = hostport[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default
    host, _, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
    return host, int(port) if port else default  # no host (ldap:///): libldap's own default, not known here


def is_local(uri: str) -> bool:
    """ldapi://, or a loopback address written as such (127.0.0.0/8, ::1, localhost): no password leaves the host.

    A host name is never resolved to decide this: what counts is what the administrator wrote.
    """
    if scheme(uri) == "ldapi":
        return True
    host, _ = host_and_port(uri)
    if not host:
        return False  # whatever ldap.conf names: not known to be this host
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uses_tls(uri: str, starttls: bool) -> bool:
    """Whether every byte to `uri` (the bind included) goes over TLS."""
    return scheme(uri) == "ldaps" or (scheme(uri) == "ldap" and starttls)


def _context(settings: TlsSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.ca_file) if settings.ca_file else ssl.create_default_context()
    if settings.cert_file:
        context.load_cert_chain(settings.cert_file, settings.key_file or None)
    return context


def _read_ldap_message(sock: socket.socket) -> bytes:
    """One BER-encoded LDAPMessage from the socket (its length says where it ends)."""
    data = b""
    while len(data) < 2:
        chunk = sock.recv(2 - len(data))
        if not chunk:
            raise ConnectionError("the directory closed the connection")
        data += chunk
    length = data[1]
    if length & 0x80:
        extra = length & 0x7F
        while len(data) < 2 + extra:
            chunk = sock.recv(2 + extra - len(data))
            if not chunk:
                raise ConnectionError("the directory closed the connection")
            data += chunk
        length = int.from_bytes(data[2 : 2 + extra], "big")
        header = 2 + extra
    else:
        header = 2
    while len(data) < header + length:
        chunk = sock.recv(header + length - len(data))
        if not chunk:
            raise ConnectionError("the directory closed the connection")
        data += chunk
    return data


def _starttls_accepted(sock: socket.socket) -> bool:
    sock.sendall(STARTTLS_REQUEST)
    answer = _read_ldap_message(sock)
    at = answer.find(b"\x78")  # ExtendedResponse; its first element is the result code (ENUMERATED)
    return at >= 0 and answer[at + 2 : at + 5] == b"\x0a\x01\x00"


def diagnose(uri: str, settings: TlsSettings, timeout: float) -> str | None:
    """Why a TLS connection to `uri` fails, or None when it is not a TLS problem (the server is down…)."""
    if settings.require_cert == "never":
        return None
    host, port = host_and_port(uri)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return None  # not reachable at all: not a TLS problem
    try:
        if scheme(uri) == "ldap":
            try:
                accepted = _starttls_accepted(sock)
            except (OSError, ConnectionError):
                return None
            if not accepted:
                return STARTTLS_REFUSED
        try:
            context = _context(settings)
        except (OSError, ssl.SSLError) as exc:
            return f"Fleet cannot read its TLS files ({exc})"
        try:
            with context.wrap_socket(sock, server_hostname=host):
                return None
        except ssl.SSLCertVerificationError as exc:
            return _explain(exc, host)
        except ssl.SSLError as exc:
            return f"the TLS handshake with the directory failed ({exc.reason or exc})"
        except OSError:
            return None
    finally:
        sock.close()


def _explain(exc: ssl.SSLCertVerificationError, host: str) -> str:
    code = exc.verify_code
    message = exc.verify_message or str(exc)
    if code in EXPIRED_CODES:
        return "the directory's certificate has expired (renew it on the directory server)"
    if code in NOT_YET_VALID_CODES:
        return "the directory's certificate is not valid yet (check the clocks and the certificate's dates)"
    if code in HOSTNAME_CODES or "mismatch" in message.lower():
        return (
            f"the directory's certificate does not name {host!r} "
            "(use in FLEET_LDAP_URI a host name that the certificate holds)"
        )
    if code in UNTRUSTED_CODES:
        return "the directory's certificate is not trusted (set FLEET_LDAP_CA_FILE to the CA that issued it)"
    return f"the directory's certificate was refused ({message})"
