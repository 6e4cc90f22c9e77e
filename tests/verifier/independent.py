"""A second verifier, written from docs/event-log.md alone: it does not import fleet.

It checks the same things as `python -m fleet.verify` by other means: its own string encoder for the hash input
(not json.dumps), and the checkpoints checked as they come, held in a dict. Answers the problems found.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
SPECIAL = re.compile('["\\\\\x00-\x1f]')


def quote(text: str) -> str:
    return '"' + SPECIAL.sub(lambda m: SHORT.get(m[0], f"\\u{ord(m[0]):04x}"), text) + '"'


def array(*values) -> bytes:
    return ("[" + ",".join(str(v) if isinstance(v, int) else quote(v) for v in values) + "]").encode("utf-8")


def good_signature(pem: str, ca: x509.Certificate, message: bytes, signature: bytes) -> bool:
    cert = x509.load_pem_x509_certificate(pem.encode())
    try:
        if cert != ca:
            cert.verify_directly_issued_by(ca)
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (ValueError, TypeError, InvalidSignature):  # not issued by the CA, or not its signature
        return False
    return True


def verify(lines: list[str], ca_pem: bytes) -> list[str]:
    ca = x509.load_pem_x509_certificate(ca_pem)
    header = json.loads(lines[0])
    assert header["format"] == "fleet-event-export-v1"
    records = [json.loads(line) for line in lines[1:] if line.strip()]
    signed = {}
    problems = []
    for c in (r for r in records if r["type"] == "checkpoint"):
        message = array("fleet-checkpoint-v1", c["seq"], c["head_hash"], c["at"])
        if good_signature(c["certificate"], ca, message, base64.b64decode(c["signature"])):
            signed[c["seq"]] = c["head_hash"]
        else:
            problems.append(f"bad checkpoint {c['seq']}")
    events = [r for r in records if r["type"] == "event"]
    prev = "0" * 64 if header["from_seq"] == 1 else (events[0]["fields"][7] if events else None)
    matched = 0
    for position, e in enumerate(events):
        seq, *_, prev_hash = e["fields"]
        if seq != header["from_seq"] + position:
            problems.append(f"seq {seq} at position {position}")
        if prev_hash != prev:
            problems.append(f"broken link at {seq}")
        if hashlib.sha256(array(*e["fields"])).hexdigest() != e["hash"]:
            problems.append(f"hash of {seq}")
        if seq in signed:
            if signed[seq] != e["hash"]:
                problems.append(f"checkpoint {seq} disagrees")
            else:
                matched += 1
        prev = e["hash"]
    last = events[-1]["fields"][0] if events else header["from_seq"] - 1
    if last != header["to_seq"]:
        problems.append("cut short")
    if header["to_seq"] == header["head_seq"] and any(seq > last for seq in signed):
        problems.append("end removed")
    if events and not matched:
        problems.append("nothing signed")
    return problems
