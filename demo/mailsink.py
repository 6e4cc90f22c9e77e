"""The demo's mail server: a local SMTP sink (aiosmtpd) that keeps every message as a file.

`python -m demo.mailsink --port 2525 --folder instance/demo-mail` accepts mail on 127.0.0.1 and
writes each message to the folder as `NNNN-<kind>.eml` (any mail program opens it) and the text
part beside it as `.txt`, so a first user sees the demo's e-mails without a mail server. It prints
the FLEET_SMTP_URL setting as an `export` line and runs until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import re
import shlex
import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

DEFAULT_PORT = 2525


class FolderHandler:
    """Writes each accepted message to a folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        existing = [int(p.name[:4]) for p in self.folder.glob("*.eml") if p.name[:4].isdigit()]
        self.numbers = itertools.count(max(existing, default=0) + 1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        kind = (message.get("X-Fleet-Notification") or "mail").split(";")[0]
        with self.lock:
            stem = f"{next(self.numbers):04d}-{re.sub(r'[^a-z_]', '', kind) or 'mail'}"
        (self.folder / f"{stem}.eml").write_bytes(envelope.content)
        body = message.get_body(("plain",))
        header = f"From: {message['From']}\nTo: {', '.join(envelope.rcpt_tos)}\nSubject: {message['Subject']}\n\n"
        (self.folder / f"{stem}.txt").write_text(header + (body.get_content() if body else ""), encoding="utf-8")
        return "250 Message accepted for delivery"


def start(folder: Path, port: int = DEFAULT_PORT) -> Controller:
    controller = Controller(FolderHandler(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the demo's SMTP sink on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    parser.add_argument("--folder", type=Path, default=Path("instance/demo-mail"), help="where the messages go")
    args = parser.parse_args(argv)
    done = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: done.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            controller = start(args.folder, args.port)
        except (OSError, RuntimeError) as exc:
            print(f"The demo mail sink did not start on 127.0.0.1:{args.port} (is the port taken?): {exc}",
                  file=sys.stderr)
            return 1
        try:
            print(f"export FLEET_SMTP_URL={shlex.quote(f'smtp://127.0.0.1:{args.port}')}")
            sys.stdout.flush()
            print(f"demo mail sink on 127.0.0.1:{args.port}, writing to {args.folder}/", file=sys.stderr)
            while not done.wait(0.2):
                pass
        finally:
            controller.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
