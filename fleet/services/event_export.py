"""The event log exported for auditors: JSON Lines with everything the chain needs (docs/event-log.md).

Streamed in batches by seq, so memory stays flat however long the log. The export ends at the head as it
was when the export began: events appended meanwhile are left for the next export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring

from sqlalchemy import func, select

from fleet.clock import check_days
from fleet.db import utcnow
from fleet.extensions import db
from fleet.models import Event, EventCheckpoint, EventHead
from fleet.services.events import HEAD_ID, _raw_at, format_at

EXPORT_FORMAT = "fleet-event-export-v1"
BATCH = 5_000


@dataclass(frozen=True)
class ExportRange:
    from_seq: int  # the first event exported (1 for the whole log)
    to_seq: int  # the last event exported; from_seq - 1 when the range holds no event
    head_seq: int
    head_hash: str

    @property
    def to_head(self) -> bool:
        return self.to_seq == self.head_seq


def export_range(since: datetime | None = None, until: datetime | None = None) -> ExportRange:
    """The seq range of the events at or after `since` and before `until` (the whole log without them)."""
    check_days(**{"from": since, "to": until})
    head = db.session.get(EventHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, "0" * 64)
    from_seq, to_seq = 1, head_seq
    if since is not None:
        first = db.session.execute(select(func.min(Event.seq)).where(Event.at >= since)).scalar()
        from_seq = first if first is not None else head_seq + 1
    if until is not None:
        last = db.session.execute(select(func.max(Event.seq)).where(Event.at < until)).scalar()
        to_seq = min(last if last is not None else 0, head_seq)
    to_seq = max(to_seq, from_seq - 1)
    return ExportRange(from_seq, to_seq, head_seq, head_hash)


def _line(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_lines(scope: ExportRange, batch_size: int = BATCH) -> Iterator[str]:
    """The export, line by line: a header, the events in order of seq, then the checkpoints.

    Checkpoints come last and all of them (also those past the range): one per FLEET_CHECKPOINT_EVENTS events, so
    a few hundred for a million events, and a later one is what shows that a log was cut short.
    """
    yield _line({"type": "header", "format": EXPORT_FORMAT, "from_seq": scope.from_seq, "to_seq": scope.to_seq,
                 "head_seq": scope.head_seq, "head_hash": scope.head_hash, "exported_at": format_at(utcnow())})
    connection = db.session.connection()
    # The driver's own cursor: at a million events, SQLAlchemy's result rows cost as much as the query itself.
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    query = ("SELECT seq, at, actor, action, subject_type, subject_id, data, prev_hash, hash FROM events "
             f"WHERE seq >= {mark} AND seq <= {mark} ORDER BY seq LIMIT {mark}")
    cursor = connection.connection.driver_connection.cursor()
    after = scope.from_seq
    # Each string as json.dumps(…, ensure_ascii=False) writes it, without building an encoder per event; the
    # time and the hashes need no escaping.
    quote = encode_basestring
    while after <= scope.to_seq:
        cursor.execute(query, (after, scope.to_seq, batch_size))
        rows = cursor.fetchall()
        if not rows:
            break
        # The event's fields are written as the very text its hash covers (docs/event-log.md): a verifier can hash
        # the line's `fields` as they stand, and an independent one re-encodes them to check the encoding.
        chunk = [f'{{"type":"event","hash":"{digest}","fields":[{seq},"{_raw_at(at)}",{quote(actor)},{quote(action)},'
                 f'{quote(subject_type)},{quote(subject_id)},{quote(data)},"{prev_hash}"]}}'
                 for seq, at, actor, action, subject_type, subject_id, data, prev_hash, digest in rows]
        chunk.append("")
        yield "\n".join(chunk)
        after = rows[-1][0] + 1
    checkpoints = db.session.execute(select(EventCheckpoint).order_by(EventCheckpoint.seq)).scalars()
    for checkpoint in checkpoints:
        yield _line({"type": "checkpoint", "seq": checkpoint.seq, "head_hash": checkpoint.head_hash,
                     "at": format_at(checkpoint.at), "signature": checkpoint.signature,
                     "fingerprint": checkpoint.fingerprint, "certificate": checkpoint.certificate})
