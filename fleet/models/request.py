from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.center import Center

# Queue order: earlier in this tuple comes first (PRODUCT.md, "Request").
REASONS = ("emergency", "pregnancy", "childcare", "remote_work", "business_trip", "other")
REQUEST_STATUSES = ("pending", "approved", "rejected", "cancelled", "fulfilled")
OPEN_REQUEST_STATUSES = ("pending", "approved")


class LoanRequest(db.Model):
    """An employee's request for a device. `reason` and `note` are personal data."""

    __tablename__ = "requests"
    __table_args__ = (
        # One open request per person per category, enforced by the database.
        Index(
            "uq_requests_open_per_person",
            "requester_uid",
            "category",
            unique=True,
            sqlite_where=text("status IN ('pending', 'approved')"),
            postgresql_where=text("status IN ('pending', 'approved')"),
        ),
        Index("ix_requests_status_priority", "status", "priority", "created_at", "id"),
        Index("ix_requests_requester", "requester_uid", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_uid: Mapped[str] = mapped_column(String(256))
    requester_name: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column()
    needed_from: Mapped[date]
    needed_until: Mapped[date | None]
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(256))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    center: Mapped[Center | None] = relationship(lazy="joined")
