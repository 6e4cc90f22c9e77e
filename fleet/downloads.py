"""A PDF sent the same way by the API and by the pages (neither layer imports the other)."""

from __future__ import annotations

import hashlib
from io import BytesIO

from flask import send_file


def send_pdf(content: bytes, filename: str, *, inline: bool = True):
    """The bytes as application/pdf, never cached, with their SHA-256 as the ETag."""
    response = send_file(BytesIO(content), mimetype="application/pdf", download_name=filename,
                         as_attachment=not inline, max_age=0)
    response.headers["ETag"] = hashlib.sha256(content).hexdigest()
    return response
