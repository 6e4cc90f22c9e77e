"""A schema's dump worked out once: the hot path's answers (a hand-over's and a return's loan).

marshmallow's `Schema.dump` asks each field for its value through its accessor, its default and its
`_serialize`, every time: some 45 µs for a loan of 28 fields. `QuickDump(schema)` reads the same fields once, at
import, and keeps for each its key and a conversion: the plain ones (integers, text, booleans, ISO dates and times,
lists, nested schemas) as one call, any other through the field's own `_serialize`. The result is the dump's, key
for key and value for value (tests/api/test_quick_dump.py holds it to that); the schema still documents the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, missing


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
