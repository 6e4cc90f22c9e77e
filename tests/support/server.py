"""Run Fleet under gunicorn on loopback, the way production runs it.

The master is started in a session (and process group) of its own, so that `kill()` can
SIGKILL the master and its workers at once, like a machine losing power, without
touching the process that started it. Its stderr goes to a file, not a pipe: a pipe
nobody reads fills up and blocks the server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GunicornServer:
    def __init__(self, settings: dict[str, str], workers: int = 2, port: int | None = None, app: str = "wsgi:app"):
        self.app = app
        self.settings = settings
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log_path: Path | None = None

    def start(self, timeout: float = 120) -> GunicornServer:
        """Start serving (again, after `stop()` or `kill()`, on the same port); wait for /healthz."""
        env = {**os.environ, **{k: str(v) for k, v in self.settings.items()}}
        gunicorn = Path(sys.executable).parent / "gunicorn"
        if self._log_path is None:
            fd, name = tempfile.mkstemp(prefix="fleet-gunicorn-", suffix=".log")
            os.close(fd)
            self._log_path = Path(name)
        with open(self._log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(gunicorn), "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                 "--timeout", "60", "--log-level", "warning", self.app],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        """Until /healthz answers 200. The timeout is a bound on a hang: on a 2-core machine under load, gunicorn's
        import of Fleet takes several seconds, and the storm's restart must not fail for that."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer in time")

    def log(self) -> str:
        """What gunicorn and the app wrote to stderr since the first start (kept until `stop()`)."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(encoding="utf-8", errors="replace")

    def worker_pids(self) -> list[int]:
        """The pids of the master's live workers now."""
        master = self.process.pid if self.process else None
        return sorted(pid for pid, state, ppid, _ in _processes() if ppid == master and state not in "ZX")

    def kill(self) -> None:
        """SIGKILL the master and all its workers at once (its whole process group): no clean-up runs.

        Answers when none of them is left alive (the orphaned workers may stay zombies a moment).
        """
        if self.process is None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                pgrp == group and state not in "ZX" for _, state, _, pgrp in _processes()):
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM, SIGKILL after 10 s) and remove the log."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None


def _processes() -> list[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process, from Linux /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    state, ppid, pgrp = stat.read().rpartition(")")[2].split()[:3]
            except (OSError, ValueError):
                continue
            found.append((int(entry), state, int(ppid), int(pgrp)))
    return found
