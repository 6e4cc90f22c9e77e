from marshmallow import Schema, fields, validate

from fleet.schemas.common import DocumentRefSchema


class StocktakeCreateSchema(Schema):
    center = fields.String(required=True, validate=validate.Length(min=1, max=32))


class ScanCreateSchema(Schema):
    asset_tag = fields.String(required=True, validate=validate.Length(min=1, max=100))


class FoundSchema(Schema):
    asset_tag = fields.String(required=True)
    status = fields.String(required=True)


class MissingSchema(Schema):
    asset_tag = fields.String(required=True)
    status = fields.String(required=True)
    model = fields.String(allow_none=True)


class UnexpectedSchema(Schema):
    asset_tag = fields.String(required=True)
    reason = fields.String(required=True, metadata={
        "description": "unknown tag; belongs to <center code>; status is <status>"})
    status = fields.String(allow_none=True)
    home_center = fields.String(allow_none=True)


class StocktakeResultSchema(Schema):
    expected = fields.Integer(required=True, metadata={
        "description": "How many of the center's assets ought to be on the shelf (in stock or in quarantine)"})
    found = fields.List(fields.Nested(FoundSchema), required=True)
    missing = fields.List(fields.Nested(MissingSchema), required=True)
    unexpected = fields.List(fields.Nested(UnexpectedSchema), required=True)


class StocktakeSchema(Schema):
    id = fields.Integer(required=True)
    center = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "closed"]})
    started_by = fields.String(required=True)
    started_at = fields.AwareDateTime(required=True)
    closed_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    scans = fields.Integer(required=True)
    result = fields.Nested(StocktakeResultSchema, required=True,
                           metadata={"description": "As fixed at closing, or as it stands while open"})
    report = fields.Nested(DocumentRefSchema, allow_none=True,
                           metadata={"description": "The registered report of a closed stocktake, once issued"})


class ScanSchema(Schema):
    asset_tag = fields.String(required=True)
    duplicate = fields.Boolean(required=True)
    known = fields.Boolean(required=True)
    expected_here = fields.Boolean(required=True)
    status = fields.String(allow_none=True)
    home_center = fields.String(allow_none=True)
