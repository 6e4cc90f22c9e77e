from marshmallow import Schema, fields


class LeaverSchema(Schema):
    id = fields.Integer(required=True)
    uid = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "As the directory gave it at hand-over"})
    reason = fields.String(required=True, metadata={"enum": ["not_found", "disabled"]})
    found_at = fields.AwareDateTime(required=True)
    loan_id = fields.Integer(required=True)
    loan_number = fields.String(required=True)
    asset_tag = fields.String(required=True)
    due_date = fields.Date(required=True)


class SyncResultSchema(Schema):
    leavers = fields.List(fields.Nested(LeaverSchema), required=True)
