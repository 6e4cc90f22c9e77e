"""A throwaway OpenLDAP slapd on loopback, built on python-ldap's slapdtest (STACK.md).

Shared by the demo (`python -m demo.directory`) and the test suite (tests/support/slapd.py);
it imports nothing from fleet or tests.

slapdtest picks its working directory from $TMP when it is imported (else the current
directory). Rather than set $TMP for the whole process at import time, each server gets
its own fresh temporary directory (the `TMPDIR` attribute slapdtest reads per instance),
and `stop()` removes it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from slapdtest import SlapdObject

SCHEMAS = ("core.ldif", "cosine.ldif", "inetorgperson.ldif")

# Like most real directories: anyone may look people up, nobody reads a password hash;
# anonymous may only use it to bind. The test directory runs with these rules, so Fleet
# is shown never to need more.
READ_BUT_NOT_PASSWORDS = (
    "to attrs=userPassword by self write by anonymous auth by * none",
    "to * by * read",
)


class DirectoryServer(SlapdObject):
    """slapd with the inetOrgPerson schema, a given suffix, access rules and (optionally) a fixed port."""

    root_pw = "adminpw"
    openldap_schema_files = SCHEMAS
    slapd_loglevel = "none"

    def __init__(self, suffix: str, port: int | None = None, access: tuple[str, ...] = READ_BUT_NOT_PASSWORDS):
        """Prepare (start nothing): `start()` or `launch()` runs it."""
        self.suffix = suffix
        self._fixed_port = port
        self._frozen = False
        self.TMPDIR = tempfile.mkdtemp(prefix=f"fleet-slapd-{os.getpid()}-")
        self.slapd_conf_template = SlapdObject.slapd_conf_template + "".join(
            f"olcAccess: {{{i}}}{rule}\n" for i, rule in enumerate(access)
        )
        super().__init__()

    @classmethod
    def launch(
        cls, suffix: str, ldif: str | Path, port: int | None = None, access: tuple[str, ...] = READ_BUT_NOT_PASSWORDS
    ) -> DirectoryServer:
        """A running server loaded with an LDIF file (a Path) or LDIF text (a str)."""
        server = cls(suffix, port=port, access=access)
        try:
            server.start()
            server.load(ldif.read_text(encoding="utf-8") if isinstance(ldif, Path) else ldif)
        except (RuntimeError, OSError):
            server.stop()
            raise
        return server

    def _avail_tcp_port(self) -> int:
        return self._fixed_port or super()._avail_tcp_port()

    @property
    def uri(self) -> str:
        """ldap://127.0.0.1:PORT, the TCP listener (slapdtest's own tools use its ldapi socket)."""
        return self.ldap_uri.rstrip("/")

    @property
    def running(self) -> bool:
        return self._proc is not None

    def load(self, ldif: str) -> None:
        """Add the entries of an LDIF text (UTF-8 values as they are), as the root DN."""
        self.ldapadd(ldif)

    def modify(self, ldif: str) -> None:
        """Apply an LDIF change record (`changetype: modify` …) while the server runs."""
        self.ldapmodify(ldif)

    def stop_serving(self) -> None:
        """Kill slapd but keep its data and port, so that `restart()` brings the same directory back."""
        if self._proc is not None:
            self.thaw()
            self.terminate()
            self.wait()

    def restart(self) -> None:
        """Serve again on the same port with the same data, whether stopped or running."""
        self.stop_serving()
        self.resume()

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, but nothing ever answers.

        A signal is delivered asynchronously, so this waits until every slapd thread is
        seen stopped (on Linux); otherwise a request sent right after could still be answered.
        """
        os.kill(self._proc.pid, signal.SIGSTOP)
        self._frozen = True
        tasks = Path(f"/proc/{self._proc.pid}/task")
        deadline = time.monotonic() + 5
        while tasks.is_dir() and time.monotonic() < deadline and not self._all_stopped(tasks):
            time.sleep(0.005)

    @staticmethod
    def _all_stopped(tasks: Path) -> bool:
        try:
            # /proc/PID/task/TID/stat: "tid (comm) STATE ..."; T = stopped by a signal
            return all(stat.read_text().rsplit(")", 1)[1].split()[0] == "T" for stat in tasks.glob("*/stat"))
        except (OSError, IndexError):
            return False

    def thaw(self) -> None:
        """SIGCONT: answer again, including what was asked while frozen."""
        if self._frozen and self._proc is not None:
            os.kill(self._proc.pid, signal.SIGCONT)
        self._frozen = False

    def stop(self) -> None:
        """Stop slapd and remove all its files (a frozen slapd is thawed first, or it would never exit)."""
        self.thaw()
        super().stop()
        shutil.rmtree(self.TMPDIR, ignore_errors=True)


class TlsDirectoryServer(DirectoryServer):
    """The same slapd, also listening on ldaps:// and offering StartTLS on ldap://, and logging each operation.

    `ca_file`, `cert_file`, `key_file` are PEM files (a private CA and the server's certificate);
    `security` is slapd's `olcSecurity` (e.g. "simple_bind=64": no password bind without
    encryption). The log (`log_path`, slapd's `stats` level) has one line per bind with its
    `ssf=`: the strength of the protection it came in with, 0 for clear text.
    """

    slapd_loglevel = "stats"
    debug_level = "stats"  # what slapd writes to `log_path`; "0" for nothing (benchmarks)

    def __init__(self, suffix: str, *, ca_file: str | Path, cert_file: str | Path, key_file: str | Path,
                 security: str | None = None, verify_client: str = "try", port: int | None = None,
                 access: tuple[str, ...] = READ_BUT_NOT_PASSWORDS):
        """Prepare (start nothing). `verify_client="demand"` refuses a TLS client without a certificate."""
        super().__init__(suffix, port=port, access=access)
        self.cafile, self.servercert, self.serverkey = str(ca_file), str(cert_file), str(key_file)
        self.slapd_conf_template = self.slapd_conf_template.replace(
            "olcTLSVerifyClient: try\n",
            f"olcTLSVerifyClient: {verify_client}\n" + (f"olcSecurity: {security}\n" if security else ""),
        )
        self.ldaps_port = SlapdObject._avail_tcp_port(self)
        self.log_path = Path(self.TMPDIR) / "slapd.log"

    @property
    def ldaps_uri(self) -> str:
        return f"ldaps://{self.local_host}:{self.ldaps_port}"

    def _start_slapd(self) -> None:
        """slapd on ldap://, ldaps:// and ldapi://, its stats log going to `log_path`."""
        urls = [self.ldap_uri, f"{self.ldaps_uri}/", self.ldapi_uri]
        args = [self.PATH_SLAPD, "-F", self._slapd_conf, "-h", " ".join(u for u in urls if u), "-d", self.debug_level]
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - open for slapd's lifetime
        self._proc = subprocess.Popen(args, stdout=self._log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            if self._proc.poll() is not None:
                self._stopped()
                raise RuntimeError("slapd exited before opening its ports")
            try:
                self.ldapwhoami()
                return
            except RuntimeError:
                if time.monotonic() >= deadline:
                    raise RuntimeError("slapd did not start properly") from None
                time.sleep(0.1)

    def stop(self) -> None:
        super().stop()
        if getattr(self, "_log_file", None) is not None:
            self._log_file.close()

    def log(self) -> str:
        """slapd's log so far."""
        return self.log_path.read_text(errors="replace")

    def binds(self) -> list[str]:
        """The log lines of the binds slapd has answered (`BIND dn=… mech=SIMPLE ssf=…`)."""
        return [line for line in self.log().splitlines() if " BIND " in line and "mech=" in line]
