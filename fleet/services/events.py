"""The append-only event log, chained by SHA-256.

Each entry's hash covers a canonical encoding of the entry and the previous hash, so
any later edit of a past entry breaks the chain from that entry on. Appends take the
chain head row first (an UPDATE, which locks it on PostgreSQL and takes the write lock
on SQLite), so concurrent writers form one chain, never a fork.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import String, and_, bindparam, cast, func, insert, or_, select, text, update

from fleet.clock import check_days, format_local
from fleet.db import Prepared, insert_of, session_connection, utcnow
from fleet.extensions import db
from fleet.models import GENESIS_HASH, Asset, Event, EventCheckpoint, EventHead, Loan, Notification
from fleet.services.chains import (
    Appending,
    Chain,
    ChainVerification,
    checkpoint_if_due,
    format_at,
    good_checkpoints,
    hashing_head,
    hashing_head_update,
    middle_text,
    sign_head,
    verify_entries,
)
from fleet.services.pagination import Page, decode_cursor, make_page

HEAD_ID = 1
EXPORT_FORMAT = "fleet-event-export-v1"


def _json_default(value: Any):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__} in an event")


def canonical_data(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def compute_hash(seq: int, at: datetime, actor: str, action: str, subject_type: str, subject_id: str,
                 data: str, prev_hash: str) -> str:
    encoded = json.dumps([seq, format_at(at), actor, action, subject_type, subject_id, data, prev_hash],
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def ensure_head() -> None:
    """Create the chain head row if the log is new (migrations do it too)."""
    if db.session.get(EventHead, HEAD_ID) is None:
        db.session.add(EventHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH))
        db.session.flush()


_HEAD, _EVENTS = EventHead.__table__, Event.__table__
# Built once: building and cache-keying a statement on every append cost more than running it.
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(hash=bindparam("digest", type_=String))
# The head's UPDATE hashes the event itself (chains.hashing_head_update, as the access log's does), which
# verify_chain recomputes in Python. SQLite: that UPDATE, then the event's INSERT (no data-modifying WITH; one
# writer at a time, and no round trips to save). PostgreSQL appends in one statement (_APPEND_SQL below), or, for
# an event that names a message whose id its caller did not draw, in two: the head taken with the message's id,
# then the event's INSERT and the message's riding in the head's UPDATE (data-modifying WITHs).
_EVENT_COLUMNS = ("seq", "at", "actor", "action", "subject_type", "subject_id", "data", "prev_hash", "hash")
_HASH_HEAD_SQLITE = Prepared(text(hashing_head_update("event_head", "sqlite")).columns(
    _HEAD.c.seq, _HEAD.c.prev_hash, _HEAD.c.hash, _HEAD.c.checkpoint_at))
_INSERT_EVENT = Prepared(insert_of(_EVENTS, _EVENT_COLUMNS))
_INSERT_EVENT_SET_HEAD = _SET_HEAD_HASH.add_cte(insert(_EVENTS).values(
    {name: bindparam(f"event_{name}", type_=_EVENTS.c[name].type) for name in _EVENT_COLUMNS}).cte("appended"))
# An event that names the message it queues (a hand-over's or a return's receipt): the outbox row is written with
# the event (the event's hash covers the message's id). On SQLite it is an INSERT of its own before the event's.
_NOTIFICATIONS = Notification.__table__
_NOTIFICATION_COLUMNS = ("id", "kind", "recipient_uid", "to_address", "to_name", "cc_address", "language", "data",
                         "document_id", "dedupe_key", "status", "attempts", "next_attempt_at", "created_at")
_TAKE_SEQ_AND_NOTIFICATION_ID = (
    update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=_HEAD.c.seq + 1)
    .returning(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.checkpoint_at,
               func.nextval(func.pg_get_serial_sequence("notifications", "id"))))
_INSERT_EVENT_AND_NOTIFICATION_SET_HEAD = _INSERT_EVENT_SET_HEAD.add_cte(insert(_NOTIFICATIONS).values(
    {name: bindparam(f"notification_{name}", type_=_NOTIFICATIONS.c[name].type) for name in _NOTIFICATION_COLUMNS})
    .cte("queued"))
# One message row (an outbox_row's values): the SQLite side of an event that names its message, and
# fleet.services.notifications.queue's INSERT.
QUEUE_NOTIFICATION = Prepared(insert_of(_NOTIFICATIONS, _NOTIFICATION_COLUMNS[1:]).returning(_NOTIFICATIONS.c.id))
# PostgreSQL, one round trip. An event that names its message needs the message's id before the hash: the caller
# draws it in an earlier statement (the hand-over's move of the asset, the return's statement), and the message's
# INSERT rides in the same statement.
_APPEND_SQL = (
    f"WITH {hashing_head('event_head')}, "
    "appended AS (INSERT INTO events (seq, at, actor, action, subject_type, subject_id, data, prev_hash, hash) "
    "SELECT seq, :at, :actor, :action, :subject_type, :subject_id, :data, prev_hash, hash FROM head){queued} "
    "SELECT seq, prev_hash, hash, checkpoint_at FROM head")
_QUEUED_SQL = (", queued AS (INSERT INTO notifications ({columns}) SELECT {values} FROM head)".format(
    columns=", ".join(_NOTIFICATION_COLUMNS), values=", ".join(f":notification_{c}" for c in _NOTIFICATION_COLUMNS)))
_APPEND_PG = text(_APPEND_SQL.format(queued="")).bindparams(bindparam("at", type_=_EVENTS.c.at.type))
_APPEND_WITH_NOTIFICATION_PG = text(_APPEND_SQL.format(queued=_QUEUED_SQL)).bindparams(
    bindparam("at", type_=_EVENTS.c.at.type),
    *(bindparam(f"notification_{name}", type_=_NOTIFICATIONS.c[name].type) for name in _NOTIFICATION_COLUMNS))
# sent straight to the driver (fleet.db.Prepared): every write appends
_APPEND_PG = Prepared(_APPEND_PG)
_APPEND_WITH_NOTIFICATION_PG = Prepared(_APPEND_WITH_NOTIFICATION_PG)
_TAKE_SEQ_AND_NOTIFICATION_ID = Prepared(_TAKE_SEQ_AND_NOTIFICATION_ID)
_INSERT_EVENT_AND_NOTIFICATION_SET_HEAD = Prepared(_INSERT_EVENT_AND_NOTIFICATION_SET_HEAD)
_APPENDING = Appending(_HASH_HEAD_SQLITE, _INSERT_EVENT, ensure_head)


class AppendedEvent(NamedTuple):
    """The event just appended, as stored (a plain record: an ORM Event costs its instrumented attributes on every
    write path)."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    data: str
    prev_hash: str
    hash: str


