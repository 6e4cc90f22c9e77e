"""Verify an exported event log offline: `python -m fleet.verify EXPORT.jsonl --cert org-ca.pem`.

For auditors, outside Fleet: the standard library and `cryptography` only, no database, no Flask. It checks
that every event's hash is what docs/event-log.md says it must be, that each event names the one before it,
that every signed checkpoint's signature is good and its certificate was issued by the certificate given
with --cert, and that the events agree with the checkpoints. It finds an edited event, a deleted one, a
reordered one, a log cut short (against a later checkpoint) and a chain rewritten from the start (against
the checkpoints, which cannot be re-signed without the organisation's key). An export of the access log
(docs/access-log.md) is checked the same way, and each entry's unhashed `role` and `subjects` columns, which its
line carries, are held against what its hashed data says: a column altered in the database is found too.

Two passes over the file, so memory stays flat however long the export: the first reads the checkpoints
(one per thousand events or so), the second streams the events. Exit status 0: valid; 1: not valid;
2: the file or certificate cannot be read.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

EXPORT_FORMAT = "fleet-event-export-v1"
CHECKPOINT_FORMAT = "fleet-checkpoint-v1"
# The access log (docs/access-log.md) is exported and chained the same way; its checkpoints sign another tag, and
# each entry's line also carries the entry's two unhashed columns, held against its hashed data. Version 1 carried
# no columns: it is still read, and the verifier says the columns were not checked.
ACCESS_EXPORT_FORMAT = "fleet-access-export-v2"
ACCESS_EXPORT_FORMAT_V1 = "fleet-access-export-v1"
ACCESS_CHECKPOINT_FORMAT = "fleet-access-checkpoint-v1"
CHECKPOINT_FORMATS = {EXPORT_FORMAT: CHECKPOINT_FORMAT, ACCESS_EXPORT_FORMAT: ACCESS_CHECKPOINT_FORMAT,
                      ACCESS_EXPORT_FORMAT_V1: ACCESS_CHECKPOINT_FORMAT}
GENESIS_HASH = "0" * 64
MAX_PROBLEMS = 50
# An event line as Fleet writes it: {"type":"event","hash":"<64 hex>","fields":[…the hashed array…]}
EVENT_PREFIX = b'{"type":"event","hash":"'
FIELDS_KEY = b'","fields":'
FIELDS_START = len(EVENT_PREFIX) + 64 + len(FIELDS_KEY)
# An access entry's line goes on after the fields: …],"columns":{"role":"<role>","subjects":"<subjects>"}}
COLUMNS_LEAD = b'],"columns":{"role":"'
SUBJECTS_KEY = b'","subjects":"'


class Unreadable(Exception):
    """The export or a certificate cannot be read at all."""


def event_hash(seq: int, at: str, actor: str, action: str, subject_type: str, subject_id: str, data: str,
               prev_hash: str) -> str:
    """SHA-256 (hex) of the JSON array of the eight fields, compact, UTF-8 (docs/event-log.md, "Event hash")."""
    encoded = json.dumps([seq, at, actor, action, subject_type, subject_id, data, prev_hash],
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def subjects_column(shown: list[str]) -> str:
    """The `subjects` column of an access entry naming `shown`: `,uid1,uid2,`, or "" for none."""
    return ("," + ",".join(shown) + ",") if shown else ""


def query_columns(data: str) -> tuple[str, str] | None:
    """(role, subjects): what an access entry's `role` and `subjects` columns must hold, as its hashed `data` says
    (docs/access-log.md, "The chain"): the role ("" for none) and its subjects; None if `data` names neither."""
    try:
        details = json.loads(data)
        role, shown = details["role"], details["subjects"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (role is None or isinstance(role, str)) or not isinstance(shown, list) or \
            not all(isinstance(uid, str) for uid in shown):
        return None
    return role or "", subjects_column(shown)


def _columns_as_written() -> Callable[[bytes, bytes], bool]:
    """agree(fields_text, columns_text): whether an access entry's columns agree with its data, comparing the text
    as Fleet writes it (no parsing): `fields_text` is the hashed array as it stands, `columns_text` is
    `<role>","subjects":"<subjects>`.

    Canonical data ends with `,"role":<role>,"subject_count":<n>,"subjects":[<uids>]}` (keys sorted; a comma
    followed by a quote is never inside a JSON string), and stands in the array as a JSON string, each of its quotes
    after a backslash. False means only "not shown so": the caller then parses the line and compares exactly.
    """
    fragments: dict[bytes, bytes] = {}  # role -> its `,"role":…,"subject_count":` as written, a few roles in all
    no_subjects = b',\\"subjects\\":[]}'
    comma = ord(",")

    def agree(fields_text: bytes, columns_text: bytes) -> bool:
        if columns_text.count(b'"') != 4 or b"\\" in columns_text:  # a quote or an escape in a column
            return False
        role, found, subjects = columns_text.partition(SUBJECTS_KEY)
        if not found:
            return False
        fragment = fragments.get(role)
        if fragment is None:
            fragment = fragments[role] = (b',\\"role\\":' + (b'\\"' + role + b'\\"' if role else b"null")
                                          + b',\\"subject_count\\":')
        if not subjects:
            tail = no_subjects
        elif len(subjects) > 1 and subjects[0] == subjects[-1] == comma:  # ,uid1,uid2,
            tail = b',\\"subjects\\":[\\"' + subjects[1:-1].replace(b",", b'\\",\\"') + b'\\"]}'
        else:
            return False
        end = len(fields_text) - 69  # the data's text ends before `","<prev_hash>"]`
        if not fields_text.endswith(tail, 0, end):
            return False
        end -= len(tail)
        start = fields_text.rfind(fragment, 0, end)
        return start >= 0 and fields_text[start + len(fragment) : end].isdigit()

    return agree


def _column_problems(seq: int, item: dict) -> list[str]:
    """What is wrong with an access entry's columns (`item`: its line, parsed), compared exactly."""
    columns = item.get("columns")
    if not isinstance(columns, dict) or not all(isinstance(columns.get(name), str) for name in ("role", "subjects")):
        return [f"event {seq} carries no role and subjects columns: they cannot be checked."]
    expected = query_columns(item["fields"][6])
    if expected is None:
        return [f"event {seq}'s data names no role and subjects: its columns cannot be checked."]
    return [f"event {seq}'s {name} column was altered: it holds {columns[name]!r}, its hashed data says {want!r}."
            for name, want in zip(("role", "subjects"), expected, strict=True) if columns[name] != want]


