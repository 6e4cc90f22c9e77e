from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.loan import Loan

EXTENSION_STATUSES = ("pending", "approved", "rejected", "cancelled")


class LoanExtension(db.Model):
    """A request to move a loan's due date later. `reason` and `decision_note` are personal data (as a request's
    reason is): the assignee and IT staff read them, auditors and the event log never do."""

    __tablename__ = "loan_extensions"
    __table_args__ = (
        # One pending extension per loan: the database refuses a second one, however many clients ask at once.
        Index("uq_loan_extensions_one_pending", "loan_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("ix_loan_extensions_loan", "loan_id", "id"),
        Index("ix_loan_extensions_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # The due date when it was asked for, and the day asked for.
    due_from: Mapped[date]
    until: Mapped[date]
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(256))
    requested_by_name: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(256))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    loan: Mapped[Loan] = relationship(lazy="joined")
