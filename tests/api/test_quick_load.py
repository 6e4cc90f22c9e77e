"""A JSON body that QuickLoad takes loads as marshmallow would load it; any other body is marshmallow's to load,
and to refuse in its own words (fleet.schemas.quick, fleet.schemas.parsing)."""

from __future__ import annotations

import importlib
import pkgutil
import random
import zlib
from datetime import date
from unittest.mock import patch

import pytest
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

import fleet.api
import fleet.schemas
from fleet.access_log import api as access_log_api
from fleet.access_log import schemas as access_log_schemas
from fleet.schemas.loans import LoanCreateSchema, LoanReturnSchema
from fleet.schemas.quick import QuickLoad
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import EMPLOYEE

REFUSED = object()


def _marshmallow(schema: Schema, data):
    try:
        return schema.load(data)
    except ValidationError:
        return REFUSED


def _api_schemas() -> list[type[Schema]]:
    """Every schema class of the API's schema modules and of its views' modules (a few keep theirs there)."""
    modules = [importlib.import_module(f"{package.__name__}.{info.name}") for package in (fleet.schemas, fleet.api)
               for info in pkgutil.iter_modules(package.__path__)]
    found = {cls for module in [*modules, access_log_schemas, access_log_api] for cls in vars(module).values()
             if isinstance(cls, type) and issubclass(cls, Schema) and cls.__module__ == module.__name__}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


# Values a field of each kind takes, and values that test the edges of every kind.
_TAKEN = {
    fields.String: ["NB-001", "노트북 가방", "good", "damaged", "a", "x" * 64, "x" * 65, "x" * 2001, ""],
    fields.Integer: [1, 7, 0, -1, 2**31 - 1, 2**31, 10**30],
    fields.Boolean: [True, False],
    fields.Date: ["2026-12-06", "2027-01-01", "2024-02-29"],
    fields.List: [[], ["charger"], ["charger", "bag"], ["x" * 101], [""]],
}
_EDGES = [None, "", "1", 1, 1.0, 1.5, True, False, "true", "2026-1-6", "20261206", "2026-02-30", "2026-W49-7",
          "٢٠٢٦-١٢-٠٦", [None], [1], ["a", None], {}, {"a": 1}, "\u00e9" * 3, 0, -5]


def _bodies(schema: Schema, count: int, seed: int):
    """`count` bodies for `schema`, mostly of values its fields take, some with wrong, empty or unknown parts."""
    chance = random.Random(seed)
    keys = {(field.data_key or name): field for name, field in schema.load_fields.items()}
    for _ in range(count):
        body = {}
        for key, field in keys.items():
            roll = chance.random()
            if roll < 0.15:
                continue  # missing
            pool = _TAKEN.get(type(field)) if roll < 0.85 else None
            body[key] = chance.choice(pool if pool else _EDGES)
        if chance.random() < 0.05:
            body["unexpected"] = "x"
        yield body


@pytest.mark.parametrize("schema_class", _api_schemas(), ids=lambda cls: cls.__name__)
def test_every_api_schema_loads_quickly_what_marshmallow_loads_and_nothing_else(schema_class):
    schema = schema_class()
    try:
        quick = QuickLoad(schema)
    except ValueError:
        pytest.skip("loaded by marshmallow (hooks of its own)")
    for body in [{}, [], "text", None, *_bodies(schema, 400, seed=zlib.crc32(schema_class.__name__.encode()))]:
        expected, answer = _marshmallow(schema, body), quick(body)
        if answer is None:
            continue
        assert expected is not REFUSED, f"QuickLoad took {body!r}, which marshmallow refuses"
        assert answer == expected and list(answer) == list(expected), body
        assert [type(value) for value in answer.values()] == [type(value) for value in expected.values()], body


class _Every(Schema):
    """A field of each kind QuickLoad converts itself, and some it leaves to the field's own `deserialize`."""

    tag = fields.String(required=True, validate=validate.Length(min=1, max=8))
    label = fields.String(data_key="name", load_default=None)
    count = fields.Integer(validate=validate.Range(min=1, max=10), load_default=1)
    flag = fields.Boolean(allow_none=True)
    day = fields.Date()
    tags = fields.List(fields.String(validate=validate.Length(max=3)), load_default=list)
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    amount = fields.Decimal(as_string=True)
    ratio = fields.Float()
    email = fields.Email()
    kept = fields.String(attribute="stored_as")


