"""CSV import of assets: every row or none.

Every row is checked first; any error names its row (as numbered in the file, the
header being row 1) and column, and nothing is written. Only then are the assets
inserted, each with its `asset.created` event. An optional `status` column records old
stock already disposed of (`retired`, with its `status_reason`): the asset is created in
stock and retired at once, an `asset.status_changed` event like a move made by hand.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from fleet.db import utcnow
from fleet.errors import ValidationFailed
from fleet.extensions import db
from fleet.models import Asset, Center
from fleet.services.assets import check_values, move_status, normalise_tag, snapshot
from fleet.services.auth import Principal
from fleet.services.events import append_event

COLUMNS = ("asset_tag", "serial_number", "category", "manufacturer", "model", "center", "purchase_date",
           "purchase_cost", "warranty_until", "accessories", "notes", "status", "status_reason")
IMPORT_STATUSES = ("in_stock", "retired")  # a new asset starts in stock; disposed stock is retired at once
REQUIRED = ("asset_tag", "category", "center")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


def _parse(text: str) -> tuple[list[str], list[list[str]]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValidationFailed(f"The file is not valid CSV: {exc}.", errors={"file": [str(exc)]}) from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ValidationFailed("The file is empty: it needs a header row and at least one asset.",
                               errors={"file": ["Empty."]})
    return [h.strip().lower() for h in rows[0]], rows[1:]


def import_assets(content: bytes, actor: Principal) -> int:
    """Import every row or none; answers how many assets were created."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The file must be UTF-8 text.", errors={"file": ["Not UTF-8."]}) from exc
    header, rows = _parse(text)
    problems: list[RowError] = []
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    for column in unknown:
        problems.append(RowError(1, column, f"Unknown column; columns are: {', '.join(COLUMNS)}."))
    for column in missing:
        problems.append(RowError(1, column, "Required column is missing."))
    if problems:
        _refuse(problems)
    rows = [(number, row) for number, row in enumerate(rows, start=2) if any(cell.strip() for cell in row)]
    if not rows:
        _refuse([RowError(2, "asset_tag", "The file lists no assets.")])
    if len(rows) > MAX_ROWS:
        _refuse([RowError(MAX_ROWS + 2, "asset_tag", f"At most {MAX_ROWS} rows per file.")])
    centers = {c.code: c for c in db.session.execute(select(Center)).scalars()}
    tags_in_file: dict[str, int] = {}
    prepared: list[dict] = []
    for number, row in rows:
        if len(row) != len(header):
            problems.append(RowError(number, "", f"Has {len(row)} cells; the header has {len(header)}."))
            continue
        raw = {h: cell.strip() for h, cell in zip(header, row, strict=True)}
        values, row_problems = _row_values(raw, number, centers)
        problems.extend(row_problems)
        tag = values.get("asset_tag")
        if tag:
            if tag in tags_in_file:
                problems.append(RowError(number, "asset_tag", f"Also on row {tags_in_file[tag]}."))
            tags_in_file.setdefault(tag, number)
        prepared.append(values)
    existing = _existing_tags(list(tags_in_file))
    for tag in existing:
        problems.append(RowError(tags_in_file[tag], "asset_tag", f"An asset with the tag {tag} exists already."))
    if problems:
        _refuse(sorted(problems, key=lambda p: (p.row, p.column)))
    now = utcnow()
    for values in prepared:
        status, reason = values.pop("status"), values.pop("status_reason")
        asset = Asset(status="in_stock", created_at=now, updated_at=now, **values)
        db.session.add(asset)
        db.session.flush()
        append_event(actor.uid, "asset.created", "asset", asset.asset_tag, at=now, after=snapshot(asset),
                     extra={"import": True})
        if status == "retired":
            move_status(asset, actor, "retired", reason, now=now)
    return len(prepared)


def _existing_tags(tags: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(tags), 500):
        chunk = tags[start:start + 500]
        found += db.session.execute(select(Asset.asset_tag).where(Asset.asset_tag.in_(chunk))).scalars().all()
    return found


def _row_values(raw: dict, number: int, centers: dict) -> tuple[dict, list[RowError]]:
    problems: list[RowError] = []
    values: dict = {"asset_tag": normalise_tag(raw.get("asset_tag", ""))}
    for column in ("serial_number", "manufacturer", "model", "notes"):
        values[column] = raw.get(column) or None
    values["category"] = raw.get("category", "")
    for column in REQUIRED:
        if not raw.get(column):
            problems.append(RowError(number, column, "Required."))
    code = raw.get("center", "")
    if code and code not in centers:
        problems.append(RowError(number, "center", f"There is no center {code!r}."))
    values["center"] = centers.get(code)
    for column in ("purchase_date", "warranty_until"):
        text = raw.get(column)
        try:
            values[column] = date.fromisoformat(text) if text else None
        except ValueError:
            problems.append(RowError(number, column, "Not a date (YYYY-MM-DD)."))
            values[column] = None
    cost = raw.get("purchase_cost")
    try:
        values["purchase_cost"] = Decimal(cost.replace(",", "")) if cost else None
    except InvalidOperation:
        problems.append(RowError(number, "purchase_cost", "Not a number."))
        values["purchase_cost"] = None
    values["accessories"] = [a.strip() for a in (raw.get("accessories") or "").split(";") if a.strip()]
    values["status"] = raw.get("status") or "in_stock"
    values["status_reason"] = raw.get("status_reason") or None
    if values["status"] not in IMPORT_STATUSES:
        problems.append(RowError(number, "status",
                                 f"An imported asset is in_stock or retired, not {values['status']!r}."))
    elif values["status"] == "retired" and not values["status_reason"]:
        problems.append(RowError(number, "status_reason", "Give the reason for retiring it (e.g. 불용 처분 2026-11)."))
    if values["status_reason"] and len(values["status_reason"]) > 2000:
        problems.append(RowError(number, "status_reason", "At most 2000 characters."))
    errors: dict[str, list[str]] = {}
    check_values({k: v for k, v in values.items() if k not in ("center", "status", "status_reason")}
                 | {"asset_tag": values["asset_tag"]}, errors,
                 creating=True)
    for column, messages in errors.items():
        if not (column in REQUIRED and not raw.get(column)):
            problems.extend(RowError(number, column, m) for m in messages)
    return values, problems


def _refuse(problems: list[RowError]) -> None:
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(f"row {p.row}, {p.column}" if p.column else f"row {p.row}", []).append(p.message)
    raise ValidationFailed(f"Nothing was imported: {len(problems)} problem(s) in the file.", errors=errors)
