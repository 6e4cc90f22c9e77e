from marshmallow import Schema, fields, validate

from fleet.models import CATEGORIES, MAX_COST, STATUSES
from fleet.schemas.common import PageArgsSchema

TEXT = {"validate": validate.Length(max=200)}
# A cost comes in as a number (or a decimal string) and goes out as a decimal string, so no cent is lost to floats.
# apispec would print the Range bounds the way the field dumps them, as strings, which OpenAPI does not allow.
COST_IN = {"validate": validate.Range(min=0, max=MAX_COST),
           "metadata": {"minimum": 0, "maximum": float(MAX_COST),
                        "description": "A number or a decimal string; rounded to 2 places"}}


class AssetSchema(Schema):
    asset_tag = fields.String(required=True)
    serial_number = fields.String(allow_none=True)
    category = fields.String(required=True, metadata={"enum": list(CATEGORIES)})
    manufacturer = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    center = fields.Function(lambda asset: asset.center.code, required=True, metadata={"type": "string"})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    purchase_date = fields.Date(allow_none=True)
    purchase_cost = fields.Decimal(places=2, as_string=True, allow_none=True,
                                   metadata={"type": "string", "format": "decimal", "example": "1490000.00"})
    warranty_until = fields.Date(allow_none=True)
    accessories = fields.List(fields.String(), required=True)
    notes = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class AssetCreateSchema(Schema):
    asset_tag = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "Stored upper-case"})
    serial_number = fields.String(load_default=None, **TEXT)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    manufacturer = fields.String(load_default=None, **TEXT)
    model = fields.String(load_default=None, **TEXT)
    center = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={"description": "Code"})
    purchase_date = fields.Date(load_default=None)
    purchase_cost = fields.Decimal(load_default=None, places=2, **COST_IN)
    warranty_until = fields.Date(load_default=None)
    accessories = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list,
                              validate=validate.Length(max=50))
    notes = fields.String(load_default=None, validate=validate.Length(max=4000))


class AssetUpdateSchema(Schema):
    serial_number = fields.String(allow_none=True, **TEXT)
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    manufacturer = fields.String(allow_none=True, **TEXT)
    model = fields.String(allow_none=True, **TEXT)
    center = fields.String(validate=validate.Length(min=1, max=32))
    purchase_date = fields.Date(allow_none=True)
    purchase_cost = fields.Decimal(allow_none=True, places=2, **COST_IN)
    warranty_until = fields.Date(allow_none=True)
    accessories = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                              validate=validate.Length(max=50))
    notes = fields.String(allow_none=True, validate=validate.Length(max=4000))
    status = fields.Raw(metadata={"description": "Refused: use POST /assets/{tag}/status"})
    asset_tag = fields.Raw(metadata={"description": "Refused: an asset tag never changes"})


class AssetStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    wipe_method = fields.String(load_default=None, validate=validate.Length(max=200),
                                metadata={"description": "Required to release a laptop from quarantine"})


class AssetPageSchema(Schema):
    items = fields.List(fields.Nested(AssetSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AssetQueryArgsSchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    center = fields.String(load_default=None, validate=validate.Length(max=32))
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "Text in the tag, serial number, model or manufacturer"})


class ImportResultSchema(Schema):
    created = fields.Integer(required=True)
