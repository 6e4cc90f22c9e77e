"""Repairs: an asset sent to a vendor, and what came of it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.asset import Asset

REPAIR_STATUSES = ("open", "closed")
REPAIR_RESULTS = ("fixed", "beyond_repair")
OPEN = "status = 'open'"


class Repair(db.Model):
    """One trip of an asset to a vendor: sent with a fault, back fixed or beyond repair, at a cost (KRW)."""

    __tablename__ = "repairs"
    __table_args__ = (
        # At most one open repair per asset, whatever the concurrency.
        Index("uq_repairs_open_asset", "asset_id", unique=True, sqlite_where=text(OPEN), postgresql_where=text(OPEN)),
        Index("ix_repairs_asset_id", "asset_id", "id"),
        Index("ix_repairs_status_sent_at", "status", "sent_at", "id"),
        Index("ix_repairs_sent_at", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    vendor: Mapped[str] = mapped_column(String(200))
    ticket: Mapped[str | None] = mapped_column(String(100))
    fault: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    under_warranty: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")
    asset_status_before: Mapped[str] = mapped_column(String(16))
    opened_by: Mapped[str] = mapped_column(String(256))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(16))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    note: Mapped[str | None] = mapped_column(Text)
    data_wiped: Mapped[bool | None] = mapped_column(Boolean)
    asset_status_after: Mapped[str | None] = mapped_column(String(16))
    closed_by: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    asset: Mapped[Asset] = relationship(lazy="joined")
