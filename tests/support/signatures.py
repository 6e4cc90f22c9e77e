"""Check signed PDFs the way an outside auditor would: poppler's pdfsig against the test CA, and pyHanko's validator."""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fleet.signing import run_async


def nss_database(ca_pem: Path, directory: Path) -> str:
    """An NSS database (what pdfsig reads) that trusts the CA in `ca_pem`; answers the `-nssdir` value."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "fleet-test-ca", "-t", "C,C,C", "-i",
                    str(ca_pem)], check=True, capture_output=True)
    return f"sql:{directory}"


@dataclass(frozen=True)
class PdfSig:
    output: str

    @property
    def valid(self) -> bool:
        """Intact, covering the whole file, by a certificate the test CA issued."""
        return ("Signature Validation: Signature is Valid." in self.output
                and "- Total document signed" in self.output
                and "Certificate Validation: Certificate is Trusted." in self.output)


def pdfsig(pdf: bytes, nssdir: str) -> PdfSig:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(["pdfsig", "-nssdir", nssdir, str(path)], capture_output=True, text=True)
    return PdfSig(result.stdout + result.stderr)


def pyhanko_valid(pdf: bytes, ca_pem: Path) -> bool:
    """pyHanko's verdict: intact, trusted against the CA, covering the whole file, and no change after certifying."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    _, _, der = pem.unarmor(ca_pem.read_bytes())
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    if len(signatures) != 1:
        return False
    status = run_async(lambda: async_validate_pdf_signature(signatures[0], context))
    return bool(status.bottom_line and status.intact and status.valid and status.trusted
                and status.coverage == SignatureCoverageLevel.ENTIRE_FILE and status.docmdp_ok is not False)


def changed_one_byte(pdf: bytes) -> bytes:
    """The PDF with one byte of its signed content changed (a digit of the first page's contents)."""
    data = bytearray(pdf)
    at = data.index(b"/Creator")  # inside the first signed range
    data[at + 2] = ord("X") if data[at + 2] != ord("X") else ord("Y")
    return bytes(data)


def incrementally_updated(pdf: bytes) -> bytes:
    """The PDF with an incremental update appended after the signature (a changed page mode)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
