from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db

DOCUMENT_KINDS = ("handover_form", "batch_handover_form", "return_form", "report", "stocktake_report", "labels",
                  "disposal_list", "theft_report")


class Document(db.Model):
    """A PDF that Fleet issued, registered with its SHA-256; once rendered, its bytes never change."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_sha256", "sha256"),
        Index("ix_documents_subject", "subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64), default="application/pdf")
    # Forms are reserved at hand-over and rendered, deterministically, when first asked
    # for; from then on sha256, size and content never change.
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # The signed copy points at the unsigned original, which stays registered.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(256))
