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
    checkpoints = fields.Integer(required=True, metadata={"description": "signed checkpoints the chain agrees with"})


class CheckpointSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "the last event the checkpoint covers"})
    head_hash = fields.String(required=True, metadata={"description": "that event's hash"})
    at = fields.AwareDateTime(required=True, metadata={"description": "when it was signed"})
    signature = fields.String(required=True, metadata={
        "description": "base64 signature of the checkpoint message (docs/event-log.md)"})
    fingerprint = fields.String(required=True, metadata={"description": "SHA-256 of the signing certificate"})
    certificate = fields.String(required=True, metadata={"description": "the signing certificate, PEM"})


class CheckpointPageSchema(Schema):
    items = fields.List(fields.Nested(CheckpointSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CheckpointQueryArgsSchema(PageArgsSchema):
    after_seq = fields.Integer(load_default=None, data_key="after", validate=validate.Range(min=0, max=2**62),
                               metadata={"description": "only checkpoints of events after this seq"})


class ExportArgsSchema(Schema):
    since = fields.AwareDateTime(load_default=None, data_key="from",
                                 metadata={"description": "first event at or after this time (default: the first)"})
    until = fields.AwareDateTime(load_default=None, data_key="to",
                                 metadata={"description": "last event before this time (default: the head)"})
    reason = fields.String(load_default=None, validate=validate.Length(max=500), metadata={
        "description": "why the event log (which names people) is exported: required, kept in the access log"})

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Must not be before from.", "to")
