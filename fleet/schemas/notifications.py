from marshmallow import Schema, fields, validate

from fleet.models import NOTIFICATION_KINDS, NOTIFICATION_STATUSES
from fleet.schemas.common import PageArgsSchema


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(NOTIFICATION_KINDS))
    recipient = fields.String(allow_none=True, required=True,
                              metadata={"description": "the person's uid; null for the IT desk's mailbox"})
    to_address = fields.String(allow_none=True, required=True,
                               metadata={"description": "null until the sender has asked the directory"})
    cc_address = fields.String(allow_none=True, required=True)
    language = fields.String(allow_none=True, required=True, metadata={"description": "ko or en"})
    status = fields.String(required=True, validate=validate.OneOf(NOTIFICATION_STATUSES))
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.AwareDateTime(required=True)
    last_error = fields.String(allow_none=True, required=True,
                               metadata={"description": "the mail server's answer, or why there was no address"})
    subject = fields.String(allow_none=True, required=True, metadata={"description": "set once sent"})
    message_id = fields.String(allow_none=True, required=True, metadata={"description": "set once sent"})
    loan_id = fields.Integer(allow_none=True, required=True)
    request_id = fields.Integer(allow_none=True, required=True)
    document_id = fields.Integer(allow_none=True, required=True, metadata={"description": "the attached PDF"})
    created_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime(allow_none=True, required=True)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class NotificationQueryArgsSchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(NOTIFICATION_STATUSES))
    recipient = fields.String(load_default=None, validate=validate.Length(max=256),
                              metadata={"description": "IT staff: one person's mails (uid)"})
