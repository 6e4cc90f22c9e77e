"""A schema's dump and load worked out once: the hot path's answers (a hand-over's and a return's loan), and the
JSON bodies of the API's requests (fleet.schemas.parsing).

marshmallow's `Schema.dump` asks each field for its value through its accessor, its default and its
`_serialize`, every time: some 45 µs for a loan of 28 fields. `QuickDump(schema)` reads the same fields once, at
import, and keeps for each its key and a conversion: the plain ones (integers, text, booleans, ISO dates and times,
lists, nested schemas) as one call, any other through the field's own `_serialize`. The result is the dump's, key
for key and value for value (tests/api/test_quick_dump.py holds it to that); the schema still documents the answer.

`Schema.load` goes the same long way for a request's body (with webargs around it, some 60 µs for a hand-over's
seven fields). `QuickLoad(schema)` takes a body that loads cleanly the short way: text, whole numbers, booleans,
ISO dates and lists of them checked and converted at once, any other field by its own `deserialize`, and each
field's own validators run on the result. It answers exactly what `schema.load` answers for such a body; for any
other (a field missing that is required, a value of another type, an unknown key, a validator that refuses) it
answers None, and marshmallow loads the body again and says what is wrong, in its own words
(tests/api/test_quick_load.py holds it to that).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing


class QuickDump:
    """`QuickDump(schema)(values)` == `schema.dump(values)` for a dict of values (as the views build them)."""

    __slots__ = ("_fields",)

    def __init__(self, schema: Schema):
        if any(schema._hooks[hook] for hook in ("pre_dump", "post_dump")) or schema.many:
            raise ValueError(f"{type(schema).__name__}: a schema with dump hooks or many=True is dumped by marshmallow")
        self._fields: list[tuple[str, str, Any, Callable]] = [
            (name, field.data_key if field.data_key is not None else name, field.dump_default, _conversion(field))
            for name, field in schema.dump_fields.items()]

    def __call__(self, values: dict) -> dict:
        dumped = {}
        for name, key, default, convert in self._fields:
            value = values.get(name, missing)
            if value is missing:
                value = default() if callable(default) else default
                if value is missing:
                    continue
            dumped[key] = None if value is None else convert(value)
        return dumped


def _conversion(field: fields.Field) -> Callable:
    """What the field's `_serialize` does with a value that is not None (each of these answers None for None)."""
    kind = type(field)
    if kind is fields.Integer and not field.as_string:
        return int
    if kind is fields.String:
        return str
    if kind in (fields.DateTime, fields.AwareDateTime, fields.Date):
        format_function = field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
        if format_function is not None:
            return format_function
    if kind is fields.Boolean:
        return lambda value: value if value is True or value is False else field._serialize(value, None, None)
    if kind is fields.List:
        item = _conversion(field.inner)
        return lambda value: [None if each is None else item(each) for each in value]
    if kind is fields.Nested and not field.many:
        try:
            return QuickDump(field.schema)
        except ValueError:
            pass
    return lambda value: field._serialize(value, None, None)


class _Slow(Exception):
    """The body is not one QuickLoad takes: marshmallow loads it (and says what is wrong with it)."""


class QuickLoad:
    """`QuickLoad(schema)(data)` == `schema.load(data)` for a body that loads without an error, else None.

    Refused (ValueError) for a schema that loads through hooks of its own (`pre_load`, `post_load`, `validates`,
    `validates_schema`), with `many`, `partial` or an `unknown` other than RAISE, or with a field loaded into a
    dotted attribute: marshmallow loads those."""

    __slots__ = ("_fields", "_known", "_dict")

    def __init__(self, schema: Schema):
        hooks = ("pre_load", "post_load", "validates", "validates_schema")
        if any(schema._hooks[hook] for hook in hooks) or schema.many or schema.partial or schema.unknown != RAISE:
            raise ValueError(f"{type(schema).__name__}: a schema with load hooks, many, partial or an unknown other "
                             "than RAISE is loaded by marshmallow")
        self._fields: list[tuple[str, str, fields.Field, Callable]] = []
        for name, field in schema.load_fields.items():
            if field.attribute is not None and "." in field.attribute:
                raise ValueError(f"{type(schema).__name__}.{name}: a dotted attribute is loaded by marshmallow")
            key = field.data_key if field.data_key is not None else name
            self._fields.append((key, field.attribute or name, field, _loading(field)))
        self._known = frozenset(key for key, _, _, _ in self._fields)
        self._dict = schema.dict_class

    def __call__(self, data) -> dict | None:
        if type(data) is not dict or not self._known.issuperset(data):
            return None
        loaded = self._dict()
        try:
            for key, attribute, field, load in self._fields:
                value = data.get(key, missing)
                if value is missing:
                    if field.required:
                        return None
                    value = field.load_default
                    if callable(value):
                        value = value()
                    if value is not missing:
                        loaded[attribute] = value
                elif value is None:
                    if not field.allow_none:
                        return None
                    loaded[attribute] = None
                else:
                    loaded[attribute] = load(value)
        except (_Slow, ValidationError):
            return None
        return loaded


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _loading(field: fields.Field) -> Callable:
    """What the field's `deserialize` does with a value that is neither missing nor None, for a value it takes;
    _Slow (or marshmallow's ValidationError) for any other."""
    kind = type(field)
    convert: Callable | None = None
    if field.pre_load or field.post_load:
        convert = None
    elif kind is fields.String:
        convert = _text
    elif kind is fields.Integer:
        convert = _whole_number
    elif kind is fields.Boolean:
        convert = _boolean
    elif kind is fields.Date and field.format in (None, "iso", "iso8601"):
        convert = _iso_date
    elif kind is fields.List and not field.inner.pre_load and not field.inner.post_load:
        item = _loading(field.inner)
        inner = field.inner

        def convert(value):
            if type(value) is not list:
                raise _Slow
            return [_none_if_allowed(inner) if each is None else item(each) for each in value]

    if convert is None:
        return lambda value: field.deserialize(value)
    validators = field.validators
    if not validators:
        return convert

    def validated(value):
        output = convert(value)
        for validator in validators:
            if validator(output) is False:
                raise _Slow
        return output

    return validated


def _none_if_allowed(field: fields.Field):
    if not field.allow_none:
        raise _Slow
    return None


def _text(value):
    if type(value) is not str:
        raise _Slow
    return value


def _whole_number(value):
    if type(value) is not int:  # bool is refused by marshmallow, and is no `int` here
        raise _Slow
    return value


def _boolean(value):
    if value is not True and value is not False:
        raise _Slow
    return value


def _iso_date(value):
    if type(value) is not str or not _ISO_DATE.fullmatch(value):
        raise _Slow
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Slow from None
