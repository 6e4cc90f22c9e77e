"""Fleet: loaner laptops and center equipment of smart work centers.

Importing the package imports nothing else: `python -m fleet.verify`, the auditors' offline verifier, runs
with the standard library and `cryptography` alone, without Flask or SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app (fleet.app.create_app). Nothing connects here: the database and the directory are reached
    lazily."""
    from fleet.app import create_app as build

    return build(config)
