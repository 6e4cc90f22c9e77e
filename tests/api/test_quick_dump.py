"""The hot path's answers dumped by QuickDump are marshmallow's dump, key for key and byte for byte."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from marshmallow import Schema, fields, post_dump

from fleet.api.loans import LOAN_ANSWER
from fleet.schemas.loans import LoanSchema
from fleet.schemas.quick import QuickDump
from tests.api.test_loans_api import hand_over, stock


class _Part(Schema):
    code = fields.String(required=True)
    size = fields.Integer(allow_none=True)


class _Every(Schema):
    """A field of each kind QuickDump converts itself, and some it leaves to the field."""

    number = fields.Integer()
    text = fields.String(data_key="label")
    flag = fields.Boolean(allow_none=True)
    at = fields.AwareDateTime()
    naive = fields.DateTime()
    rfc = fields.DateTime(format="rfc")
    custom = fields.DateTime(format="%d.%m.%Y")
    day = fields.Date()
    tags = fields.List(fields.String())
    numbers = fields.List(fields.Integer(), allow_none=True)
    part = fields.Nested(_Part, allow_none=True)
    parts = fields.Nested(_Part, many=True)
    amount = fields.Decimal(as_string=True)
    ratio = fields.Float()
    moment = fields.Time()
    mapping = fields.Dict()
    defaulted = fields.String(dump_default="none given")
    called = fields.Integer(dump_default=lambda: 7)
    as_text = fields.Integer(as_string=True)


FULL = {"number": 3, "text": "장비 인수증", "flag": True, "at": datetime(2026, 12, 6, 3, 4, 5, 6, tzinfo=UTC),
        "naive": datetime(2026, 12, 6, 12, 0), "rfc": datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=9))),
        "custom": datetime(2026, 12, 31, 23, 59), "day": date(2027, 3, 6), "tags": ["charger", "bag", None],
        "numbers": [1, 2], "part": {"code": "JJ", "size": None, "unknown": 1}, "parts": [{"code": "A", "size": 2}],
        "amount": Decimal("12.50"), "ratio": 0.5, "moment": time(9, 30), "mapping": {"a": [1]}, "as_text": 42,
        "not a field": "ignored"}


@pytest.mark.parametrize("values", [
    FULL,
    {name: None for name in FULL},  # every field None
    {},  # every field missing: skipped, or its dump default
    {"number": True, "flag": 1, "text": 5, "tags": ()},  # values marshmallow converts
    {"flag": "false", "numbers": None, "part": None},
], ids=["full", "none", "missing", "converted", "truthy-text"])
def test_quick_dump_is_marshmallows_dump(values):
    assert QuickDump(_Every())(values) == _Every().dump(values)


def test_quick_dump_keeps_the_types_marshmallow_gives():
    quick, slow = QuickDump(_Every())(FULL), _Every().dump(FULL)
    assert {key: type(value) for key, value in quick.items()} == {key: type(value) for key, value in slow.items()}


def test_a_schema_with_dump_hooks_is_refused():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def upper(self, data, **_kwargs):
            return {key: value.upper() for key, value in data.items()}

    with pytest.raises(ValueError, match="dump hooks"):
        QuickDump(Hooked())
    with pytest.raises(ValueError, match="many=True"):
        QuickDump(_Part(many=True))

    class Holder(Schema):  # a nested schema with hooks is left to marshmallow
        inner = fields.Nested(Hooked)

    assert QuickDump(Holder())({"inner": {"name": "x"}}) == Holder().dump({"inner": {"name": "x"}}) \
        == {"inner": {"name": "X"}}


def test_hand_over_and_return_answer_as_the_loan_schema_does(app, client, it_headers):
    """The two answers QuickDump makes are the same bytes as the loan read back, which marshmallow dumps."""
    stock(app, "NB-001")
    created = hand_over(client, it_headers, accessories=["charger"], condition="새 제품", note="재택 근무")
    assert created.status_code == 201 and created.mimetype == "application/json"
    again = client.get(f"/api/v1/loans/{created.get_json()['id']}", headers=it_headers)
    assert created.data == again.data  # keys sorted, Korean as it is, one newline: jsonify's output
    returned = client.post(f"/api/v1/loans/{created.get_json()['id']}/return", headers=it_headers,
                           json={"condition": "damaged", "accessories_returned": [], "data_wiped": False,
                                 "damage_notes": "화면 깨짐"})
    assert returned.status_code == 200
    assert returned.data == client.get(f"/api/v1/loans/{created.get_json()['id']}", headers=it_headers).data
    assert returned.get_json()["accessories_missing"] == ["charger"] and returned.get_json()["return_document"]


def test_the_loan_answer_covers_every_field_of_the_schema():
    assert [name for name, *_ in LOAN_ANSWER._fields] == list(LoanSchema().dump_fields)
