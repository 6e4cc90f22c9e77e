"""The access log's tables: entries chained by SHA-256 (the event log's construction, its own chain), the head
row that serialises appends, and the signed checkpoints of the head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fleet.db import UTCDateTime
from fleet.extensions import db

ACTIONS = ("view", "search", "create", "change", "delete", "print", "download", "export")
_SEQ = BigInteger().with_variant(db.Integer, "sqlite")


class AccessEntry(db.Model):
    """One access of a handler (IT staff, auditor, privacy officer) to other people's personal data.

    Hashed like an event (docs/access-log.md): `[seq, at, actor, action, target_type, target_id, data, prev_hash]`,
    where `data` is the canonical JSON text of role, ip, subjects, subject_count, reason and parameters. `role` and
    `subjects` (`,uid1,uid2,`) repeat what `data` says for filtering and the monthly review's counts: not hashed,
    but checked against `data` by the verification, online and offline.
    """

    __tablename__ = "access_entries"
    __table_args__ = (
        Index("ix_access_entries_actor", "actor", "seq"),
        Index("ix_access_entries_at", "at", "seq"),
    )

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(128))
    subjects: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AccessHead(db.Model):
    """The single row holding the access chain's head; updating it serialises appends.

    `start_seq`/`start_prev_hash`: where the kept chain starts after a purge (1 and the genesis hash before any);
    the purge's event in the event log and its signed checkpoint say the same.
    """

    __tablename__ = "access_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(_SEQ)
    hash: Mapped[str] = mapped_column(String(64))
    # The append's head UPDATE keeps the hash it replaced here, to give the entry its prev_hash.
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    checkpoint_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    start_seq: Mapped[int] = mapped_column(_SEQ)
    start_prev_hash: Mapped[str] = mapped_column(String(64))


class AccessCheckpoint(db.Model):
    """The access chain's head (seq, hash, time) signed with the organisation's key, like the event log's."""

    __tablename__ = "access_checkpoints"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=False)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(95))
    certificate: Mapped[str] = mapped_column(Text)
