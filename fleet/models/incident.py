from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.loan import Loan

INCIDENT_KINDS = ("lost", "stolen", "damaged")
INCIDENT_STATUSES = ("open", "closed")
# How the desk acted on a report: the loan closed as lost, the device taken back damaged, swapped, or resolved.
INCIDENT_RESOLUTIONS = ("marked_lost", "taken_back", "swapped", "resolved")
REPORT_WITHIN = timedelta(hours=24)  # the handover form's terms: report a loss or theft within 24 hours


class Incident(db.Model):
    """A loss, theft or damage reported by the assignee of a loan, as reported (never edited afterwards)."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status", "status", "id"),
        Index("ix_incidents_loan", "loan_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    kind: Mapped[str] = mapped_column(String(16))
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(256))
    reported_by_name: Mapped[str | None] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(256))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The replacement's loan when the desk swapped the device.
    replacement_loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    # The theft report (a registered PDF), issued when first asked for.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    loan: Mapped[Loan] = relationship(lazy="joined", foreign_keys=[loan_id])

    @property
    def reported_within_24h(self) -> bool:
        """Reported no later than 24 hours after it happened (the handover form's terms)."""
        return self.reported_at - self.happened_at <= REPORT_WITHIN
