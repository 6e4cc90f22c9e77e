"""Keyset pagination: `?limit=&cursor=` answering `{"items", "next_cursor"}`.

The cursor is the sort key of the last item shown, so pages stay stable under inserts
and no query ever counts or skips rows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fleet.errors import ValidationFailed


@dataclass
class Page:
    items: list
    next_cursor: str | None
    positions: dict = field(default_factory=dict)


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int = 1) -> list | None:
    """The sort key inside a cursor; a 422 on the field `cursor` when it is not one of ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != arity or not all(isinstance(v, (int, str)) for v in key):
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Not a cursor given by this list."]})
    return key


def make_page(rows: list, limit: int, key: Callable[[Any], Sequence[Any]]) -> Page:
    """`rows` was fetched with limit + 1: the extra row only says whether a next page exists."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(key(rows[-1])) if has_more and rows else None)
