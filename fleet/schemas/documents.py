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


class SignatureCheckSchema(Schema):
    signed = fields.Boolean(required=True, metadata={"description": "the PDF carries a digital signature"})
    signer = fields.String(allow_none=True, required=True, metadata={"description": "the certificate's name"})
    fingerprint = fields.String(allow_none=True, required=True, metadata={
        "description": "SHA-256 of the signing certificate"})
    signed_at = fields.AwareDateTime(allow_none=True, required=True, metadata={
        "description": "the signing time the PDF states"})
    intact = fields.Boolean(required=True, metadata={"description": "the signed bytes are unchanged"})
    whole_document = fields.Boolean(required=True, metadata={
        "description": "the signature covers the whole file: nothing was added after it"})
    trusted = fields.Boolean(allow_none=True, required=True, metadata={
        "description": "the organisation's CA issued the certificate; null when Fleet runs unsigned"})
    ours = fields.Boolean(required=True, metadata={"description": "signed with Fleet's current certificate"})
    genuine = fields.Boolean(required=True, metadata={"description": "signed, intact, whole and trusted"})
    problem = fields.String(allow_none=True, required=True)


class VerificationSchema(Schema):
    registered = fields.Boolean(required=True)
    sha256 = fields.String(required=True)
    document = fields.Nested(DocumentSchema, allow_none=True, required=True)
    signature = fields.Nested(SignatureCheckSchema, required=True, metadata={
        "description": "the PDF's digital signature, checked as a PDF reader checks it"})
