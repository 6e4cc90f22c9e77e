from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fleet.db import UTCDateTime
from fleet.extensions import db

GENESIS_HASH = "0" * 64


class Event(db.Model):
    """One entry of the append-only event log, chained by SHA-256.

    `data` holds the canonical JSON text that was hashed, so that verification reads
    exactly the bytes that were chained. Rows are never updated or deleted.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_subject", "subject_type", "subject_id", "seq"),
        Index("ix_events_actor", "actor", "seq"),
        Index("ix_events_at", "at", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(128))
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EventHead(db.Model):
    """The single row holding the chain's head; updating it serialises appends."""

    __tablename__ = "event_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    # Set by an append's head UPDATE that hashes the event (SQLite's, and PostgreSQL's but for an event naming a
    # message whose id its caller did not draw) to the hash it replaces (SET sees the old row), and read back by
    # the same statement, so that the event inserted names its predecessor without a read before. Nothing else
    # reads it (NULL until the first such append).
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # When the last signed checkpoint was made: read with the head on every append, so that the first
    # event of a new day is checkpointed without a query more.
    checkpoint_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EventCheckpoint(db.Model):
    """The chain's head (seq, hash, time) signed with the organisation's key (docs/event-log.md).

    The key is not in the database: someone who rewrites the whole chain cannot sign its new heads,
    and the offline verifier (`python -m fleet.verify`) finds the rewrite against these.
    """

    __tablename__ = "event_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(Text)  # base64
    fingerprint: Mapped[str] = mapped_column(String(95))  # SHA-256 of the signing certificate
    certificate: Mapped[str] = mapped_column(Text)  # the signing certificate, PEM
