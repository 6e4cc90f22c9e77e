from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.clock import local_time
from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.asset import Asset
from fleet.models.center import Center

LOAN_STATUSES = ("active", "returned", "lost")


class LoanBatch(db.Model):
    """An emergency hand-over of many devices in one step, with one batch form."""

    __tablename__ = "loan_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    issued_by: Mapped[str] = mapped_column(String(256))
    issued_by_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    @property
    def number(self) -> str:
        return f"B-{local_time(self.created_at).year}-{self.id:06d}"


class Loan(db.Model):
    __tablename__ = "loans"
    __table_args__ = (
        # Never two open loans for one asset: the database itself refuses the second.
        Index(
            "uq_loans_one_active_per_asset",
            "asset_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_loans_status_due", "status", "due_date", "id"),
        Index("ix_loans_status_id", "status", "id"),
        Index("ix_loans_assignee", "assignee_uid", "id"),
        Index("ix_loans_asset", "asset_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The assignee as the directory gave it at hand-over.
    assignee_uid: Mapped[str] = mapped_column(String(256))
    assignee_name: Mapped[str] = mapped_column(String(200))
    assignee_employee_number: Mapped[str | None] = mapped_column(String(64))
    assignee_department: Mapped[str | None] = mapped_column(String(400))
    assignee_email: Mapped[str | None] = mapped_column(String(320))
    issued_by: Mapped[str] = mapped_column(String(256))
    issued_by_name: Mapped[str | None] = mapped_column(String(200))
    checked_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_date: Mapped[date]
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("loan_batches.id"))
    accessories_out: Mapped[list] = mapped_column(JSON, default=list)
    condition_out: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[str | None] = mapped_column(String(256))
    received_by_name: Mapped[str | None] = mapped_column(String(200))
    return_condition: Mapped[str | None] = mapped_column(String(16))
    accessories_returned: Mapped[list | None] = mapped_column(JSON)
    damage_notes: Mapped[str | None] = mapped_column(Text)
    data_wiped: Mapped[bool | None]
    handover_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    return_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    asset: Mapped[Asset] = relationship(lazy="joined")
    center: Mapped[Center] = relationship(lazy="joined")
    batch: Mapped[LoanBatch | None] = relationship()

    @property
    def number(self) -> str:
        """The readable loan number, e.g. L-2026-000042 (derived: no second write per hand-over). The year is the
        local one (FLEET_TIMEZONE), as printed on the form: a hand-over on 1 January at 08:30 in Seoul is 2027's."""
        return format_loan_number(local_time(self.checked_out_at).year, self.id)


def format_loan_number(year: int, loan_id: int) -> str:
    return f"L-{year}-{loan_id:06d}"


def parse_loan_number(number: str) -> int | None:
    """The loan id inside a loan number, or None when it is not one."""
    parts = number.strip().upper().split("-")
    if len(parts) != 3 or parts[0] != "L" or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[2])
