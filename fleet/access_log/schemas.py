"""The access log's API schemas: entries out, filters in, the review's sign-off."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fleet.access_log.model import ACTIONS
from fleet.access_log.rules import REASON_MAX
from fleet.schemas.common import PageArgsSchema

REASON = fields.String(load_default=None, validate=validate.Length(max=REASON_MAX), metadata={
    "description": "why the personal data is downloaded (required: 422 naming `reason` without it)"})


class AccessEntrySchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "when, to the second (stored in UTC)"})
    actor = fields.String(required=True, metadata={"description": "the handler's uid"})
    role = fields.String(required=True, allow_none=True, metadata={"description": "it, auditor, privacy"})
    ip = fields.String(required=True, allow_none=True, metadata={"description": "the client's address"})
    action = fields.String(required=True, metadata={"description": ", ".join(ACTIONS)})
    target = fields.String(required=True, metadata={"description": "e.g. loan:12, person:emp1, report:loans"})
    subjects = fields.List(fields.String(), required=True, metadata={
        "description": "the uids whose data was shown (a list of more than 100 people: empty, see subject_count)"})
    subject_count = fields.Integer(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    params = fields.Dict(required=True, metadata={"description": "a list's, report's or export's parameters"})
    hash = fields.String(required=True)


class AccessPageSchema(Schema):
    items = fields.List(fields.Nested(AccessEntrySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AccessQueryArgsSchema(PageArgsSchema):
    actor = fields.String(load_default=None, validate=validate.Length(max=256))
    subject = fields.String(load_default=None, validate=validate.Length(max=256),
                            metadata={"description": "a uid whose data was shown"})
    action = fields.String(load_default=None, validate=validate.OneOf(ACTIONS))
    since = fields.AwareDateTime(load_default=None, data_key="from")
    until = fields.AwareDateTime(load_default=None, data_key="to")

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Must not be before from.", "to")


class AccessVerificationSchema(Schema):
    valid = fields.Boolean(required=True)
    count = fields.Integer(required=True, metadata={"description": "entries kept and checked"})
    head = fields.String(required=True)
    first_bad_seq = fields.Integer(allow_none=True, required=True)
    start_seq = fields.Integer(required=True, metadata={"description": "where the kept chain starts (after purges)"})
    checkpoints = fields.Integer(required=True)


class AccessExportArgsSchema(Schema):
    since = fields.AwareDateTime(load_default=None, data_key="from")
    until = fields.AwareDateTime(load_default=None, data_key="to")
    reason = REASON


class ReviewArgsSchema(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"),
                          metadata={"description": "YYYY-MM"})
    reason = REASON


class ReviewSignOffSchema(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"),
                          metadata={"description": "YYYY-MM: a month that is over"})
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class ReviewSignedSchema(Schema):
    month = fields.String(required=True)
    note = fields.String(required=True)
    signed_by = fields.String(required=True)
    signed_at = fields.AwareDateTime(required=True)
    event_seq = fields.Integer(required=True)
    entries = fields.Integer(required=True)
    downloads = fields.Integer(required=True)
    flags = fields.Integer(required=True)
