"""Disposal lists (불용 결정 목록): what comes in, what goes out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fleet.schemas.common import DocumentRefSchema


class DisposalCreateSchema(Schema):
    asset_tags = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                             validate=validate.Length(min=1, max=1000),
                             metadata={"description": "Assets in stock; one that is not refuses the whole list (409)"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "One reason for every asset, e.g. 내용연수 경과"})


class DisposalItemSchema(Schema):
    asset_tag = fields.String(required=True)
    category = fields.String(required=True)
    manufacturer = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    serial_number = fields.String(allow_none=True)
    center = fields.String(required=True)
    purchase_date = fields.String(allow_none=True, metadata={"format": "date"})
    purchase_cost = fields.String(allow_none=True, metadata={"format": "decimal"})
    age_months = fields.Integer(allow_none=True)
    end_of_useful_life = fields.String(allow_none=True, metadata={"format": "date"})


class DisposalSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "D-2026-000001"})
    reason = fields.String(required=True)
    decided_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    items = fields.List(fields.Nested(DisposalItemSchema), required=True)
    purchase_cost_total = fields.Decimal(required=True, places=2, as_string=True,
                                         metadata={"type": "string", "format": "decimal"})
    document = fields.Nested(DocumentRefSchema, allow_none=True, required=True,
                             metadata={"description": "The registered disposal list PDF"})
