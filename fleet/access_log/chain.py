"""The access log's chain: append, verify, list, export and purge (docs/access-log.md).

The same construction as the event log (fleet.services.events), on its own tables: each entry's SHA-256 covers
`[seq, at, actor, action, target_type, target_id, data, prev_hash]`, so an edited, deleted, reordered or cut-off
entry breaks the chain, and signed checkpoints of the head show a chain rewritten from the start; the two unhashed
columns beside `data` (`role`, `subjects`) must be what `data` says, or the entry is as broken. Appending takes
the head row first (an UPDATE), which serialises writers into one chain; on PostgreSQL the entry's INSERT rides in
the head's second UPDATE (one round trip), as the event log's does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import bindparam, delete, func, select, text, update

from fleet.access_log.model import AccessCheckpoint, AccessEntry, AccessHead
from fleet.clock import check_days
from fleet.db import Prepared, insert_of, session_connection, utcnow
from fleet.errors import ValidationFailed
from fleet.extensions import db
from fleet.models import GENESIS_HASH, Event, EventHead
from fleet.services import chains
from fleet.services.chains import BATCH, Chain, ExportRange, format_at, good_checkpoints, verify_entries
from fleet.services.events import append_event, canonical_data
from fleet.services.pagination import Page, decode_cursor, make_page
from fleet.verify import query_columns, subjects_column  # the offline verifier's own rule, one copy

HEAD_ID = 1
CHECKPOINT_FORMAT = "fleet-access-checkpoint-v1"
EXPORT_FORMAT = "fleet-access-export-v2"  # v1 had no columns
PURGE_ACTION = "access_log.purged"
SUBJECTS_SHOWN = 100  # a list, report or export names its people up to this many; beyond, only their number

_HEAD, _ENTRIES = AccessHead.__table__, AccessEntry.__table__
# Sent straight to the driver (fleet.db.Prepared): every change, and every read of personal data, appends.
# PostgreSQL: the whole append in one statement, one round trip; the head's UPDATE hashes the entry itself
# (chains.hashing_head), which verify_access_log recomputes in Python. SQLite (no data-modifying WITH): that UPDATE,
# then the entry's INSERT.
_APPEND_PG = text(
    f"WITH {chains.hashing_head('access_head')}, "
    "appended AS (INSERT INTO access_entries (seq, at, actor, role, action, target_type, target_id, subjects, data, "
    "prev_hash, hash) SELECT seq, :at, :actor, :role, :action, :target_type, :target_id, :subjects, :data, "
    "prev_hash, hash FROM head) "
    "SELECT seq, prev_hash, hash, checkpoint_at FROM head").bindparams(bindparam("at", type_=_ENTRIES.c.at.type))
_APPEND_PG = Prepared(_APPEND_PG)
_HASH_HEAD_SQLITE = Prepared(text(chains.hashing_head_update("access_head", "sqlite")).columns(
    _HEAD.c.seq, _HEAD.c.prev_hash, _HEAD.c.hash, _HEAD.c.checkpoint_at))
_INSERT_ENTRY = Prepared(insert_of(_ENTRIES, ("seq", "at", "actor", "role", "action", "target_type", "target_id",
                                              "subjects", "data", "prev_hash", "hash")))


@dataclass(frozen=True)
class Access:
    """What one access did, as a request notes it (fleet.access_log.recording) before the entry is written."""

    action: str
    target: str  # "loan:12", "person:emp1", "report:loans", "loans" (a list)
    subjects: tuple[str, ...] = ()
    subject_count: int | None = None  # None: len(subjects)
    reason: str | None = None
    params: dict | None = None


def ensure_head() -> None:
    if db.session.get(AccessHead, HEAD_ID) is None:
        db.session.add(AccessHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH, start_seq=1, start_prev_hash=GENESIS_HASH))
        db.session.flush()


_APPENDING = chains.Appending(_HASH_HEAD_SQLITE, _INSERT_ENTRY, ensure_head)


def entry_data(role: str, ip: str | None, subjects: Iterable[str], subject_count: int, reason: str | None,
               params: dict | None) -> tuple[str, str]:
    """(data, subjects column): the hashed JSON text of an entry's details, and the uids for filtering."""
    shown = sorted(set(subjects))
    if len(shown) > SUBJECTS_SHOWN:
        shown = []
    data = canonical_data({"role": role, "ip": ip, "subjects": shown, "subject_count": subject_count,
                           "reason": reason, "params": params or {}})
    return data, subjects_column(shown)


