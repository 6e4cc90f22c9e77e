from marshmallow import Schema, fields, validate

from fleet.models import CATEGORIES, REASONS, REQUEST_STATUSES
from fleet.schemas.common import PageArgsSchema


class RequestSchema(Schema):
    id = fields.Integer(required=True)
    requester = fields.String(required=True)
    requester_name = fields.String(allow_none=True)
    category = fields.String(required=True, metadata={"enum": list(CATEGORIES)})
    reason = fields.String(metadata={"enum": list(REASONS),
                                     "description": "Personal data: absent for auditors and other readers"})
    note = fields.String(allow_none=True, metadata={"description": "Personal data: absent for auditors"})
    needed_from = fields.Date(required=True)
    needed_until = fields.Date(allow_none=True)
    center = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"enum": list(REQUEST_STATUSES)})
    position = fields.Integer(allow_none=True, metadata={"description": "Place in the pending queue (1 = next)"})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True, metadata={"description": "Absent for auditors"})
    created_at = fields.AwareDateTime(required=True)


class RequestPageSchema(Schema):
    items = fields.List(fields.Nested(RequestSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class RequestCreateSchema(Schema):
    category = fields.String(load_default="laptop", validate=validate.OneOf(CATEGORIES))
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    needed_from = fields.Date(required=True)
    needed_until = fields.Date(load_default=None)
    center = fields.String(load_default=None, validate=validate.Length(max=32))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
    requester = fields.String(load_default=None, validate=validate.Length(min=1, max=256),
                              metadata={"description": "IT staff only: request on behalf of this person"})


class DecisionSchema(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class RequestQueryArgsSchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(REQUEST_STATUSES),
                           metadata={"description": "`pending` gives the queue in priority order, with positions"})
    requester = fields.String(load_default=None, validate=validate.Length(max=256))
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
