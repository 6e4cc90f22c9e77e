from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fleet.schemas.common import PageArgsSchema


class EventSchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    subject = fields.String(required=True, metadata={"description": "subject_type:subject_id, e.g. loan:42"})
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    data = fields.Raw(required=True, metadata={"description": "before/after of the change (JSON object)"})
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class EventQueryArgsSchema(PageArgsSchema):
    subject = fields.String(load_default=None, validate=validate.Length(max=200),
                            metadata={"description": "subject_type or subject_type:subject_id, e.g. loan:42"})
    actor = fields.String(load_default=None, validate=validate.Length(max=256))
    action = fields.String(load_default=None, validate=validate.Length(max=64))
    since = fields.AwareDateTime(load_default=None, data_key="from")
    until = fields.AwareDateTime(load_default=None, data_key="to")

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Must not be before from.", "to")


class ChainVerificationSchema(Schema):
    valid = fields.Boolean(required=True)
    count = fields.Integer(required=True)
    head = fields.String(required=True)
    first_bad_seq = fields.Integer(allow_none=True, required=True)
