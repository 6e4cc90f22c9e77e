"""Inspections: a periodic check of a device (battery, updates, condition), recorded at the desk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.asset import Asset

INSPECTION_RESULTS = ("ok", "needs_repair")


class Inspection(db.Model):
    __tablename__ = "inspections"
    __table_args__ = (Index("ix_inspections_asset_at", "asset_id", "inspected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))  # the loan it was on, if any
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    inspected_by: Mapped[str] = mapped_column(String(256))
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)

    asset: Mapped[Asset] = relationship(lazy="joined")
