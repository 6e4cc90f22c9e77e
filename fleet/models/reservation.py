"""Reservations: a center's equipment booked ahead for a period.

A reservation holds either one asset (by tag) or a number of a category at a center.
While it is `booked` or `picked_up` it holds its period [starts_at, ends_at): on PostgreSQL
an exclusion constraint (migration 0003) refuses two holding bookings of one asset whose
periods overlap; on SQLite the service checks inside its one write transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.db import UTCDateTime, utcnow
from fleet.extensions import db
from fleet.models.asset import Asset
from fleet.models.center import Center

RESERVATION_STATUSES = ("booked", "picked_up", "returned", "cancelled", "no_show")
HOLDING_STATUSES = ("booked", "picked_up")
_HOLDING_SQL = "status IN ('booked', 'picked_up')"


class Reservation(db.Model):
    __tablename__ = "reservations"
    __table_args__ = (
        # Capacity and availability: the holding bookings of a center's category that end after a moment.
        Index("ix_reservations_holding_center_category", "center_id", "category", "ends_at", "starts_at",
              sqlite_where=text(_HOLDING_SQL), postgresql_where=text(_HOLDING_SQL)),
        Index("ix_reservations_holding_asset", "asset_id", "ends_at",
              sqlite_where=text(_HOLDING_SQL), postgresql_where=text(_HOLDING_SQL)),
        Index("ix_reservations_person", "person_uid", "id"),
        Index("ix_reservations_status_starts", "status", "starts_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The person as the directory gave it when booked.
    person_uid: Mapped[str] = mapped_column(String(256))
    person_name: Mapped[str] = mapped_column(String(200))
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"))
    category: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    purpose: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    booked_by: Mapped[str] = mapped_column(String(256))
    booked_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_by: Mapped[str | None] = mapped_column(String(256))
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    picked_up_by: Mapped[str | None] = mapped_column(String(256))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    center: Mapped[Center] = relationship(lazy="joined")
    asset: Mapped[Asset | None] = relationship(lazy="joined")
    units: Mapped[list[ReservationUnit]] = relationship(order_by="ReservationUnit.id", lazy="selectin",
                                                       back_populates="reservation")


class ReservationUnit(db.Model):
    """A device handed over for a reservation at pick-up: which asset, and its loan."""

    __tablename__ = "reservation_units"
    __table_args__ = (Index("ix_reservation_units_reservation", "reservation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), unique=True)

    reservation: Mapped[Reservation] = relationship(back_populates="units")
    asset: Mapped[Asset] = relationship(lazy="joined")
