"""Reservations and availability: what comes in, what goes out.

Times come in as local times in FLEET_TIMEZONE (`2026-12-03T14:00`), with an offset (`…+09:00`), or as a
whole day (`2026-12-03`: from that day's start; as an end, until the end of that day). They go out as
ISO 8601 moments with their offset.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from marshmallow import Schema, ValidationError, fields, validate

from fleet.clock import local_zone
from fleet.models import CATEGORIES, RESERVATION_STATUSES
from fleet.schemas.common import PageArgsSchema

LOCAL_TIMES = ("A local time in FLEET_TIMEZONE (`YYYY-MM-DDTHH:MM`), a time with an offset, or a whole day "
               "(`YYYY-MM-DD`)")


class LocalMoment(fields.String):
    """A moment typed as a local time, a time with offset, or a day; deserialised to an aware UTC datetime."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        metadata = {"minLength": 10, "maxLength": 40, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not 10 <= len(text) <= 40:
            raise ValidationError("Length must be between 10 and 40.")
        try:
            if len(text) == 10:
                day = datetime.strptime(text, "%Y-%m-%d").date()
                if self.end_of_day:
                    day += timedelta(days=1)
                moment = datetime.combine(day, time(0), tzinfo=local_zone())
            else:
                moment = datetime.fromisoformat(text)
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=local_zone())
            return moment.astimezone(local_zone())
        except (ValueError, OverflowError):
            raise ValidationError("Not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM[+HH:MM]).") from None


class ReservationCreateSchema(Schema):
    starts_at = LocalMoment(required=True, metadata={"description": f"{LOCAL_TIMES}. Not in the past (a whole "
                                                                    "day may start today)."})
    ends_at = LocalMoment(required=True, end_of_day=True, metadata={
        "description": f"{LOCAL_TIMES}; a day alone means until the end of that day. After starts_at, at most "
                       "FLEET_MAX_BOOKING_DAYS later."})
    asset_tag = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "IT staff only: book this asset"})
    center = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=32),
                           metadata={"description": "Center code (with category, for a booking of units)"})
    category = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CATEGORIES))
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500))
    purpose = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                            metadata={"description": "Shown to IT staff and the person; never in the event log"})
    person = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=256),
                           metadata={"description": "IT staff only: book for this person (a uid)"})


class UnitSchema(Schema):
    asset_tag = fields.String(required=True)
    loan_id = fields.Integer(required=True)


class ReservationSchema(Schema):
    id = fields.Integer(required=True)
    person = fields.String(required=True, metadata={"description": "uid of the person the booking is for"})
    person_name = fields.String(required=True)
    center = fields.String(required=True)
    asset_tag = fields.String(allow_none=True, metadata={"description": "The asset booked; null for units"})
    category = fields.String(required=True)
    quantity = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    purpose = fields.String(allow_none=True, metadata={"description": "IT staff and the person only"})
    status = fields.String(required=True, metadata={"enum": list(RESERVATION_STATUSES)})
    attention = fields.String(allow_none=True, metadata={
        "description": "Why the desk should look at it, e.g. `asset-retired` when the booked asset became unusable"})
    booked_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    picked_up_at = fields.AwareDateTime(allow_none=True)
    picked_up_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    units = fields.List(fields.Nested(UnitSchema), required=True,
                        metadata={"description": "The devices handed over at pick-up, with their loans"})


class ReservationPageSchema(Schema):
    items = fields.List(fields.Nested(ReservationSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ReservationQueryArgsSchema(PageArgsSchema):
    person = fields.String(load_default=None, validate=validate.Length(min=1, max=256),
                           metadata={"description": "A uid (an employee only ever sees their own)"})
    center = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    status = fields.String(load_default=None, validate=validate.OneOf(RESERVATION_STATUSES))
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    asset_tag = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    starts_from = LocalMoment(load_default=None, metadata={"description": f"Starting at or after: {LOCAL_TIMES}"})
    starts_before = LocalMoment(load_default=None, metadata={"description": f"Starting before: {LOCAL_TIMES}"})


class PickUpSchema(Schema):
    asset_tags = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                             validate=validate.Length(max=500), metadata={
                                 "description": "A booking of units: the tags the desk scanned, exactly `quantity`"})
    accessories = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=None,
                              allow_none=True, validate=validate.Length(max=50))
    condition = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class AvailabilityArgsSchema(Schema):
    center = fields.String(required=True, validate=validate.Length(min=1, max=32))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    from_ = LocalMoment(required=True, data_key="from", metadata={"description": LOCAL_TIMES})
    to = LocalMoment(required=True, end_of_day=True, metadata={
        "description": f"{LOCAL_TIMES}; a day alone means until its end. At most 92 days after `from`."})
    per_asset = fields.Boolean(load_default=False, metadata={
        "description": "Also each usable asset's free periods (at most 500 assets, by tag)"})


class FreePeriodSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    free = fields.Integer(required=True, metadata={"description": "Units free throughout the period"})


class AssetFreeSchema(Schema):
    asset_tag = fields.String(required=True)
    status = fields.String(required=True)
    free = fields.List(fields.Nested(FreePeriodSchema), required=True)


class _InJsonForm(fields.List):
    """A list the view has already put in its JSON form: documented as the list it is, passed through as is."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class AvailabilitySchema(Schema):
    center = fields.String(required=True)
    category = fields.String(required=True)
    from_ = fields.AwareDateTime(required=True, data_key="from")
    to = fields.AwareDateTime(required=True)
    units = fields.Integer(required=True, metadata={"description": "Usable units (not retired, lost or in repair)"})
    free = fields.List(fields.Nested(FreePeriodSchema), required=True,
                       metadata={"description": "Where at least one unit is free, and how many"})
    assets = _InJsonForm(fields.Nested(AssetFreeSchema), allow_none=True,
                         metadata={"description": "With per_asset: each asset's free periods (category bookings "
                                                  "hold no particular unit before pick-up: see `free`)"})
