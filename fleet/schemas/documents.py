from marshmallow import Schema, fields


class DocumentSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["handover_form", "batch_handover_form", "return_form",
                                                            "report", "stocktake_report", "labels"]})
    subject = fields.String(allow_none=True, metadata={"description": "e.g. loan:42, batch:3, report:inventory"})
    title = fields.String(allow_none=True)
    filename = fields.String(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    created_by = fields.String(required=True)
    supersedes = fields.Integer(allow_none=True, metadata={"description": "The unsigned original of a signed copy"})
    url = fields.String(required=True)


class VerificationSchema(Schema):
    registered = fields.Boolean(required=True)
    sha256 = fields.String(required=True)
    document = fields.Nested(DocumentSchema, allow_none=True, required=True)
