"""The organisation's signing key: loading it, making a first one, signing PDFs and checkpoints with it.

The key lives in files named by settings (FLEET_SIGNING_KEY, FLEET_SIGNING_CERT, FLEET_SIGNING_PASSWORD),
never in the database: someone who can only write the database can neither forge a signed PDF nor
re-sign a rewritten event log. Without a key Fleet runs unsigned and says so; with a key that is
missing, unreadable, expired or not matching its certificate, Fleet does not start.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

SIGNATURE_FIELD = "FleetSignature"
# Bytes kept for the CMS signature (certificate chain included); an organisation's longer chain needs more.
SIGNATURE_ROOM = 16384
SIGNED_LINE_PREFIX = "전자서명됨 · Digitally signed by"


class SigningKeyError(RuntimeError):
    """The configured signing key cannot be used; the message says why and what to do."""


def run_async(make_coroutine):
    """Run pyHanko's coroutines to the end from synchronous code.

    In a thread where an event loop already runs (a Playwright test, an async server), asyncio.run() refuses:
    run them on a fresh loop in a worker thread instead.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER bytes, as `openssl x509 -fingerprint -sha256` prints it."""
    digest = certificate.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


@dataclass(frozen=True)
class SigningKey:
    """A private key with its certificate and the chain of its issuers (the chain is embedded in signatures)."""

    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)

    @property
    def signer_name(self) -> str:
        return common_name(self.certificate)

    @property
    def signed_line(self) -> str:
        """The line printed on every signed PDF."""
        return f"{SIGNED_LINE_PREFIX} {self.signer_name} · SHA-256 {self.fingerprint}"

    def check_valid_at(self, now: datetime) -> None:
        """SigningKeyError unless the certificate is valid at `now`."""
        cert = self.certificate
        if now > cert.not_valid_after_utc:
            raise SigningKeyError(f"The signing certificate ({self.signer_name}) expired on "
                                  f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC; renew it, or unset "
                                  "FLEET_SIGNING_KEY to run unsigned.")
        if now < cert.not_valid_before_utc:
            raise SigningKeyError(f"The signing certificate ({self.signer_name}) is not valid before "
                                  f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.")

    def sign_bytes(self, message: bytes) -> bytes:
        """A detached signature of `message` (RSA PKCS#1 v1.5 or ECDSA, both with SHA-256)."""
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return self.private_key.sign(message, ec.ECDSA(hashes.SHA256()))

    @cached_property
    def pdf_signer(self):
        """pyHanko's signer for this key, built once."""
        return _pyhanko_signer(self)

    @cached_property
    def cms_template(self) -> _CmsTemplate | None:
        """A PAdES signature container made once by pyHanko, to be filled in for each PDF (RSA keys only)."""
        if not isinstance(self.private_key, rsa.RSAPrivateKey):
            return None  # an ECDSA signature's length varies: pyHanko builds each container
        return _CmsTemplate.make(self)

    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def verify_bytes(certificate: x509.Certificate, message: bytes, signature: bytes) -> bool:
    """Whether `signature` over `message` was made by the key of `certificate`."""
    public_key = certificate.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


# ---- loading -----------------------------------------------------------------------------


def _read(path: str, what: str, setting: str) -> bytes:
    file = Path(path)
    if not file.exists():
        raise SigningKeyError(f"The signing {what} {path} ({setting}) does not exist. "
                              "Make one with `flask --app wsgi fleet keys init`, or unset the setting to run unsigned.")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"The signing {what} {path} ({setting}) cannot be read: {exc.strerror}.") from exc


