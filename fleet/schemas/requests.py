"""Requests for devices: what comes in, what goes out.

Reasons, notes and decision notes are personal data: the view leaves them out of what it
answers to auditors (and the queue position too, which would betray the reason).
"""

from marshmallow import Schema, fields, validate

from fleet.models import CATEGORIES, REASONS, REQUEST_STATUSES
from fleet.schemas.common import PageArgsSchema

PERSONAL = "Personal data: only IT staff and the requester get it; absent for auditors."


class RequestSchema(Schema):
    id = fields.Integer(required=True)
    requester = fields.String(required=True, metadata={"description": "The uid of the person who needs the device"})
    requester_name = fields.String(allow_none=True, metadata={"description": "Their name, from the directory"})
    category = fields.String(required=True, metadata={"enum": list(CATEGORIES)})
    reason = fields.String(allow_none=True, metadata={
        "enum": list(REASONS), "description": f"{PERSONAL} The queue goes by reason in this order: "
        + ", ".join(REASONS) + ". Null once purged after the retention period (`fleet purge-personal-data`)."})
    note = fields.String(allow_none=True, metadata={"description": PERSONAL})
    needed_from = fields.Date(required=True)
    needed_until = fields.Date(allow_none=True)
    center = fields.String(allow_none=True, metadata={"description": "Pickup center code"})
    status = fields.String(required=True, metadata={"enum": list(REQUEST_STATUSES)})
    position = fields.Integer(allow_none=True, metadata={
        "description": "Place in the whole pending queue, all categories (1 = next); null when not pending. "
                       "Absent for auditors (it would betray the reason)."})
    decided_by = fields.String(allow_none=True, metadata={"description": "Who approved, rejected or cancelled it"})
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True, metadata={"description": PERSONAL})
    created_at = fields.AwareDateTime(required=True)


class RequestPageSchema(Schema):
    items = fields.List(fields.Nested(RequestSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class RequestCreateSchema(Schema):
    category = fields.String(load_default="laptop", validate=validate.OneOf(CATEGORIES))
    reason = fields.String(required=True, validate=validate.OneOf(REASONS),
                           metadata={"description": "Personal data. Queue priority in this order: "
                                     + ", ".join(REASONS)})
    needed_from = fields.Date(required=True, metadata={"description": "Today or later (FLEET_TIMEZONE)"})
    needed_until = fields.Date(load_default=None, allow_none=True,
                               metadata={"description": "Not before needed_from"})
    center = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=32),
                           metadata={"description": "Pickup center code"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                         metadata={"description": "Personal data"})
    requester = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=256),
                              metadata={"description": "IT staff only: request on behalf of this person, who "
                                                       "must be active in the directory"})


class DecisionSchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                         metadata={"description": "Personal data: shown to IT staff and the requester only"})


class RequestQueryArgsSchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(REQUEST_STATUSES),
                           metadata={"description": "`pending` gives the queue in priority order, with positions "
                                                    "(auditors: newest first, without positions)"})
    requester = fields.String(load_default=None, validate=validate.Length(min=1, max=256),
                              metadata={"description": "A uid (an employee only ever sees their own)"})
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