def columns_check() -> Callable[[str, str, str], bool]:
    """check(data, role, subjects): whether an entry's `role` and `subjects` columns are what its `data` says.

    The verification asks it of every entry, so it first compares text: canonical data ends with
    `,"role":<role>,"subject_count":<n>,"subjects":[<uids>]}` (keys sorted, and a comma followed by a quote is
    never inside a JSON string), which the two columns give but for the count. When that text is not found (a uid
    that JSON escapes, a role of "" rather than none, an altered column) it parses `data` and compares exactly.
    """
    fragments: dict[str, str] = {}  # role column -> ',"role":<role>,"subject_count":', a few roles in all

    def check(data: str, role: str, subjects: str) -> bool:
        if role is None or subjects is None:  # NOT NULL columns: only an altered schema holds a NULL
            return False
        fragment = fragments.get(role)
        if fragment is None:
            fragment = fragments[role] = (',"role":' + (json.dumps(role, ensure_ascii=False) if role else "null")
                                          + ',"subject_count":')
        if not subjects:
            tail = ',"subjects":[]}'
        elif len(subjects) > 1 and subjects[0] == subjects[-1] == "," and '"' not in subjects and \
                "\\" not in subjects:
            tail = ',"subjects":["' + subjects[1:-1].replace(",", '","') + '"]}'
        else:
            tail = None
        if tail is not None and data.endswith(tail):
            end = len(data) - len(tail)
            start = data.rfind(fragment, 0, end)
            if start >= 0 and data[start + len(fragment):end].isdigit():
                return True
        return query_columns(data) == (role, subjects)

    return check


def append_access(actor: str, role: str | None, ip: str | None, access: Access, *,
                  at: datetime | None = None) -> dict:
    """Append one access entry in the caller's transaction: on PostgreSQL one statement (the head's UPDATE, which
    hashes the entry, and the INSERT); on SQLite two (that UPDATE, then the INSERT). No SELECT. A
    failure here is the caller's to refuse the read or the change with (fail closed)."""
    connection = session_connection()
    at = (at or utcnow()).astimezone(UTC)
    count = access.subject_count if access.subject_count is not None else len(set(access.subjects))
    data, subjects = entry_data(role, ip, access.subjects, count, access.reason, access.params)
    target_type, _, target_id = access.target.partition(":")
    values = {"at": at, "actor": actor, "role": role or "", "action": access.action, "target_type": target_type,
              "target_id": target_id, "subjects": subjects, "data": data}
    middle = chains.middle_text(at, actor, access.action, target_type, target_id, data)
    taken = _APPENDING.append(connection, middle, values, _APPEND_PG, values)
    values.update(seq=taken[0], prev_hash=taken[1], hash=taken[2])
    chains.checkpoint_if_due(connection, CHAIN, _HEAD, taken, at)
    return values


# ---- signed checkpoints ------------------------------------------------------------------------------------------

def checkpoint_message(seq: int, head_hash: str, at: datetime) -> bytes:
    """JSON ["fleet-access-checkpoint-v1", seq, head, at]: another tag than the event log's, so that a checkpoint of
    one chain can never stand for the other."""
    return json.dumps([CHECKPOINT_FORMAT, seq, head_hash, format_at(at)], separators=(",", ":")).encode("utf-8")


