"""What Fleet's two hash chains share: verifying one in order and exporting it as JSON Lines.

The event log (fleet.services.events) and the personal-data access log (fleet.access_log.chain) are built alike
(docs/event-log.md, docs/access-log.md): each entry's SHA-256 covers `[seq, at, actor, action, type, id, data,
prev_hash]`, signed checkpoints hold the head, and the export is a header, the entries as they are hashed, then
the checkpoints. A `Chain` says which tables, column names, tags and unhashed columns one of them has; the loop that
verifies it and the stream that exports it are written once, here. Both read in batches by seq (flat memory),
with the statements and the driver's values as they come (no ORM objects per entry).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from operator import itemgetter
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from flask import current_app
from sqlalchemy import Table, func, insert, select, text, update

from fleet.clock import check_days
from fleet.db import Prepared, utcnow
from fleet.extensions import db
from fleet.models import GENESIS_HASH
from fleet.signing import SigningKeyError, fingerprint, verify_bytes

BATCH = 5_000
HASHED = 9  # seq, at, actor, action, type, id, data, prev_hash and the hash: the first columns of every row read


@dataclass(frozen=True)
class Chain:
    """One hash chain: its tables, the names of its two target columns, its tags and its unhashed columns."""

    entries: Table  # the entries' table (seq, at, actor, action, <kind>_type, <kind>_id, data, prev_hash, hash…)
    checkpoint_model: type  # the signed checkpoints (seq, head_hash, at, signature, fingerprint, certificate)
    checkpoint_message: Callable[[int, str, datetime], bytes]  # the bytes a checkpoint of this chain signs
    export_format: str
    kind: str = "subject"  # the target columns: subject_type/subject_id, or target_type/target_id
    # Columns stored beside the hashed ones, not hashed but derived from `data`: the export carries them, and
    # `columns_check()` gives check(rows) -> the index of the first row whose columns are not what its data says
    # (rows: the hashed columns, then these), or None; one per verification, which may keep what it learns.
    columns: tuple[str, ...] = ()
    columns_check: Callable[[], Callable[[Sequence], int | None]] | None = None
    name: str = "event log"  # in what Fleet logs of it

    def select_list(self) -> str:
        return ", ".join(["seq", "at", "actor", "action", f"{self.kind}_type", f"{self.kind}_id", "data", "prev_hash",
                          "hash", *self.columns])


def format_at(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# SHA-256 of UTF-8 text, as lowercase hex, in each database's SQL: PostgreSQL's own (11+); on SQLite the function
# fleet.db gives every connection (fleet_sha256: Python's hashlib).
_SHA256_HEX = {"postgresql": "encode(sha256(convert_to({}, 'UTF8')), 'hex')", "sqlite": "fleet_sha256({})"}


def hashing_head_update(head_table: str, dialect: str) -> str:
    """The head's UPDATE of a chain's append that hashes the entry itself: it takes the next seq, keeps the old
    hash as prev_hash (SET sees the old row, on both databases) and puts the seq and the previous hash around
    `:middle` (`middle_text`), then hashes those very bytes: the same hash as compute_hash, which the chain's
    verification recomputes in Python. It answers the entry's seq, prev_hash and hash, and the head's last
    checkpoint time; the entry's INSERT takes them."""
    hashed = "'[' || (seq + 1) || ',' || CAST(:middle AS text) || ',\"' || hash || '\"]'"
    return (f"UPDATE {head_table} SET seq = seq + 1, prev_hash = hash, hash = {_SHA256_HEX[dialect].format(hashed)} "
            "WHERE id = 1 RETURNING seq, prev_hash, hash, checkpoint_at")


def hashing_head(head_table: str) -> str:
    """PostgreSQL: the `head` WITH of a chain's append in one statement (the INSERT reads it)."""
    return f"head AS ({hashing_head_update(head_table, 'postgresql')})"


def middle_text(at: datetime, actor: str, action: str, kind_type: str, kind_id: str, data: str) -> str:
    """The canonical JSON text of an entry's six middle values, as compute_hash encodes them, without the array's
    brackets: what `hashing_head` puts the seq and the previous hash around."""
    return json.dumps([format_at(at), actor, action, kind_type, kind_id, data], separators=(",", ":"),
                      ensure_ascii=False)[1:-1]


def raw_at(value) -> str:
    """The canonical text of a stored time, straight from the driver (no ORM round trip)."""
    if isinstance(value, str):  # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" in UTC
        return value.replace(" ", "T") + ("Z" if "." in value else ".000000Z")
    return format_at(value.astimezone(UTC))


