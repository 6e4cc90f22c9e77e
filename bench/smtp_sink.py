"""A local SMTP server for the mail bench: accepts everything, keeps nothing (`python -m bench.smtp_sink PORT`)."""

from __future__ import annotations

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def main() -> int:
    port = int(sys.argv[1])
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    while not done.wait(0.2):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
