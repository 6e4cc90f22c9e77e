from __future__ import annotations

from marshmallow import Schema, fields, validate

from fleet.db import MAX_ID
from fleet.models import INCIDENT_KINDS, INCIDENT_RESOLUTIONS, INCIDENT_STATUSES
from fleet.schemas.common import DocumentRefSchema, PageArgsSchema
from fleet.schemas.loans import ACCESSORY, LoanSchema


class IncidentSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "I-2026-000007"})
    loan_id = fields.Integer(required=True)
    loan_number = fields.String(required=True)
    asset_tag = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(INCIDENT_KINDS)})
    happened_at = fields.AwareDateTime(required=True)
    place = fields.String(required=True)
    description = fields.String(required=True)
    reported_by = fields.String(required=True)
    reported_at = fields.AwareDateTime(required=True)
    reported_within_24h = fields.Boolean(required=True, metadata={
        "description": "Reported no later than 24 hours after it happened (the handover form's terms)"})
    status = fields.String(required=True, metadata={"enum": list(INCIDENT_STATUSES)})
    resolution = fields.String(allow_none=True, metadata={"enum": list(INCIDENT_RESOLUTIONS)})
    resolution_note = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    replacement_loan_id = fields.Integer(allow_none=True)
    report_document = fields.Nested(DocumentRefSchema, allow_none=True,
                                    metadata={"description": "The theft or loss report, once issued"})


class IncidentPageSchema(Schema):
    items = fields.List(fields.Nested(IncidentSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class IncidentCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(INCIDENT_KINDS))
    happened_at = fields.AwareDateTime(required=True, metadata={"description": "When it happened, with offset"})
    place = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class IncidentQueryArgsSchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(INCIDENT_STATUSES))
    loan = fields.String(load_default=None, validate=validate.Length(max=32),
                         metadata={"description": "A loan's id or number"})


class IncidentResolveSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(["mark_lost", "take_back", "resolve"]), metadata={
        "description": "mark_lost: the loan closes as lost; take_back: the device comes back damaged (in_repair); "
                       "resolve: close with a note. A swap is POST /api/v1/loans/{ref}/swap with `incident_id`."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    accessories_returned = fields.List(ACCESSORY, load_default=list, validate=validate.Length(max=50))
    data_wiped = fields.Boolean(load_default=False)
    damage_notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class SwapCreateSchema(Schema):
    asset_tag = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "The replacement, in stock"})
    condition = fields.String(required=True, validate=validate.OneOf(["good", "damaged"]),
                              metadata={"description": "Of the device taken back"})
    accessories_returned = fields.List(ACCESSORY, load_default=list, validate=validate.Length(max=50))
    damage_notes = fields.String(load_default=None, validate=validate.Length(max=2000))
    data_wiped = fields.Boolean(required=True)
    accessories = fields.List(ACCESSORY, load_default=None, validate=validate.Length(max=50),
                              metadata={"description": "Handed over with the replacement (default: its standard set)"})
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
    incident_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "The open incident report the swap answers (closed with it)"})


class SwapSchema(Schema):
    returned = fields.Nested(LoanSchema, required=True,
                             metadata={"description": "The loan closed, with its return form"})
    handed_over = fields.Nested(LoanSchema, required=True,
                                metadata={"description": "The replacement's loan, with its handover form"})
