"""A throwaway OpenLDAP slapd on loopback, from python-ldap's slapdtest (STACK.md).

slapdtest reads $TMP when it is imported, so set it first.
"""

from __future__ import annotations

import os
import signal
import tempfile

os.environ.setdefault("TMP", tempfile.mkdtemp(prefix="fleet-slapd-"))

from slapdtest import SlapdObject  # noqa: E402 - must come after TMP is set

SCHEMAS = ("core.ldif", "cosine.ldif", "inetorgperson.ldif")


class DirectoryServer(SlapdObject):
    """slapd with the inetOrgPerson schema, a given suffix and port, loaded from an LDIF."""

    root_pw = "adminpw"
    openldap_schema_files = SCHEMAS
    slapd_loglevel = "none"

    def __init__(self, suffix: str, port: int | None = None):
        self.suffix = suffix
        self._fixed_port = port
        super().__init__()

    def _avail_tcp_port(self) -> int:
        return self._fixed_port or super()._avail_tcp_port()

    @property
    def uri(self) -> str:
        return self.ldap_uri.rstrip("/")

    def load(self, ldif: str) -> None:
        self.ldapadd(ldif)

    def modify(self, ldif: str) -> None:
        self.ldapmodify(ldif)

    def stop_serving(self) -> None:
        """Stop slapd but keep its data, so that `start_serving` brings the same directory back."""
        self.terminate()
        self.wait()

    def start_serving(self) -> None:
        self.resume()

    def freeze(self) -> None:
        """SIGSTOP: the port accepts connections but nothing answers."""
        os.kill(self._proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self._proc.pid, signal.SIGCONT)
