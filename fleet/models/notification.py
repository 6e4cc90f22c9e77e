from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db

NOTIFICATION_KINDS = ("handover_receipt", "return_receipt", "due_soon", "overdue", "request_approved",
                      "request_rejected", "request_fulfilled", "leavers", "weekly_summary", "booking_reminder",
                      "booking_released", "inspection_due", "extension_approved", "extension_rejected",
                      "incident_reported", "swap_receipt")
# queued → sending (claimed by a sender, until lease_until) → sent | queued (retry later) | failed
NOTIFICATION_STATUSES = ("queued", "sending", "sent", "failed")


class Notification(db.Model):
    """One e-mail in the outbox, written in the transaction of the change that causes it.

    It holds who gets it, which template in which language and the ids its template needs
    (a loan, a request), never the text: the sender renders it. `dedupe_key` makes a reminder
    unique per loan and day, whichever worker queues it.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next", "status", "next_attempt_at", "id"),
        Index("ix_notifications_recipient", "recipient_uid", "id"),
        Index("uq_notifications_dedupe_key", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # A person (recipient_uid) or a mailbox (the IT desk: to_address only). A person's address and
    # language are taken from the directory at queue time when known, else when sending.
    recipient_uid: Mapped[str | None] = mapped_column(String(256))
    to_address: Mapped[str | None] = mapped_column(String(320))
    to_name: Mapped[str | None] = mapped_column(String(200))
    cc_address: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(8))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    dedupe_key: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
