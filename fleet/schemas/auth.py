from marshmallow import Schema, fields, validate


class TokenCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=256))
    password = fields.String(required=True, validate=validate.Length(max=1024))


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    uid = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class MeSchema(Schema):
    uid = fields.String(required=True)
    name = fields.String(required=True)
    employee_number = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)


class PersonSchema(Schema):
    uid = fields.String(required=True)
    name = fields.String(required=True)
    employee_number = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    eligible = fields.Boolean(required=True)
    roles = fields.List(fields.String(), required=True)
    open_loans = fields.List(fields.Dict(), required=True)


class StatusSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String())
    warnings = fields.List(fields.String(), metadata={"description": "settings that work but are unsafe"})