def append_event(actor: str, action: str, subject_type: str, subject_id: Any, *,
                 before: dict | None = None, after: dict | None = None, extra: dict | None = None,
                 at: datetime | None = None, notification: dict | None = None) -> AppendedEvent:
    """Append one event in the caller's transaction. Never carries request reasons or notes.

    Core statements on the session's connection, not the ORM unit of work: an append is on
    every write path, and the head row's UPDATE is what serialises writers.

    `notification`: the values of an outbox row (fleet.services.notifications.outbox_row) written with the event,
    which names it as `notification_id`.
    """
    connection = session_connection()
    if connection.dialect.name != "postgresql":
        if notification is not None:  # its INSERT first: the event's hash covers its id
            notification_id = QUEUE_NOTIFICATION.execute(connection, notification).scalar_one()
            extra, notification = {**(extra or {}), "notification_id": notification_id}, None
    elif notification is not None and "id" not in notification:
        return _append_riding(connection, actor, action, subject_type, subject_id, before=before, after=after,
                              extra=extra, at=at, notification=notification)
    return _append_hashed(connection, actor, action, subject_type, subject_id, before=before, after=after,
                          extra=extra, at=at, notification=notification)


def _append_riding(connection, actor: str, action: str, subject_type: str, subject_id: Any, *,
                   before: dict | None, after: dict | None, extra: dict | None, at: datetime | None,
                   notification: dict) -> AppendedEvent:
    """append_event on PostgreSQL for an event naming a message whose id its caller did not draw: the head taken
    with the message's id, then the event's INSERT and the message's riding in the head's UPDATE."""
    result = _TAKE_SEQ_AND_NOTIFICATION_ID.execute(connection, {}).one_or_none()
    if result is None:
        ensure_head()
        return _append_riding(connection, actor, action, subject_type, subject_id, before=before, after=after,
                              extra=extra, at=at, notification=notification)
    seq, prev_hash, checkpoint_at, notification_id = result
    extra = {**(extra or {}), "notification_id": notification_id}
    # The hash covers the moment in UTC, as the database gives it back to verify_chain.
    at = (at or utcnow()).astimezone(UTC)
    data = canonical_data(_payload(before, after, extra))
    subject_id = str(subject_id)
    digest = compute_hash(seq, at, actor, action, subject_type, subject_id, data, prev_hash)
    values = {"seq": seq, "at": at, "actor": actor, "action": action, "subject_type": subject_type,
              "subject_id": subject_id, "data": data, "prev_hash": prev_hash, "hash": digest}
    _INSERT_EVENT_AND_NOTIFICATION_SET_HEAD.execute(connection, {
        "digest": digest, **{f"event_{k}": v for k, v in values.items()},
        **{f"notification_{k}": v for k, v in notification.items()}, "notification_id": notification_id})
    checkpoint_if_due(connection, CHAIN, _HEAD, (seq, prev_hash, digest, checkpoint_at), at)
    return AppendedEvent(**values)


