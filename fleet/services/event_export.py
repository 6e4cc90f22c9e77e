"""The event log exported for auditors: JSON Lines with everything the chain needs (docs/event-log.md).

Streamed in batches by seq by fleet.services.chains (the access log's export is the same stream), so memory stays
flat however long the log. The export ends at the head as it was when the export began: events appended meanwhile
are left for the next export.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from fleet.extensions import db
from fleet.models import GENESIS_HASH, EventHead
from fleet.services import chains
from fleet.services.chains import BATCH, ExportRange
from fleet.services.events import CHAIN, EXPORT_FORMAT, HEAD_ID

__all__ = ["BATCH", "EXPORT_FORMAT", "ExportRange", "export_lines", "export_range"]


def export_range(since: datetime | None = None, until: datetime | None = None) -> ExportRange:
    """The seq range of the events at or after `since` and before `until` (the whole log without them)."""
    head = db.session.get(EventHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    return chains.export_range(CHAIN, head_seq, head_hash, since, until)


def export_lines(scope: ExportRange, batch_size: int = BATCH) -> Iterator[str]:
    """The export, line by line: a header, the events in order of seq, then the checkpoints.

    Checkpoints come last, all those there were when the export began (also those past the range): one per
    FLEET_CHECKPOINT_EVENTS events, so a few hundred for a million events, and a later one is what shows that a log
    was cut short. One made meanwhile (by a hand-over while a long export streams) is left for the next export: it
    would sign past the exported head, and read as a log cut short.
    """
    return chains.export_lines(CHAIN, scope, batch_size)
