from marshmallow import Schema, fields, validate


class StocktakeCreateSchema(Schema):
    center = fields.String(required=True, validate=validate.Length(min=1, max=32))


class ScanCreateSchema(Schema):
    asset_tag = fields.String(required=True, validate=validate.Length(min=1, max=100))


class StocktakeSchema(Schema):
    id = fields.Integer(required=True)
    center = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "closed"]})
    started_by = fields.String(required=True)
    started_at = fields.AwareDateTime(required=True)
    closed_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    scans = fields.Integer(required=True)
    result = fields.Dict(allow_none=True, metadata={"description": "expected, found, missing, unexpected"})


class ScanSchema(Schema):
    asset_tag = fields.String(required=True)
    duplicate = fields.Boolean(required=True)
    known = fields.Boolean(required=True)
    expected_here = fields.Boolean(required=True)
    status = fields.String(allow_none=True)
    home_center = fields.String(allow_none=True)


class StocktakeResultSchema(Schema):
    expected = fields.Integer(required=True)
    found = fields.List(fields.Dict(), required=True)
    missing = fields.List(fields.Dict(), required=True)
    unexpected = fields.List(fields.Dict(), required=True)
