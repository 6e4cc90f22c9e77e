"""Factories: fresh objects with sensible defaults, made through the services (STYLE.md, 7).

Call inside an app context; they flush, the test commits where it needs to.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from fleet.clock import local_today
from fleet.extensions import db
from fleet.security import get_directory
from fleet.services import assets as asset_service
from fleet.services import centers as center_service
from fleet.services import requests as request_service
from fleet.services.auth import Principal

IT_PRINCIPAL = Principal("it1", "김민수", frozenset({"it", "employee"}))
_numbers = itertools.count(1)


def create_center(**overrides):
    values = {"code": f"C{next(_numbers)}", "name": "진잠도서관 스마트워크센터", "kind": "smart_work_center",
              "address": "대전 유성구 원내로 51", "seats": 10, **overrides}
    center = center_service.create_center(IT_PRINCIPAL, **values)
    db.session.commit()
    return center


def create_asset(center=None, **overrides):
    """`center` is a Center or a center code; a new center when not given."""
    code = center if isinstance(center, str) else (center or create_center()).code
    values = {"asset_tag": f"NB-{next(_numbers):05d}", "serial_number": f"SN{next(_numbers):08d}",
              "category": "laptop", "manufacturer": "LG", "model": "gram 16", "center": code,
              "accessories": ["charger", "bag"], **overrides}
    asset = asset_service.create_asset(IT_PRINCIPAL, **values)
    db.session.commit()
    return asset


def create_request(requester: str = "emp1", **overrides):
    """A pending request made by IT staff on behalf of `requester` (active in the test directory).

    Defaults: a laptop for remote work from tomorrow; `now` sets the time of request (queue order).
    """
    values = {"reason": "remote_work", "category": "laptop", **overrides}
    values.setdefault("needed_from", local_today(values.get("now")) + timedelta(days=1))
    req = request_service.create_request(get_directory(), IT_PRINCIPAL, requester=requester, **values)
    db.session.commit()
    return req
