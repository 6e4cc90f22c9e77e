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


class SessionSchema(Schema):
    """One of a person's live sessions: a page session or an API token (never its secret)."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "`page` (the web pages) or `api` (a token)"})
    created_at = fields.AwareDateTime(required=True, metadata={"description": "the log-in"})
    last_used_at = fields.AwareDateTime(required=True, metadata={
        "description": "the last renewal of the idle clock (activity renews it at most once a minute)"})
    address = fields.String(allow_none=True, metadata={"description": "the address of the log-in"})
    last_address = fields.String(allow_none=True, metadata={"description": "the address of the last renewal"})
    user_agent = fields.String(allow_none=True)
    idle_expires_at = fields.AwareDateTime(required=True, metadata={"description": "ends here unless used again"})
    expires_at = fields.AwareDateTime(required=True, metadata={"description": "the absolute limit"})
    current = fields.Boolean(required=True, metadata={"description": "the session of this request"})


class SessionListSchema(Schema):
    items = fields.List(fields.Nested(SessionSchema), required=True)


class SessionsEndedSchema(Schema):
    ended = fields.Integer(required=True, metadata={"description": "how many sessions and tokens ended"})


class CurrentSessionSchema(Schema):
    """The caller's own session and the time it has left; asking does not renew it."""

    kind = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True, metadata={
        "description": "when the session ends unless used again: the earlier of the two limits"})
    idle_expires_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True, metadata={"description": "the absolute limit"})
    seconds_left = fields.Integer(required=True, metadata={"description": "until `ends_at`, at the answer"})
    idle_minutes = fields.Float(required=True, metadata={"description": "FLEET_IDLE_MINUTES"})