def checkpoint_head(now: datetime | None = None) -> AccessCheckpoint | None:
    """Sign the access chain's head now, unless it is signed already or the log is empty (`fleet checkpoint`)."""
    seq = chains.sign_head(CHAIN, _HEAD, now)
    return None if seq is None else db.session.get(AccessCheckpoint, seq)


def _first_disagreeing() -> Callable[[Sequence], int | None]:
    """first(rows): the index of the first row (the hashed columns, then role and subjects) whose role or subjects
    column is not what its data says; None when all agree."""
    agree = columns_check()

    def first(rows: Sequence) -> int | None:
        for index, row in enumerate(rows):
            if not agree(row[6], row[9], row[10]):
                return index
        return None

    return first


# The access log as fleet.services.chains verifies and exports it: the event log's construction, with the two
# unhashed columns exported beside the fields and checked against `data`.
CHAIN = Chain(AccessEntry.__table__, AccessCheckpoint, checkpoint_message, EXPORT_FORMAT, kind="target",
              columns=("role", "subjects"), columns_check=_first_disagreeing, name="access log")


# ---- verification ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccessVerification:
    valid: bool
    count: int
    head: str
    first_bad_seq: int | None
    start_seq: int = 1
    checkpoints: int = 0


def _purge_record() -> tuple[int, str]:
    """(start_seq, start_prev_hash) as the event log's latest purge says: the event log is chained too, so the
    head row alone cannot move the start of the kept chain."""
    row = db.session.execute(select(Event.data).where(Event.action == PURGE_ACTION)
                             .order_by(Event.seq.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return 1, GENESIS_HASH
    after = json.loads(row).get("after") or {}
    return int(after["start_seq"]), str(after["start_prev_hash"])


def verify_access_log(batch_size: int = BATCH) -> AccessVerification:
    """Recompute every kept entry's hash in order (streaming: flat memory), from where the last purge left the
    chain, check that its `role` and `subjects` columns are what its hashed `data` says, and hold the chain against
    its signed checkpoints and its head (fleet.services.chains, which verifies the event log the same way)."""
    head = db.session.get(AccessHead, HEAD_ID)
    start_seq, start_prev = (head.start_seq, head.start_prev_hash) if head else (1, GENESIS_HASH)
    checkpoints, forged = good_checkpoints(CHAIN)
    if forged is not None:
        return AccessVerification(False, 0, GENESIS_HASH, forged, start_seq)
    if (start_seq, start_prev) != _purge_record() or checkpoints.get(start_seq - 1, start_prev) != start_prev:
        # The start of the kept chain was moved (entries removed from the front) without a purge saying so.
        return AccessVerification(False, 0, start_prev, start_seq, start_seq)
    stored_head = (head.seq, head.hash) if head is not None else None
    result = verify_entries(CHAIN, checkpoints, lambda: stored_head, start_seq=start_seq, start_prev=start_prev,
                            batch_size=batch_size)
    return AccessVerification(result.valid, result.count, result.head, result.first_bad_seq, start_seq,
                              result.checkpoints)


# ---- reading -----------------------------------------------------------------------------------------------------

def entry_view(entry: AccessEntry) -> dict:
    """An entry as the API and the pages show it: the details from `data`, the text the hash covers."""
    details = json.loads(entry.data)
    target = f"{entry.target_type}:{entry.target_id}" if entry.target_id else entry.target_type
    return {"seq": entry.seq, "at": entry.at, "actor": entry.actor, "role": details.get("role"),
            "ip": details.get("ip"), "action": entry.action, "target": target,
            "subjects": details.get("subjects") or [], "subject_count": details.get("subject_count"),
            "reason": details.get("reason"), "params": details.get("params") or {}, "hash": entry.hash}


def list_entries(*, actor: str | None = None, subject: str | None = None, action: str | None = None,
                 since: datetime | None = None, until: datetime | None = None, limit: int = 50,
                 cursor: str | None = None) -> Page:
    """Entries newest first, keyset-paginated on seq; `subject` is a uid whose data was shown (named entries only:
    a list of more than 100 people counts them without names)."""
    check_days(**{"from": since, "to": until})
    if since and until and until < since:
        raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
    query = select(AccessEntry)
    if actor:
        query = query.where(AccessEntry.actor == actor)
    if subject:
        if "," in subject or "%" in subject or "_" in subject:
            query = query.where(AccessEntry.subjects.contains(f",{subject},", autoescape=True))
        else:
            query = query.where(AccessEntry.subjects.like(f"%,{subject},%"))
    if action:
        query = query.where(AccessEntry.action == action)
    if since:
        query = query.where(AccessEntry.at >= since)
    if until:
        query = query.where(AccessEntry.at < until)
    key = decode_cursor(cursor)
    if key:
        query = query.where(AccessEntry.seq < key[0])
    rows = list(db.session.execute(query.order_by(AccessEntry.seq.desc()).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda entry: [entry.seq])


# ---- export ------------------------------------------------------------------------------------------------------

def export_range(since: datetime | None = None, until: datetime | None = None) -> ExportRange:
    """The seq range of the kept entries at or after `since` and before `until` (all kept entries without them)."""
    head = db.session.get(AccessHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    # The export's own access entry (written before the answer leaves) may make a checkpoint past the exported head:
    # the range keeps the newest checkpoint there was before it.
    return chains.export_range(CHAIN, head_seq, head_hash, since, until, start_seq=head.start_seq if head else 1)


def export_lines(scope: ExportRange, batch_size: int = BATCH) -> Iterator[str]:
    """JSON Lines as the event log's export (docs/event-log.md), format `fleet-access-export-v2`: a header, the
    entries (their hashed fields as they are hashed, then their unhashed `role` and `subjects` columns as stored,
    which the verifier holds against `data`), then the checkpoints there were when the export began."""
    return chains.export_lines(CHAIN, scope, batch_size)


# ---- purge -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Purge:
    removed: int
    start_seq: int
    start_prev_hash: str
    before: datetime


def purge_access_log(actor: str, before: datetime) -> Purge:
    """Remove the entries older than `before` (FLEET_ACCESS_LOG_YEARS, the law's two years): only from the front of
    the chain, so that the rest stays one chain. The purge is an event (where the kept chain starts now and with
    which hash), and with a signing key the last removed entry's hash is signed as a checkpoint, so an export of
    the rest is still proved from its first entry."""
    connection = db.session.connection()
    # The event log's head first, as a change request takes them (its event, then its access entry): two
    # transactions never wait for each other the other way round.
    connection.execute(select(EventHead.seq).where(EventHead.id == 1).with_for_update())
    head = connection.execute(select(_HEAD).where(_HEAD.c.id == HEAD_ID).with_for_update()).one()
    last = connection.execute(select(func.max(_ENTRIES.c.seq)).where(_ENTRIES.c.at < before)).scalar()
    if last is None or last < head.start_seq:
        return Purge(0, head.start_seq, head.start_prev_hash, before)
    last_hash, last_at = connection.execute(select(_ENTRIES.c.hash, _ENTRIES.c.at).where(_ENTRIES.c.seq == last)).one()
    if current_app.extensions.get("fleet_signing_key") is not None:
        chains.sign_checkpoint(connection, CHAIN, last, last_hash, last_at, head=None)
    removed = connection.execute(delete(_ENTRIES).where(_ENTRIES.c.seq <= last)).rowcount
    connection.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(start_seq=last + 1,
                                                                         start_prev_hash=last_hash))
    append_event(actor, PURGE_ACTION, "access_log", "entries", after={
        "start_seq": last + 1, "start_prev_hash": last_hash, "removed": removed, "before": before})
    return Purge(removed, last + 1, last_hash, before)
