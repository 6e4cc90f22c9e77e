"""Inspections: what comes in, what goes out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fleet.models import INSPECTION_RESULTS
from fleet.schemas.common import PageArgsSchema


class InspectionCreateSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(INSPECTION_RESULTS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000),
                         metadata={"description": "Required when the result is needs_repair"})


class InspectionSchema(Schema):
    id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)
    inspected_at = fields.AwareDateTime(required=True)
    inspected_by = fields.String(required=True)
    result = fields.String(required=True, metadata={"enum": list(INSPECTION_RESULTS)})
    note = fields.String(allow_none=True)
    loan_id = fields.Integer(allow_none=True, metadata={"description": "The loan the device was on"})
    swap_url = fields.String(allow_none=True, metadata={
        "description": "needs_repair on a device on loan: where to swap it for a working one in one step"})


class InspectionAssigneeSchema(Schema):
    uid = fields.String(required=True)
    name = fields.String(required=True)
    department = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class DueInspectionSchema(Schema):
    asset_tag = fields.String(required=True)
    category = fields.String(required=True)
    center = fields.String(required=True)
    loan_id = fields.Integer(required=True)
    loan_number = fields.String(required=True)
    assignee = fields.Nested(InspectionAssigneeSchema, required=True)
    checked_out_at = fields.AwareDateTime(required=True)
    last_inspected_at = fields.AwareDateTime(allow_none=True, required=True)
    due_on = fields.Date(required=True)
    days_overdue = fields.Integer(required=True)


class DueInspectionPageSchema(Schema):
    items = fields.List(fields.Nested(DueInspectionSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DueInspectionArgsSchema(PageArgsSchema):
    pass
