"""A real SMTP server on loopback for the tests (aiosmtpd), and a private CA for its STARTTLS.

`SmtpSink` keeps every message it accepts (the raw bytes, the envelope) and can refuse
recipients (`refuse`: address -> "550 …" or "451 …"), answer slowly (`delay`), hold a message unanswered
(`hold_at`, until `released`), stop and start again on the same port (an outage).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.server import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.sink.refuse.get(address)
        if answer:
            return answer
        # aiosmtpd hands a UTF-8 address (SMTPUTF8) over with surrogate escapes: give it back as text.
        envelope.rcpt_tos.append(address.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        with self.sink.lock:
            self.sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            held = self.sink.hold_at is not None and len(self.sink.received) >= self.sink.hold_at
        while held and not self.sink.released.is_set():  # kept, not yet answered: the sender waits for the 250
            await asyncio.sleep(0.01)
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, *, tls_context=None, credentials: tuple[str, str] | None = None, hostname: str = "127.0.0.1",
                 smtputf8: bool = False):
        self.port = free_port()
        self.hostname = hostname
        self.tls_context = tls_context
        self.credentials = credentials
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}
        self.delay = 0.0
        # From the hold_at-th message on, each is kept but not answered until `released` is set: a sender is then
        # caught with that message in flight, however fast or slow the machine is.
        self.hold_at: int | None = None
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.controller: Controller | None = None
        self.logins: list[str] = []
        self.smtputf8 = smtputf8

    @property
    def url(self) -> str:
        if self.credentials:
            user, password = self.credentials
            return f"smtp+starttls://{user}:{password}@localhost:{self.port}"
        return f"smtp://127.0.0.1:{self.port}"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and self.credentials and \
                (auth_data.login.decode(), auth_data.password.decode()) == self.credentials:
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpSink:
        kwargs = {"enable_SMTPUTF8": self.smtputf8}
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        if self.credentials:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=True)
        self.controller = Controller(_Handler(self), hostname=self.hostname, port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]


def make_private_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for `localhost` and 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr",
                                                          "server.pem"))
    ext = directory / "san.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=Fleet test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(ext))
    return ca, cert, key