# ---- appending and signed checkpoints ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Appending:
    """How one chain appends an entry whose hash its head's UPDATE makes (`hashing_head_update`): on SQLite that
    UPDATE (`hash_head_sqlite`), then the entry's INSERT (`insert_entry`); on PostgreSQL one statement, given by
    the caller, in which the INSERT rides. A chain without its head row gets it (`ensure_head`), and the append
    is made again."""

    hash_head_sqlite: Prepared
    insert_entry: Prepared
    ensure_head: Callable[[], None]

    def append(self, connection, middle: str, values: dict, in_one: Prepared, in_one_params: dict) -> Sequence:
        """Append the entry `values` (all but seq, prev_hash and hash) in the caller's transaction: `middle` is its
        `middle_text`, `in_one` the PostgreSQL statement and `in_one_params` what it binds besides `middle`.
        Answers (seq, prev_hash, hash, the head's last checkpoint time)."""
        on_sqlite = connection.dialect.name != "postgresql"
        statement, params = (self.hash_head_sqlite, {"middle": middle}) if on_sqlite else \
            (in_one, {"middle": middle, **in_one_params})
        taken = statement.execute(connection, params).one_or_none()
        if taken is None:
            self.ensure_head()
            taken = statement.execute(connection, params).one_or_none()
        if on_sqlite:
            seq, prev_hash, digest, _ = taken
            self.insert_entry.execute(connection, {"seq": seq, **values, "prev_hash": prev_hash, "hash": digest})
        return taken


def checkpoint_due(seq: int, at: datetime, last: datetime | None) -> bool:
    """Every FLEET_CHECKPOINT_EVENTS entries, and at the first entry of a (local) day since the last checkpoint."""
    if seq % current_app.config["FLEET_CHECKPOINT_EVENTS"] == 0 or last is None:
        return True
    zone = ZoneInfo(current_app.config["FLEET_TIMEZONE"])
    return at.astimezone(zone).date() != last.astimezone(zone).date()


def sign_checkpoint(connection, chain: Chain, seq: int, head_hash: str, at: datetime, *, head: Table | None) -> bool:
    """Sign (seq, head_hash, at) with Fleet's key and store it in the caller's transaction, never twice for one
    seq; `head` (the chain's head table), when given, keeps the time of its last checkpoint.

    A key that can no longer sign (its certificate expired) makes no checkpoint and stops nothing: the hand-over
    goes on, the log says why, and /readyz shows it.
    """
    key = current_app.extensions["fleet_signing_key"]
    try:
        key.check_valid_at(utcnow())
    except SigningKeyError as exc:
        current_app.logger.warning("no checkpoint of the %s at %d: %s", chain.name, seq, exc)
        return False
    checkpoints = chain.checkpoint_model.__table__
    if connection.execute(select(checkpoints.c.seq).where(checkpoints.c.seq == seq)).first() is not None:
        return False
    connection.execute(insert(checkpoints).values(
        seq=seq, head_hash=head_hash, at=at, fingerprint=key.fingerprint, certificate=key.certificate_pem(),
        signature=base64.b64encode(key.sign_bytes(chain.checkpoint_message(seq, head_hash, at))).decode("ascii")))
    if head is not None:
        connection.execute(update(head).where(head.c.id == 1).values(checkpoint_at=at))
    return True


def sign_head(chain: Chain, head: Table, now: datetime | None = None) -> int | None:
    """`fleet checkpoint`: sign the chain's head now, in the session's transaction, unless Fleet has no key, the
    chain is empty or its head is signed already. Answers the seq signed, or None."""
    if current_app.extensions.get("fleet_signing_key") is None:
        return None
    connection = db.session.connection()
    seq, head_hash = connection.execute(select(head.c.seq, head.c.hash).where(head.c.id == 1).with_for_update()).one()
    if seq == 0 or not sign_checkpoint(connection, chain, seq, head_hash, now or utcnow(), head=head):
        return None
    return seq


def checkpoint_if_due(connection, chain: Chain, head: Table, taken: Sequence, at: datetime) -> None:
    """After an append (`taken`: what `Appending.append` answered): its checkpoint, if Fleet signs and one is due."""
    seq, _, digest, last = taken
    if current_app.extensions.get("fleet_signing_key") is not None and checkpoint_due(seq, at, last):
        sign_checkpoint(connection, chain, seq, digest, at, head=head)


# ---- verification ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainVerification:
    valid: bool
    count: int
    head: str
    first_bad_seq: int | None
    checkpoints: int = 0  # signed checkpoints the chain agrees with