def checkpoint_message(seq: int, head_hash: str, at: str, tag: str = CHECKPOINT_FORMAT) -> bytes:
    """The bytes a checkpoint signs (docs/event-log.md, "Checkpoints"; the access log's use its own tag)."""
    return json.dumps([tag, seq, head_hash, at], separators=(",", ":")).encode("utf-8")


def _export_format(path: Path) -> str:
    """The format the export's header names (the event log's when it cannot be read: the second pass says why)."""
    for _number, line in _lines(path):
        try:
            return str(json.loads(line).get("format"))
        except (ValueError, AttributeError):
            return EXPORT_FORMAT
    return EXPORT_FORMAT


def _fingerprint(certificate: x509.Certificate) -> str:
    digest = certificate.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _signature_ok(certificate: x509.Certificate, message: bytes, signature: bytes) -> bool:
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _issued_by_trusted(certificate: x509.Certificate, trusted: list[x509.Certificate]) -> bool:
    """The certificate is one of the trusted ones, or directly issued (and signed) by one of them."""
    if any(certificate == anchor for anchor in trusted):
        return True
    for anchor in trusted:
        if certificate.issuer != anchor.subject:
            continue
        try:
            certificate.verify_directly_issued_by(anchor)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


@dataclass
class Result:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0
    signed_up_to: int | None = None  # the last exported event a good checkpoint matches
    _more: int = 0

    @property
    def valid(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self._more += 1

    def as_dict(self) -> dict:
        return {"valid": self.valid, "events": self.events, "first_seq": self.first_seq, "last_seq": self.last_seq,
                "checkpoints": self.checkpoints, "signed_up_to": self.signed_up_to, "problems": self.problems,
                "more_problems": self._more, "notes": self.notes}


@dataclass(frozen=True)
class _Checkpoint:
    seq: int
    head_hash: str
    source: str


def _lines(path: Path):
    """(number, bytes) of each line: bytes, so that an event's fields are hashed exactly as they were written."""
    try:
        with path.open("rb") as file:
            yield from enumerate(file, 1)
    except OSError as exc:
        raise Unreadable(f"{path}: {exc}") from exc


def _read_checkpoints(path: Path, trusted: list[x509.Certificate] | None, result: Result,
                      found: dict[int, _Checkpoint], tag: str = CHECKPOINT_FORMAT) -> None:
    """Pass 1: every checkpoint line of `path`, its certificate and signature checked."""
    certificates: dict[str, x509.Certificate] = {}
    for number, line in _lines(path):
        if line.startswith(EVENT_PREFIX) or b'"checkpoint"' not in line:
            continue  # the events, as Fleet writes them, are read in the second pass
        where = f"{path.name} line {number}"
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or item.get("type") != "checkpoint":
                continue
            seq, head, at = int(item["seq"]), str(item["head_hash"]), str(item["at"])
            signature = base64.b64decode(item["signature"], validate=True)
            pem = str(item["certificate"])
        except (ValueError, KeyError, TypeError) as exc:
            result.problem(f"{where}: a checkpoint that cannot be read ({exc}).")
            continue
        if trusted is not None:
            certificate = certificates.get(pem)
            if certificate is None:
                try:
                    certificate = certificates[pem] = x509.load_pem_x509_certificate(pem.encode("ascii"))
                except ValueError as exc:
                    result.problem(f"{where}: checkpoint {seq}'s certificate cannot be read ({exc}).")
                    continue
            if not _issued_by_trusted(certificate, trusted):
                result.problem(f"{where}: checkpoint {seq} is signed by a certificate that the given --cert did not "
                               f"issue (SHA-256 {_fingerprint(certificate)}).")
                continue
            if not _signature_ok(certificate, checkpoint_message(seq, head, at, tag), signature):
                result.problem(f"{where}: checkpoint {seq}'s signature does not match its content: the checkpoint was "
                               "altered.")
                continue
            stated = item.get("fingerprint")
            if stated is not None and stated != _fingerprint(certificate):
                result.problem(f"{where}: checkpoint {seq} names the certificate {stated}, but it was signed with "
                               f"{_fingerprint(certificate)}: the checkpoint was altered.")
                continue
        seen = found.get(seq)
        if seen is not None and seen.head_hash != head:
            result.problem(f"{where}: checkpoint {seq} says head {head}, but {seen.source} signed {seen.head_hash} "
                           "for the same event: two different logs were signed.")
            continue
        if seen is None:
            found[seq] = _Checkpoint(seq, head, where)
            result.checkpoints += 1


def verify_export(path: Path, trusted: list[x509.Certificate] | None = None,
                  more_checkpoints: list[Path] = ()) -> Result:
    """Verify the export at `path` (see the module's docstring); `more_checkpoints` are files (earlier exports)
    whose checkpoint lines are checked and held against this export too."""
    result = Result()
    checkpoints: dict[int, _Checkpoint] = {}
    export_format = _export_format(path)
    tag = CHECKPOINT_FORMATS.get(export_format, CHECKPOINT_FORMAT)
    for source in (*more_checkpoints, path):
        _read_checkpoints(source, trusted, result, checkpoints, tag)

    header = None
    expected_seq = None
    prev_hash = None
    sha256 = hashlib.sha256
    prefix, gap = EVENT_PREFIX, FIELDS_START
    with_columns = export_format == ACCESS_EXPORT_FORMAT
    columns_as_written = _columns_as_written()
    for number, raw in _lines(path):
        if header is None:
            try:
                header = json.loads(raw)
                if header.get("type") != "header" or header.get("format") not in CHECKPOINT_FORMATS:
                    raise ValueError(f"not a {EXPORT_FORMAT} (or {ACCESS_EXPORT_FORMAT}) header")
                if header["format"] == ACCESS_EXPORT_FORMAT_V1:
                    result.notes.append(f"A {ACCESS_EXPORT_FORMAT_V1} export carries no role and subjects columns: "
                                        "the chain was checked, the columns were not.")
                expected_seq = int(header["from_seq"])
                to_seq, head_seq = int(header["to_seq"]), int(header["head_seq"])
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise Unreadable(f"{path}: the first line is not an export header ({exc}).") from exc
            if expected_seq == 1:
                prev_hash = GENESIS_HASH
            continue
        line = raw.rstrip(b"\r\n")
        if not line or line.startswith(b'{"type":"checkpoint"'):
            continue
        seq = None
        item = None
        agreed = False  # an access entry's columns shown to agree with its data by comparing text
        if line.startswith(prefix) and line[gap - len(FIELDS_KEY) : gap] == FIELDS_KEY:
            if with_columns:  # the fields end where the columns begin
                end = line.find(COLUMNS_LEAD, gap) + 1
                end = end if end > 0 and line.endswith(b'"}}') else 0
            else:
                end = len(line) - 1 if line.endswith(b"]}") else 0
            if end:
                # The fields stand as the text their hash covers: hash them as they are.
                stated_hash = line[len(prefix) : len(prefix) + 64].decode("ascii", "replace")
                fields_text = line[gap:end]
                computed = sha256(fields_text).hexdigest()
                if computed == stated_hash:
                    # Hashed as it stands, so it is the canonical text: `[seq,` first and `,"<prev_hash>"]` last.
                    comma = fields_text.find(b",")
                    if fields_text[1:comma].isdigit() and fields_text[-68:-66] == b',"':
                        seq, stated_prev = int(fields_text[1:comma]), fields_text[-66:-2].decode("ascii")
                        agreed = with_columns and columns_as_written(
                            fields_text, line[end + len(COLUMNS_LEAD) - 1 : -3])
        if seq is None:
            # Not as Fleet writes it, or altered: read the fields and hash them re-encoded by the rules.
            try:
                item = json.loads(line)
                if item.get("type") == "checkpoint":
                    continue
                if item.get("type") != "event":
                    result.problem(f"line {number}: an unknown line type {item.get('type')!r}.")
                    continue
                fields, stated_hash = item["fields"], str(item["hash"])
                if not (isinstance(fields, list) and len(fields) == 8 and type(fields[0]) is int
                        and all(isinstance(value, str) for value in fields[1:])):
                    raise ValueError("fields must be [seq, at, actor, action, subject_type, subject_id, data, "
                                     "prev_hash]")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                result.problem(f"line {number}: an event that cannot be read ({exc}).")
                continue
            seq, stated_prev = fields[0], fields[7]
            computed = event_hash(*fields)
        if result.first_seq is None:
            result.first_seq = seq
            if prev_hash is None:
                prev_hash = stated_prev
                before = checkpoints.get(seq - 1)
                if before is not None:
                    # A signed checkpoint of the entry before (an earlier export's, or the one a purge of the
                    # access log signs where the kept chain starts) proves the link.
                    if before.head_hash != stated_prev:
                        result.problem(f"event {seq} does not follow the signed checkpoint {seq - 1} "
                                       f"({before.source}): prev_hash {stated_prev}, signed {before.head_hash}.")
                else:
                    result.notes.append(f"The export starts at event {seq}: its link to event {seq - 1} "
                                        f"({stated_prev}) is taken as given.")
        if seq != expected_seq:
            if seq > expected_seq:
                result.problem(f"event {expected_seq}" + (f" to {seq - 1}" if seq - 1 > expected_seq else "")
                               + f" missing: the log goes from event {expected_seq - 1} to {seq}.")
            else:
                result.problem(f"event {seq} out of order: event {expected_seq} was expected at line {number}.")
        if stated_prev != prev_hash:
            result.problem(f"event {seq} does not follow the event before it: prev_hash {stated_prev}, but the "
                           f"event before has hash {prev_hash}.")
        if computed != stated_hash:
            result.problem(f"event {seq} was altered: its content hashes to {computed}, not {stated_hash}.")
        if with_columns and not agreed:
            # Not shown to agree by the text as written: compare the parsed columns with the parsed data.
            try:
                problems = _column_problems(seq, item if item is not None else json.loads(line))
            except ValueError as exc:
                problems = [f"line {number}: event {seq}'s columns cannot be read ({exc})."]
            for problem in problems:
                result.problem(problem)
        checkpoint = checkpoints.get(seq)
        if checkpoint is not None:
            if checkpoint.head_hash != stated_hash or computed != stated_hash:
                result.problem(f"event {seq} does not match the signed checkpoint ({checkpoint.source}): the "
                               f"checkpoint signed {checkpoint.head_hash}, the log has {stated_hash}. The log "
                               "was rewritten.")
            elif result.valid:
                result.signed_up_to = seq
        prev_hash = stated_hash
        expected_seq = seq + 1
        result.events += 1
        result.last_seq = seq
    if header is None:
        raise Unreadable(f"{path}: the file is empty.")

    last = result.last_seq if result.last_seq is not None else int(header["from_seq"]) - 1
    if last < to_seq:
        result.problem(f"the export ends at event {last}, but its header promises events up to {to_seq}: it was "
                       "cut short.")
    if to_seq == head_seq:
        later = [seq for seq in checkpoints if seq > last]
        if later:
            result.problem(f"events after {last} are missing: a signed checkpoint covers event {max(later)} "
                           f"({checkpoints[max(later)].source}). The end of the log was removed.")
        if result.last_seq is not None and prev_hash != header.get("head_hash"):
            result.problem(f"the last event's hash {prev_hash} is not the head {header.get('head_hash')} the "
                           "header names.")
    if trusted is not None:
        if result.signed_up_to is None and result.events:
            result.problem("no signed checkpoint covers any event of this export: its history cannot be proved.")
        elif result.valid and result.signed_up_to is not None and result.signed_up_to < last:
            result.notes.append(f"Events {result.signed_up_to + 1} to {last} come after the latest signed "
                                "checkpoint: they are chained, but not yet signed.")
    else:
        result.notes.append("No --cert given: the chain was checked, the checkpoints' signatures were not.")
    return result


def _load_trusted(paths: list[str]) -> list[x509.Certificate]:
    trusted: list[x509.Certificate] = []
    for name in paths:
        try:
            trusted += x509.load_pem_x509_certificates(Path(name).read_bytes())
        except (OSError, ValueError) as exc:
            raise Unreadable(f"--cert {name}: {exc}") from exc
    return trusted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fleet.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path,
                        help="the export (GET /api/v1/events/export or /api/v1/access-log/export), JSON Lines")
    parser.add_argument("--cert", action="append", default=[],
                        help="the organisation's CA certificate (PEM); checkpoints must be signed by a certificate "
                             "it issued. Repeat for several.")
    parser.add_argument("--checkpoints", action="append", type=Path, default=[],
                        help="an earlier export (or any file of checkpoint lines) whose checkpoints this export must "
                             "agree with. Repeat for several.")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    try:
        trusted = _load_trusted(args.cert) if args.cert else None
        result = verify_export(args.export, trusted, args.checkpoints)
    except Unreadable as exc:
        print(f"cannot verify: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        span = f"events {result.first_seq} to {result.last_seq}" if result.events else "no events"
        print(f"{args.export}: {result.events:,} events ({span}), {result.checkpoints} signed checkpoints")
        for note in result.notes:
            print(f"  note: {note}")
        for problem in result.problems:
            print(f"  PROBLEM: {problem}")
        if result._more:
            print(f"  … and {result._more} more problems")
        if result.valid:
            signed = f"; signed up to event {result.signed_up_to}" if result.signed_up_to else ""
            print(f"VALID: the chain is intact{signed}.")
        else:
            print("NOT VALID.")
    return 0 if result.valid else 1


if __name__ == "__main__":
    sys.exit(main())