def _payload(before: dict | None, after: dict | None, extra: dict | None) -> dict:
    payload: dict = {}
    if before is not None:
        payload["before"] = before
    if after is not None:
        payload["after"] = after
    if extra:
        payload.update(extra)
    return payload


def _append_hashed(connection, actor: str, action: str, subject_type: str, subject_id: Any, *,
                   before: dict | None, after: dict | None, extra: dict | None, at: datetime | None,
                   notification: dict | None) -> AppendedEvent:
    """append_event with the hash made in the head's UPDATE: on PostgreSQL in one statement (_APPEND_SQL;
    `notification` with its id drawn), on SQLite that UPDATE and the event's INSERT (`notification` None)."""
    if notification is not None:
        extra = {**(extra or {}), "notification_id": notification["id"]}
    at = (at or utcnow()).astimezone(UTC)
    data = canonical_data(_payload(before, after, extra))
    subject_id = str(subject_id)
    values = {"at": at, "actor": actor, "action": action, "subject_type": subject_type, "subject_id": subject_id,
              "data": data}
    middle = middle_text(at, actor, action, subject_type, subject_id, data)
    if notification is None:
        taken = _APPENDING.append(connection, middle, values, _APPEND_PG, values)
    else:
        taken = _APPENDING.append(connection, middle, values, _APPEND_WITH_NOTIFICATION_PG,
                                  values | {f"notification_{k}": v for k, v in notification.items()})
    seq, prev_hash, digest, _ = taken
    checkpoint_if_due(connection, CHAIN, _HEAD, taken, at)
    return AppendedEvent(seq=seq, prev_hash=prev_hash, hash=digest, **values)


# ---- signed checkpoints ------------------------------------------------------------------

CHECKPOINT_FORMAT = "fleet-checkpoint-v1"


def checkpoint_message(seq: int, head_hash: str, at: datetime) -> bytes:
    """The bytes a checkpoint signs (docs/event-log.md): JSON ["fleet-checkpoint-v1", seq, head, at], UTF-8."""
    return json.dumps([CHECKPOINT_FORMAT, seq, head_hash, format_at(at)], separators=(",", ":")).encode("utf-8")


# The event log as fleet.services.chains verifies and exports it.
CHAIN = Chain(_EVENTS, EventCheckpoint, checkpoint_message, EXPORT_FORMAT)