def issued_by(certificate: x509.Certificate, anchor: x509.Certificate) -> bool:
    if certificate == anchor:
        return True
    try:
        certificate.verify_directly_issued_by(anchor)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def good_checkpoints(chain: Chain) -> tuple[dict[int, str], int | None]:
    """{seq: head_hash} of the chain's stored checkpoints, and the first whose signature is not the organisation's.

    Signatures are checked when Fleet has a key: by its certificate, or one its CA issued. Without a key the
    hashes are still compared: a checkpoint is evidence whoever checks it.
    """
    key = current_app.extensions.get("fleet_signing_key")
    anchor = key.chain[-1] if key and key.chain else (key.certificate if key else None)
    certificates: dict[str, bool] = {}
    heads: dict[int, str] = {}
    model = chain.checkpoint_model
    for checkpoint in db.session.execute(select(model).order_by(model.seq)).scalars():
        if key is not None:
            trusted = certificates.get(checkpoint.certificate)
            certificate = x509.load_pem_x509_certificate(checkpoint.certificate.encode("ascii"))
            if trusted is None:
                trusted = certificates[checkpoint.certificate] = issued_by(certificate, anchor)
            message = chain.checkpoint_message(checkpoint.seq, checkpoint.head_hash, checkpoint.at)
            if not trusted or not verify_bytes(certificate, message, base64.b64decode(checkpoint.signature)) \
                    or checkpoint.fingerprint != fingerprint(certificate):  # the fingerprint shown is its certificate's
                return heads, checkpoint.seq
        heads[checkpoint.seq] = checkpoint.head_hash
    return heads, None


def verify_entries(chain: Chain, checkpoints: dict[int, str], head: Callable[[], tuple[int, str] | None], *,
                   start_seq: int = 1, start_prev: str = GENESIS_HASH,
                   batch_size: int = BATCH) -> ChainVerification:
    """Recompute every entry's hash from `start_seq` on, in order, streaming the table (memory stays flat however
    long it is): each entry is the next seq, names the hash before it, hashes to its stored hash, has the unhashed
    columns its data says, and agrees with a signed checkpoint of its seq. Then the chain must end at `head()`
    (seq, hash; None: no head row) and before no checkpoint: else entries were removed from the end, or the head
    was edited. The first entry found wrong is `first_bad_seq`."""
    expected_seq, expected_prev, count, matched, last_seq = start_seq, start_prev, 0, 0, start_seq - 1
    sha256, dumps = hashlib.sha256, json.dumps
    first_off = chain.columns_check() if chain.columns_check else None
    hashed = itemgetter(*range(HASHED)) if chain.columns else None
    connection = db.session.connection()
    query = text(f"SELECT {chain.select_list()} FROM {chain.entries.name} WHERE seq > :after ORDER BY seq "
                 "LIMIT :limit")
    while True:
        rows = connection.execute(query, {"after": last_seq, "limit": batch_size}).all()
        if not rows:
            break
        # The rows up to the first whose unhashed columns are wrong are checked as a chain; that one is then as
        # broken as one whose hash does not match, unless an earlier one was.
        off = first_off(rows) if first_off else None
        batch = rows if off is None else rows[:off]
        for seq, at, actor, action, kind, ident, data, prev_hash, stored in (map(hashed, batch) if hashed else batch):
            encoded = dumps([seq, raw_at(at), actor, action, kind, ident, data, prev_hash],
                            separators=(",", ":"), ensure_ascii=False)
            if seq != expected_seq or prev_hash != expected_prev or \
                    stored != sha256(encoded.encode("utf-8")).hexdigest():
                return ChainVerification(False, count, expected_prev, min(seq, expected_seq), matched)
            signed = checkpoints.get(seq)
            if signed is not None:
                if signed != stored:  # a consistent chain, but not the one that was signed: rewritten
                    return ChainVerification(False, count, expected_prev, seq, matched)
                matched += 1
            expected_prev, expected_seq, count = stored, expected_seq + 1, count + 1
        if off is not None:
            return ChainVerification(False, count, expected_prev, min(rows[off][0], expected_seq), matched)
        last_seq = rows[-1][0]
    end, stored_head = expected_seq - 1, head()
    if stored_head is not None and stored_head != (end, expected_prev) or any(seq > end for seq in checkpoints):
        # Entries were removed from the end (a checkpoint signed a longer chain), or the head was edited.
        return ChainVerification(False, count, expected_prev, expected_seq, matched)
    return ChainVerification(True, count, expected_prev, None, matched)


