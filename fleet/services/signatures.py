"""Signing what Fleet issues with the organisation's key, when one is configured (fleet.signing).

Without a key Fleet runs unsigned and says so (/readyz, the auditor's pages); with one, every
registered PDF is signed before its hash enters the register, so the register holds the hash
of the signed bytes.
"""

from __future__ import annotations

from flask import current_app

from fleet import signing
from fleet.db import utcnow
from fleet.errors import SigningUnavailable
from fleet.signing import SigningKey


def signing_key() -> SigningKey | None:
    return current_app.extensions.get("fleet_signing_key")


def signed_line() -> str | None:
    """The line renderers print on a PDF that is to be signed, or None when Fleet runs unsigned."""
    key = signing_key()
    return key.signed_line if key else None


def sign_pdf(content: bytes) -> bytes:
    """The PDF signed with the organisation's key (PAdES B-B, certified, no changes allowed); unchanged when unsigned.

    A key whose certificate has expired since the start raises SigningUnavailable: never a half-signed PDF, never
    an unsigned one carrying the signed line.
    """
    key = signing_key()
    if key is None:
        return content
    try:
        return signing.sign_pdf(content, key, location=current_app.config["FLEET_ORG_NAME"], now=utcnow())
    except signing.SigningKeyError as exc:
        raise SigningUnavailable(str(exc)) from exc


def signing_state() -> str:
    """For /readyz: who signs, or that Fleet runs unsigned."""
    key = signing_key()
    if key is None:
        return "unsigned: no FLEET_SIGNING_KEY is configured, PDFs and checkpoints are not signed"
    try:
        key.check_valid_at(utcnow())
    except signing.SigningKeyError as exc:
        return f"cannot sign: {exc}"
    until = key.certificate.not_valid_after_utc
    return f"signing as {key.signer_name} (SHA-256 {key.fingerprint}, valid until {until:%Y-%m-%d})"
