from marshmallow import Schema, fields, validate

from fleet.models import CENTER_KINDS
from fleet.schemas.common import PageArgsSchema


class CenterSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(CENTER_KINDS)})
    address = fields.String(allow_none=True)
    seats = fields.Integer(allow_none=True)


class CenterCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(CENTER_KINDS))
    address = fields.String(load_default=None, validate=validate.Length(max=400))
    seats = fields.Integer(load_default=None, validate=validate.Range(min=0, max=100000))


class CenterUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(CENTER_KINDS))
    address = fields.String(allow_none=True, validate=validate.Length(max=400))
    seats = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))


class CenterPageSchema(Schema):
    items = fields.List(fields.Nested(CenterSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CenterQueryArgsSchema(PageArgsSchema):
    kind = fields.String(load_default=None, validate=validate.OneOf(CENTER_KINDS))