# ---- export ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportRange:
    from_seq: int  # the first entry exported (the chain's start for all of it)
    to_seq: int  # the last entry exported; from_seq - 1 when the range holds none
    head_seq: int
    head_hash: str
    last_checkpoint: int = 0  # the newest checkpoint when the export began: the export ends its checkpoints there


def export_range(chain: Chain, head_seq: int, head_hash: str, since: datetime | None = None,
                 until: datetime | None = None, *, start_seq: int = 1) -> ExportRange:
    """The seq range of the chain's kept entries (from `start_seq` to the head) at or after `since` and before
    `until` (all of them without either), and its newest checkpoint now."""
    check_days(**{"from": since, "to": until})
    # Only the checkpoints there are now go into the export: one made while it streams (by an append of another
    # request, or the access log's by the export's own entry) would sign past the exported head, and read as a
    # chain cut short.
    last_checkpoint = db.session.execute(select(func.max(chain.checkpoint_model.seq))).scalar() or 0
    entries = chain.entries.c
    from_seq, to_seq = start_seq, head_seq
    if since is not None:
        first = db.session.execute(select(func.min(entries.seq)).where(entries.at >= since)).scalar()
        from_seq = max(first, start_seq) if first is not None else head_seq + 1
    if until is not None:
        last = db.session.execute(select(func.max(entries.seq)).where(entries.at < until)).scalar()
        to_seq = min(last if last is not None else 0, head_seq)
    return ExportRange(from_seq, max(to_seq, from_seq - 1), head_seq, head_hash, last_checkpoint)


def _line(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_lines(chain: Chain, scope: ExportRange, batch_size: int = BATCH) -> Iterator[str]:
    """The export, line by line: a header, the entries in order of seq, then the checkpoints.

    Each entry's fields are written as the very text its hash covers (docs/event-log.md): a verifier can hash the
    line's `fields` as they stand, and an independent one re-encodes them to check the encoding. A chain's unhashed
    columns follow as `"columns":{…}`. Checkpoints come last, all those there were when the export began (also
    those past the range): a later one is what shows that a chain was cut short.
    """
    yield _line({"type": "header", "format": chain.export_format, "from_seq": scope.from_seq,
                 "to_seq": scope.to_seq, "head_seq": scope.head_seq, "head_hash": scope.head_hash,
                 "exported_at": format_at(utcnow())})
    connection = db.session.connection()
    # The driver's own cursor: at a million entries, SQLAlchemy's result rows cost as much as the query itself.
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    query = (f"SELECT {chain.select_list()} FROM {chain.entries.name} WHERE seq >= {mark} AND seq <= {mark} "
             f"ORDER BY seq LIMIT {mark}")
    cursor = connection.connection.driver_connection.cursor()
    after = scope.from_seq
    # Each string as json.dumps(…, ensure_ascii=False) writes it, without building an encoder per entry; the time
    # and the hashes need no escaping.
    quote = encode_basestring
    keys = [f"{quote(name)}:" for name in chain.columns]
    while after <= scope.to_seq:
        cursor.execute(query, (after, scope.to_seq, batch_size))
        rows = cursor.fetchall()
        if not rows:
            break
        if not keys:
            chunk = [f'{{"type":"event","hash":"{digest}","fields":[{seq},"{raw_at(at)}",{quote(actor)},'
                     f'{quote(action)},{quote(kind)},{quote(ident)},{quote(data)},"{prev_hash}"]}}'
                     for seq, at, actor, action, kind, ident, data, prev_hash, digest in rows]
        else:
            chunk = [f'{{"type":"event","hash":"{row[8]}","fields":[{row[0]},"{raw_at(row[1])}",{quote(row[2])},'
                     f'{quote(row[3])},{quote(row[4])},{quote(row[5])},{quote(row[6])},"{row[7]}"],"columns":{{'
                     + ",".join([key + quote(value) for key, value in zip(keys, row[HASHED:], strict=True)]) + "}}"
                     for row in rows]
        chunk.append("")
        yield "\n".join(chunk)
        after = rows[-1][0] + 1
    model = chain.checkpoint_model
    checkpoints = select(model).where(model.seq <= scope.last_checkpoint).order_by(model.seq)
    for checkpoint in db.session.execute(checkpoints).scalars():
        yield _line({"type": "checkpoint", "seq": checkpoint.seq, "head_hash": checkpoint.head_hash,
                     "at": format_at(checkpoint.at), "signature": checkpoint.signature,
                     "fingerprint": checkpoint.fingerprint, "certificate": checkpoint.certificate})
