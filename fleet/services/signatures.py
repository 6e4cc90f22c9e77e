"""Signing what Fleet issues with the organisation's key, when one is configured (fleet.signing).

Without a key Fleet runs unsigned and says so (/readyz, the auditor's pages); with one, every
registered PDF is signed before its hash enters the register, so the register holds the hash
of the signed bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
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


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's signature says, checked the way a PDF reader checks it (pyHanko's validator)."""

    signed: bool
    signer: str | None = None
    fingerprint: str | None = None
    signed_at: datetime | None = None
    intact: bool = False  # the signed bytes are unchanged and the signature is the certificate's
    whole_document: bool = False  # nothing was added after the signature
    trusted: bool | None = None  # issued by the configured key's CA; None when Fleet has no key to compare
    ours: bool = False  # signed with the configured key's certificate
    problem: str | None = None

    @property
    def genuine(self) -> bool:
        return self.signed and self.intact and self.whole_document and bool(self.trusted)


# What pyHanko raises on a PDF it cannot read: a bad upload is "not readable", never a 500.
_UNREADABLE = (ValueError, KeyError, TypeError, IndexError, AttributeError, AssertionError, RecursionError,
               OverflowError, UnicodeError)


def check_pdf_signature(content: bytes) -> SignatureCheck:
    """Whether the PDF carries a signature, by whom and when, whether it is intact and covers the whole file,
    and whether the organisation's CA issued its certificate (when Fleet signs)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    key = signing_key()
    try:
        signatures = PdfFileReader(io.BytesIO(content), strict=False).embedded_signatures
    except (PdfError, *_UNREADABLE) as exc:
        return SignatureCheck(signed=False, problem=f"The PDF cannot be read: {exc}")
    if not signatures:
        return SignatureCheck(signed=False)
    embedded = signatures[-1]
    der = serialization.Encoding.DER
    roots = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in (key.chain[-1:] if key and key.chain
                                                                        else [key.certificate] if key else [])]
    try:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = signing.run_async(lambda: async_validate_pdf_signature(embedded, context))
    except (PdfError, *_UNREADABLE) as exc:  # pyHanko's validation errors are ValueErrors
        return SignatureCheck(signed=True, problem=f"The signature cannot be checked: {exc}")
    certificate = status.signing_cert
    fingerprint = signing.fingerprint(x509.load_der_x509_certificate(certificate.dump()))
    return SignatureCheck(
        signed=True, signer=certificate.subject.native.get("common_name") or certificate.subject.human_friendly,
        fingerprint=fingerprint, signed_at=embedded.self_reported_timestamp,
        intact=bool(status.intact and status.valid),
        whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE and status.docmdp_ok is not False,
        trusted=bool(status.trusted) if key else None, ours=bool(key) and fingerprint == key.fingerprint,
    )
