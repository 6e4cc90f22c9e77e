"""gunicorn settings for Fleet, read by `gunicorn wsgi:app` run from the repository root.

Command-line options (workers, bind, ...) still win over these.
"""

import json

from gunicorn import util

from fleet.problems import TYPE_BASE

# The longest request line (method, URL, protocol) gunicorn accepts while still enforcing a limit; its default of
# 4094 bytes turned away URLs that Fleet's own filters allow (GET /labels.pdf?tags=..., a 256-character assignee).
limit_request_line = 8190


def _write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    """What gunicorn answers itself (a URL over the limit: 414, a malformed request: 400), as problem details
    like every other error of Fleet's (API.md) instead of gunicorn's HTML page."""
    body = json.dumps({"type": f"{TYPE_BASE}{status_int}", "title": reason,
                       "status": status_int, "detail": mesg or reason}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


# gunicorn writes its own error responses through util.write_error (gunicorn 27: workers/base.py, handle_error).
util.write_error = _write_problem
