from __future__ import annotations

from marshmallow import Schema, fields, validate

from fleet.models import EXTENSION_STATUSES
from fleet.schemas.common import PageArgsSchema

PRIVATE = "Personal data: shown to IT staff and the assignee only"


class ExtensionSchema(Schema):
    id = fields.Integer(required=True)
    loan_id = fields.Integer(required=True)
    loan_number = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(EXTENSION_STATUSES)})
    due_from = fields.Date(required=True, metadata={"description": "The loan's due date when it was asked for"})
    until = fields.Date(required=True, metadata={"description": "The due date asked for"})
    reason = fields.String(allow_none=True, metadata={"description": PRIVATE})
    requested_by = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True, metadata={"description": PRIVATE})


class ExtensionListSchema(Schema):
    items = fields.List(fields.Nested(ExtensionSchema), required=True)


class ExtensionCreateSchema(Schema):
    until = fields.Date(required=True, metadata={"description": "The new due date (after the current one)"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000), metadata={"description": PRIVATE})


class ExtensionDecisionSchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                         metadata={"description": PRIVATE})


class ExtensionPageSchema(Schema):
    items = fields.List(fields.Nested(ExtensionSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ExtensionQueryArgsSchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(EXTENSION_STATUSES))
