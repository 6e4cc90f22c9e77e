from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.loan import Loan


class LeaverFinding(db.Model):
    """A person who left or was disabled in the directory while holding a device."""

    __tablename__ = "leaver_findings"
    __table_args__ = (Index("ix_leaver_findings_loan", "loan_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(256))
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    reason: Mapped[str] = mapped_column(String(16))  # "not_found" | "disabled"
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    loan: Mapped[Loan] = relationship(lazy="joined")