def checkpoint_head(now: datetime | None = None) -> EventCheckpoint | None:
    """Sign the chain's current head now, unless it is signed already or the log is empty (`fleet checkpoint`)."""
    seq = sign_head(CHAIN, _HEAD, now)
    return None if seq is None else db.session.get(EventCheckpoint, seq)


def latest_checkpoint(up_to_seq: int | None = None) -> EventCheckpoint | None:
    """The newest checkpoint at or before `up_to_seq` (the newest of all without it)."""
    query = select(EventCheckpoint)
    if up_to_seq is not None:
        query = query.where(EventCheckpoint.seq <= up_to_seq)
    return db.session.execute(query.order_by(EventCheckpoint.seq.desc()).limit(1)).scalar_one_or_none()


def describe_latest_checkpoint() -> str | None:
    """How a report prints the newest signed checkpoint it covers; None when Fleet signs nothing."""
    if current_app.extensions.get("fleet_signing_key") is None:
        return None
    checkpoint = latest_checkpoint()
    if checkpoint is None:
        return "없음 None yet"
    return (f"#{checkpoint.seq} · {format_local(checkpoint.at)} · {checkpoint.head_hash} · "
            f"SHA-256 {checkpoint.fingerprint[:23]}…")


def list_checkpoints(*, after_seq: int | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    """Checkpoints in order of seq, keyset-paginated."""
    query = select(EventCheckpoint)
    if after_seq is not None:
        query = query.where(EventCheckpoint.seq > after_seq)
    key = decode_cursor(cursor)
    if key:
        query = query.where(EventCheckpoint.seq > key[0])
    rows = list(db.session.execute(query.order_by(EventCheckpoint.seq).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda checkpoint: [checkpoint.seq])


def verify_chain(batch_size: int = 5_000) -> ChainVerification:
    """Recompute every hash in order, streaming the log: memory stays flat however long it is; and compare the
    chain with its signed checkpoints, which show a log rewritten from the start or cut short (fleet.services.chains,
    which verifies the access log the same way)."""
    checkpoints, forged = good_checkpoints(CHAIN)
    if forged is not None:
        return ChainVerification(False, 0, GENESIS_HASH, forged)

    def head() -> tuple[int, str] | None:
        row = db.session.get(EventHead, HEAD_ID)
        return (row.seq, row.hash) if row is not None else None

    return verify_entries(CHAIN, checkpoints, head, batch_size=batch_size)


def head_hash() -> str:
    head = db.session.get(EventHead, HEAD_ID)
    return head.hash if head else GENESIS_HASH


def list_events(*, subject: str | None = None, actor: str | None = None, action: str | None = None,
                since: datetime | None = None, until: datetime | None = None, limit: int = 50,
                cursor: str | None = None) -> Page:
    """Events in chain order, keyset-paginated on seq; `subject` is `type` or `type:id`."""
    check_days(**{"from": since, "to": until})
    query = select(Event)
    if subject:
        subject_type, _, subject_id = subject.partition(":")
        query = query.where(Event.subject_type == subject_type)
        if subject_id:
            query = query.where(Event.subject_id == subject_id)
    if actor:
        query = query.where(Event.actor == actor)
    if action:
        query = query.where(Event.action == action)
    if since:
        query = query.where(Event.at >= since)
    if until:
        query = query.where(Event.at < until)
    key = decode_cursor(cursor)
    if key:
        query = query.where(Event.seq > key[0])
    rows = list(db.session.execute(query.order_by(Event.seq).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda event: [event.seq])


def list_asset_history(asset: Asset, *, limit: int = 50, cursor: str | None = None) -> Page:
    """An asset's events and those of its loans, in chain order."""
    loan_ids = select(cast(Loan.id, String)).where(Loan.asset_id == asset.id).scalar_subquery()
    query = select(Event).where(or_(and_(Event.subject_type == "asset", Event.subject_id == asset.asset_tag),
                                    and_(Event.subject_type == "loan", Event.subject_id.in_(loan_ids))))
    key = decode_cursor(cursor)
    if key:
        query = query.where(Event.seq > key[0])
    rows = list(db.session.execute(query.order_by(Event.seq).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda event: [event.seq])
