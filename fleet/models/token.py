from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db

SESSION_KINDS = ("api", "page")


class ApiToken(db.Model):
    """A log-in that lasts: a bearer token (`api`) or a page session (`page`).

    Only the SHA-256 of the random secret is stored; the cookie or the Authorization header
    carries the secret and nothing else. Roles are those the directory gave at log-in, updated
    when the actor re-check finds them changed. Ending a session deletes its row, so a copied
    cookie or token is worthless afterwards.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="api", server_default="api")
    uid: Mapped[str] = mapped_column(String(256), index=True)
    dn: Mapped[str | None] = mapped_column(String(1024))  # the entry the re-check looks groups up by
    name: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the idle clock, renewed once a minute
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the absolute limit (FLEET_SESSION_HOURS)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # rows from before 0009; ended rows are deleted
    address: Mapped[str | None] = mapped_column(String(64))  # where the log-in came from
    last_address: Mapped[str | None] = mapped_column(String(64))  # where the last renewal came from
    user_agent: Mapped[str | None] = mapped_column(String(200))
