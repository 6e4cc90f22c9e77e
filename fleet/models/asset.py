from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.center import Center

CATEGORIES = ("laptop", "monitor", "dock", "webcam", "headset", "vc_kit", "router", "other")
STATUSES = ("in_stock", "on_loan", "quarantine", "in_repair", "lost", "retired")
MAX_COST = Decimal("999999999999.99")  # what purchase_cost, NUMERIC(14, 2), holds


class Asset(db.Model):
    __tablename__ = "assets"
    __table_args__ = (
        Index("ix_assets_status_id", "status", "id"),
        Index("ix_assets_center_id_id", "center_id", "id"),
        Index("ix_assets_category_id", "category", "id"),
        Index("ix_assets_serial_number", "serial_number"),
        Index("ix_assets_center_category_status", "center_id", "category", "status"),
        Index("ix_assets_center_status", "center_id", "status"),  # the dashboard's counts
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(64), unique=True)
    serial_number: Mapped[str | None] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(16))
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(200))
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    status: Mapped[str] = mapped_column(String(16), default="in_stock")
    purchase_date: Mapped[date | None]
    purchase_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    warranty_until: Mapped[date | None]
    accessories: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    center: Mapped[Center] = relationship(lazy="joined")
