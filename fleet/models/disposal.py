"""Disposal lists (불용 결정 목록): in-stock assets retired together with one reason and one registered PDF."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fleet.clock import local_time
from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db


class Disposal(db.Model):
    __tablename__ = "disposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(256))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What each asset was when it was retired (tag, category, model, serial number, center, purchase date and cost,
    # age in months): the list as decided, whatever happens to the assets' records later.
    items: Mapped[list] = mapped_column(JSON, default=list)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    @property
    def number(self) -> str:
        """The list's number, e.g. D-2026-000003 (the local year of the decision)."""
        return f"D-{local_time(self.created_at).year}-{self.id:06d}"
