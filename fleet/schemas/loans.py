from __future__ import annotations

from marshmallow import Schema, fields, validate

from fleet.db import MAX_ID
from fleet.schemas.common import DocumentRefSchema, PageArgsSchema

ACCESSORY = fields.String(validate=validate.Length(min=1, max=100))


class AssigneeSchema(Schema):
    uid = fields.String(required=True)
    name = fields.String(required=True)
    employee_number = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class LoanSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "L-2026-000042"})
    asset_tag = fields.String(required=True)
    category = fields.String(required=True)
    center = fields.String(required=True, metadata={"description": "Code of the asset's center at hand-over"})
    assignee = fields.Nested(AssigneeSchema, required=True,
                             metadata={"description": "The assignee as the directory gave it at hand-over"})
    issued_by = fields.String(required=True)
    checked_out_at = fields.AwareDateTime(required=True)
    due_date = fields.Date(required=True)
    returned_at = fields.AwareDateTime(allow_none=True)
    received_by = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["active", "returned", "lost"]})
    overdue = fields.Boolean(required=True)
    days_overdue = fields.Integer(required=True)
    request_id = fields.Integer(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    accessories = fields.List(fields.String(), required=True, metadata={"description": "Handed over"})
    condition = fields.String(allow_none=True, metadata={"description": "Condition at hand-over"})
    note = fields.String(allow_none=True)
    return_condition = fields.String(allow_none=True)
    accessories_returned = fields.List(fields.String(), allow_none=True)
    accessories_missing = fields.List(fields.String(), allow_none=True)
    damage_notes = fields.String(allow_none=True)
    data_wiped = fields.Boolean(allow_none=True)
    handover_document = fields.Nested(DocumentRefSchema, allow_none=True)
    return_document = fields.Nested(DocumentRefSchema, allow_none=True)


class LoanPageSchema(Schema):
    items = fields.List(fields.Nested(LoanSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class LoanCreateSchema(Schema):
    asset_tag = fields.String(required=True, validate=validate.Length(min=1, max=64))
    assignee = fields.String(required=True, validate=validate.Length(min=1, max=256))
    due_date = fields.Date(load_default=None)
    request_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    accessories = fields.List(ACCESSORY, load_default=None, validate=validate.Length(max=50))
    condition = fields.String(load_default=None, validate=validate.Length(max=200))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class BulkLoanCreateSchema(Schema):
    loans = fields.List(fields.Nested(LoanCreateSchema), required=True, validate=validate.Length(min=1, max=500))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class BatchSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    issued_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    note = fields.String(allow_none=True)
    loans = fields.List(fields.Nested(LoanSchema), required=True)
    batch_document = fields.Nested(DocumentRefSchema, required=True)


class LoanReturnSchema(Schema):
    condition = fields.String(required=True, validate=validate.OneOf(["good", "damaged"]))
    accessories_returned = fields.List(ACCESSORY, load_default=list, validate=validate.Length(max=50))
    damage_notes = fields.String(load_default=None, validate=validate.Length(max=2000))
    data_wiped = fields.Boolean(required=True)


class LoanLostSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class LoanQueryArgsSchema(PageArgsSchema):
    active = fields.Boolean(load_default=None)
    overdue = fields.Boolean(load_default=None)
    assignee = fields.String(load_default=None, validate=validate.Length(max=256))
    center = fields.String(load_default=None, validate=validate.Length(max=32))
