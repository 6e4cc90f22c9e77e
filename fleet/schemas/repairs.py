"""Repairs: what comes in, what goes out. Costs go out as decimal strings (KRW), never floats."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fleet.models import REPAIR_RESULTS, REPAIR_STATUSES
from fleet.schemas.assets import COST_IN
from fleet.schemas.common import PageArgsSchema
from fleet.schemas.reservations import LOCAL_TIMES, LocalMoment

COST_OUT = {"places": 2, "as_string": True, "allow_none": True,
            "metadata": {"type": "string", "format": "decimal", "example": "185000.00"}}


class RepairSchema(Schema):
    id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)
    category = fields.String(required=True)
    center = fields.String(required=True, metadata={"description": "The asset's home center (code)"})
    vendor = fields.String(required=True)
    ticket = fields.String(allow_none=True)
    fault = fields.String(required=True)
    sent_at = fields.AwareDateTime(required=True)
    under_warranty = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"enum": list(REPAIR_STATUSES)})
    overdue = fields.Boolean(required=True, metadata={"description": "Open longer than FLEET_REPAIR_DAYS"})
    days_open = fields.Integer(required=True, metadata={"description": "Local days at the vendor (until today "
                                                                       "while open)"})
    opened_by = fields.String(required=True)
    returned_at = fields.AwareDateTime(allow_none=True)
    result = fields.String(allow_none=True, metadata={"enum": list(REPAIR_RESULTS)})
    cost = fields.Decimal(**COST_OUT)
    note = fields.String(allow_none=True)
    data_wiped = fields.Boolean(allow_none=True)
    asset_status_before = fields.String(required=True)
    asset_status_after = fields.String(allow_none=True)
    closed_by = fields.String(allow_none=True)


class RepairPageSchema(Schema):
    items = fields.List(fields.Nested(RepairSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class RepairCreateSchema(Schema):
    asset_tag = fields.String(required=True, validate=validate.Length(min=1, max=64))
    vendor = fields.String(required=True, validate=validate.Length(min=1, max=200))
    ticket = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                           metadata={"description": "The vendor's ticket or RMA number"})
    fault = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    sent_at = LocalMoment(load_default=None, allow_none=True,
                          metadata={"description": f"{LOCAL_TIMES}; default now. Not in the future."})
    under_warranty = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "Default: whether the asset's warranty_until has not passed on the day it is sent"})


class RepairCloseSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(REPAIR_RESULTS),
                           metadata={"description": "fixed: back to stock (quarantine for a laptop whose data is "
                                                    "not wiped); beyond_repair: the asset is retired"})
    returned_at = LocalMoment(load_default=None, allow_none=True,
                              metadata={"description": f"{LOCAL_TIMES}; default now. Not before sent_at."})
    cost = fields.Decimal(load_default=None, allow_none=True, places=2,
                          **{**COST_IN, "metadata": {**COST_IN["metadata"], "description": "KRW; a number or a "
                                                                                            "decimal string"}})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    data_wiped = fields.Boolean(load_default=False, metadata={
        "description": "A laptop back fixed goes to quarantine unless its data was wiped"})


class RepairQueryArgsSchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(REPAIR_STATUSES))
    asset_tag = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    center = fields.String(load_default=None, validate=validate.Length(max=32))
    vendor = fields.String(load_default=None, validate=validate.Length(max=200))
    overdue = fields.Boolean(load_default=None, metadata={"description": "Open longer than FLEET_REPAIR_DAYS"})
    under_warranty = fields.Boolean(load_default=None)