def _public_der(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_signing_key(settings: dict, now: datetime | None = None) -> SigningKey | None:
    """The configured signing key, None when FLEET_SIGNING_KEY is unset, or SigningKeyError saying what is wrong.

    FLEET_SIGNING_KEY is a PEM private key (then FLEET_SIGNING_CERT is a PEM file with the certificate
    first and its issuers after it) or a PKCS#12 file (.p12/.pfx, holding the certificate and chain).
    FLEET_SIGNING_PASSWORD unlocks an encrypted PEM key or the PKCS#12 file.
    """
    key_path = (settings.get("FLEET_SIGNING_KEY") or "").strip()
    cert_path = (settings.get("FLEET_SIGNING_CERT") or "").strip()
    password = settings.get("FLEET_SIGNING_PASSWORD") or None
    if not key_path:
        if cert_path:
            raise SigningKeyError("FLEET_SIGNING_CERT is set but FLEET_SIGNING_KEY is not: set both, or neither to "
                                  "run unsigned.")
        return None
    key_bytes = _read(key_path, "key", "FLEET_SIGNING_KEY")
    secret = password.encode("utf-8") if password else None
    chain: list[x509.Certificate] = []
    if b"-----BEGIN" not in key_bytes:  # PKCS#12
        try:
            private_key, certificate, extra = pkcs12.load_key_and_certificates(key_bytes, secret)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"FLEET_SIGNING_KEY {key_path} is neither a PEM key nor a PKCS#12 file that "
                                  f"FLEET_SIGNING_PASSWORD opens ({exc}).") from exc
        if private_key is None or certificate is None:
            raise SigningKeyError(f"The PKCS#12 file {key_path} holds no private key or no certificate.")
        chain = list(extra or [])
        if cert_path:
            chain += x509.load_pem_x509_certificates(_read(cert_path, "certificate", "FLEET_SIGNING_CERT"))[1:]
    else:
        if not cert_path:
            raise SigningKeyError("FLEET_SIGNING_KEY is a PEM key: set FLEET_SIGNING_CERT to its certificate (PEM, "
                                  "the certificate first, then its issuers).")
        try:
            private_key = serialization.load_pem_private_key(key_bytes, secret)
        except TypeError as exc:
            raise SigningKeyError(f"The signing key {key_path} is encrypted: set FLEET_SIGNING_PASSWORD "
                                  f"({exc}).") from exc
        except ValueError as exc:
            raise SigningKeyError(f"The signing key {key_path} cannot be read as a PEM private key, or "
                                  f"FLEET_SIGNING_PASSWORD is wrong ({exc}).") from exc
        try:
            certificates = x509.load_pem_x509_certificates(_read(cert_path, "certificate", "FLEET_SIGNING_CERT"))
        except ValueError as exc:
            raise SigningKeyError(f"The signing certificate {cert_path} is not a PEM certificate ({exc}).") from exc
        certificate, chain = certificates[0], certificates[1:]
    if not isinstance(private_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise SigningKeyError(f"The signing key {key_path} is a {type(private_key).__name__}; use RSA or ECDSA.")
    if _public_der(private_key) != certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise SigningKeyError(f"The signing key {key_path} does not match its certificate "
                              f"({common_name(certificate)}, SHA-256 {fingerprint(certificate)}).")
    key = SigningKey(private_key, certificate, tuple(chain))
    key.check_valid_at(now or datetime.now(UTC))
    return key


# ---- a first key -------------------------------------------------------------------------

KEY_FILES = ("org-ca.pem", "org-ca-key.pem", "signing-key.pem", "signing-cert.pem")


@dataclass(frozen=True)
class MadeKeys:
    directory: Path
    ca_certificate: x509.Certificate
    signing: SigningKey

    @property
    def ca_path(self) -> Path:
        return self.directory / "org-ca.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / "signing-key.pem"

    @property
    def cert_path(self) -> Path:
        return self.directory / "signing-cert.pem"


def _name(common: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def make_certificates(org_name: str, now: datetime, *, ca_days: int = 3650, signing_days: int = 1095,
                      signing_not_before: datetime | None = None):
    """A private CA and a signing certificate it issued: (ca_key, ca_cert, signing_key, signing_cert)."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    ca_name = _name(f"{org_name} Fleet CA", org_name)
    start = now - timedelta(minutes=5)
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + timedelta(days=ca_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing_start = signing_not_before or start
    signing_cert = (
        x509.CertificateBuilder().subject_name(_name(org_name, org_name)).issuer_name(ca_name)
        .public_key(signing_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(signing_start).not_valid_after(signing_start + timedelta(days=signing_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signing_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_cert, signing_key, signing_cert


def _private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def make_keys(directory: Path, org_name: str, now: datetime) -> MadeKeys:
    """Write a private CA and a signing certificate into `directory`, every file mode 0600.

    Never overwrites: if any of the files exists, nothing is written and SigningKeyError says which.
    """
    directory = Path(directory)
    existing = [name for name in KEY_FILES if (directory / name).exists()]
    if existing:
        raise SigningKeyError(f"{directory} already holds {', '.join(existing)}; keys are never overwritten. "
                              "Move them away first if you really mean to make new ones.")
    ca_key, ca_cert, signing_key, signing_cert = make_certificates(org_name, now)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    contents = {
        "org-ca.pem": _cert_pem(ca_cert),
        "org-ca-key.pem": _private_pem(ca_key),
        "signing-key.pem": _private_pem(signing_key),
        "signing-cert.pem": _cert_pem(signing_cert, ca_cert),
    }
    for name, content in contents.items():
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.chmod(directory / name, 0o600)  # whatever the umask
    return MadeKeys(directory, ca_cert, SigningKey(signing_key, signing_cert, (ca_cert,)))


# ---- PDFs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CmsTemplate:
    """The CMS SignedData of a PAdES B-B signature by one RSA key, with the two parts that change per document.

    For a given key every byte of the container is the same from one PDF to the next except the
    message-digest attribute (32 bytes) and the RSA signature (the modulus' length): pyHanko builds it once
    with asn1crypto (about 15 ms a time), and each PDF gets a copy with those two filled in.
    """

    der: bytes
    attrs: bytes  # the signed attributes as they stand in the SignerInfo ([0] IMPLICIT SET OF)
    attrs_at: int
    digest_at: int  # within attrs
    signature_at: int
    signature_length: int

    @classmethod
    def make(cls, key: SigningKey) -> _CmsTemplate:
        placeholder = hashlib.sha256(b"Fleet CMS template").digest()
        container = run_async(lambda: key.pdf_signer.async_sign(data_digest=placeholder, digest_algorithm="sha256",
                                                                use_pades=True))
        signer_info = container["content"]["signer_infos"][0]
        der, attrs, signature = container.dump(), signer_info["signed_attrs"].dump(), signer_info["signature"].native
        if der.count(attrs) != 1 or attrs.count(placeholder) != 1 or der.count(signature) != 1:
            raise SigningKeyError("The signature container cannot be used as a template.")  # pragma: no cover
        return cls(der, attrs, der.find(attrs), attrs.find(placeholder), der.find(signature), len(signature))

    def fill(self, key: SigningKey, document_digest: bytes) -> bytes:
        attrs = bytearray(self.attrs)
        attrs[self.digest_at : self.digest_at + 32] = document_digest
        # What is signed is the attributes' DER as a SET (tag 0x31), not as the [0] they stand as.
        signature = key.sign_bytes(b"\x31" + bytes(attrs[1:]))
        if len(signature) != self.signature_length:
            raise SigningKeyError("An RSA signature of an unexpected length.")  # pragma: no cover
        der = bytearray(self.der)
        der[self.attrs_at : self.attrs_at + len(attrs)] = attrs
        der[self.signature_at : self.signature_at + len(signature)] = signature
        return bytes(der)


def _pyhanko_signer(key: SigningKey):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class _Signer(signers.SimpleSigner):
        # pyHanko parses (and so validates) the RSA key again for every signature, about 45 ms:
        # sign with the key object loaded once instead.
        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            if digest_algorithm != "sha256":
                return super().sign_raw(data, digest_algorithm)
            return key.sign_bytes(data)

    der = serialization.Encoding.DER
    return _Signer(
        signing_cert=asn1_x509.Certificate.load(key.certificate.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(der)) for c in key.chain]),
    )


def sign_pdf(pdf: bytes, key: SigningKey, *, reason: str = "Issued by Fleet", location: str | None = None,
             now: datetime | None = None) -> bytes:
    """The PDF with a PAdES baseline B-B certification signature that allows no changes (invisible).

    The signed line is printed by the renderer before this: a certified document takes no later stamp.
    Raises SigningKeyError if the certificate is not valid now; never answers a half-signed PDF.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument

    key.check_valid_at(now or datetime.now(UTC))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256", reason=reason, location=location,
        name=key.signer_name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    pdf_signer = signers.PdfSigner(meta, signer=key.pdf_signer)
    template = key.cms_template
    if template is None:
        # A fixed room for the signature container: without it pyHanko signs twice, once to measure.
        return run_async(lambda: pdf_signer.async_sign_pdf(writer, in_place=False,
                                                           bytes_reserved=SIGNATURE_ROOM)).getvalue()

    async def sign() -> bytes:
        # pyHanko lays out the PDF (certification, signature field, byte ranges) and digests it; the container
        # is the template filled in.
        prepared, _, output = await pdf_signer.async_digest_doc_for_signing(writer, bytes_reserved=SIGNATURE_ROOM)
        await PdfTBSDocument.async_finish_signing(output, prepared, template.fill(key, prepared.document_digest))
        return output.getvalue()

    return run_async(sign)


def content_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