@pytest.mark.parametrize("body", [
    {"tag": "NB-1"},
    {"tag": "NB-1", "name": "노트북", "count": 10, "flag": None, "day": "2026-12-06", "tags": ["a", "bc"], "kind": "b",
     "amount": "12.50", "ratio": 0.5, "email": "emp1@example.kr", "kept": "here"},
    {"tag": "NB-1", "count": 2, "flag": False, "tags": []},
])
def test_a_body_of_every_kind_loads_as_marshmallow_loads_it(body):
    answer = QuickLoad(_Every())(body)
    assert answer is not None and answer == _Every().load(body) and list(answer) == list(_Every().load(body))


@pytest.mark.parametrize("body", [
    {}, {"tag": ""}, {"tag": "x" * 9}, {"tag": None}, {"tag": 5}, {"tag": "NB-1", "label": "x"},
    {"tag": "NB-1", "count": 0}, {"tag": "NB-1", "count": True}, {"tag": "NB-1", "count": "2"},
    {"tag": "NB-1", "count": 2.0}, {"tag": "NB-1", "flag": "true"}, {"tag": "NB-1", "day": "2026-1-6"},
    {"tag": "NB-1", "day": "2026-02-30"}, {"tag": "NB-1", "day": "20261206"}, {"tag": "NB-1", "tags": "a"},
    {"tag": "NB-1", "tags": ["abcd"]}, {"tag": "NB-1", "tags": [None]}, {"tag": "NB-1", "kind": "c"},
    {"tag": "NB-1", "email": "not an address"}, {"tag": "NB-1", "amount": "many"}, ["tag"], "NB-1",
])
def test_a_body_marshmallow_would_refuse_or_convert_otherwise_is_left_to_it(body):
    """Refused ones, and ones marshmallow takes by converting ("2", 2.0, "true", "2026-1-6"): it loads them itself."""
    assert QuickLoad(_Every())(body) is None


def test_a_schema_with_hooks_of_its_own_or_not_raising_on_unknown_keys_is_marshmallows():
    class Hooked(Schema):
        tag = fields.String()

        @post_load
        def upper(self, data, **_kwargs):
            return {"tag": data["tag"].upper()}

    class Lenient(Schema):
        class Meta:
            unknown = EXCLUDE

        tag = fields.String()

    for schema in (Hooked(), Lenient(), _Every(many=True), _Every(partial=True)):
        with pytest.raises(ValueError):
            QuickLoad(schema)


def test_the_hot_paths_bodies_load_quickly():
    assert QuickLoad(LoanCreateSchema())({"asset_tag": "NB-001", "assignee": "emp1"}) == {
        "asset_tag": "NB-001", "assignee": "emp1", "due_date": None, "request_id": None, "accessories": None,
        "condition": None, "note": None}
    assert QuickLoad(LoanCreateSchema())({"asset_tag": "NB-001", "assignee": "emp1", "due_date": "2027-03-01"})[
        "due_date"] == date(2027, 3, 1)
    assert QuickLoad(LoanReturnSchema())({"condition": "good", "data_wiped": True}) == {
        "condition": "good", "data_wiped": True, "accessories_returned": [], "damage_notes": None}


def test_the_api_loads_a_clean_body_without_marshmallow_and_a_bad_one_with_it(app, client, it_headers):
    stock(app, "NB-001")
    with patch.object(LoanCreateSchema, "load", side_effect=AssertionError("Schema.load was called")):
        assert hand_over(client, it_headers).status_code == 201
    refused = client.post("/api/v1/loans", json={"asset_tag": "NB-001", "assignee": EMPLOYEE, "due_date": "soon"},
                          headers=it_headers)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"due_date": ["Not a valid date."]}
    not_json = client.post("/api/v1/loans", data=b'{"asset_tag": "NB-001"', headers=it_headers,
                           content_type="application/json")
    assert not_json.status_code == 400
