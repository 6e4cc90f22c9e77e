"""Assets for IT staff: search, detail with history, create, edit, status moves, CSV import."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import redirect, render_template, request, url_for

from fleet.access_log.recording import note_access, people_in_events
from fleet.clock import local_today
from fleet.errors import FleetError, ValidationFailed
from fleet.models import CATEGORIES, STATUSES
from fleet.services import asset_import, events, inspections, lifecycle, repairs
from fleet.services import assets as asset_service
from fleet.web.views.common import all_centers as _centers
from fleet.web.views.common import bp, page, refused, rerender


@bp.route("/assets")
@page("it", "auditor")
def assets(principal):
    args = {k: request.args.get(k) or None for k in ("status", "center", "category", "q", "cursor")}
    error = None
    try:
        result = asset_service.list_assets(limit=50, **args)
        items, next_cursor = result.items, result.next_cursor
    except FleetError as exc:
        refused(exc)
        items, next_cursor, error = [], None, exc.detail
    next_args = {k: v for k, v in args.items() if v and k != "cursor"}
    return render_template("assets/list.html", items=items, next_cursor=next_cursor, args=args, centers=_centers(),
                           next_args=next_args, statuses=STATUSES, categories=CATEGORIES, error=error)


def detail_context(asset) -> dict:
    """The asset, its history, its open loan, its repairs and what they cost, and the moves the life cycle lets
    IT staff make by hand (none while it is at a vendor: the repair is closed instead)."""
    allowed = lifecycle.MANUAL_TRANSITIONS.get(asset.status, frozenset())
    of_asset = repairs.repairs_of_asset(asset)
    open_repair = next((r for r in of_asset.repairs if r.status == "open"), None)
    history, loan = events.list_asset_history(asset, limit=200).items, asset_service.active_loan(asset)
    # The page names the holder and everyone in the asset's history.
    note_access("view", f"asset:{asset.asset_tag}", [*people_in_events(history), loan.assignee_uid if loan else None])
    return {"asset": asset, "history": history, "loan": loan,
            "moves": [] if open_repair else [s for s in STATUSES if s in allowed],
            "repairs": of_asset.repairs, "repair_total": of_asset.total_cost, "open_repair": open_repair,
            "can_send_to_repair": open_repair is None and asset.status in repairs.SENDABLE,
            "repair_overdue": repairs.is_overdue, "today": local_today(),
            "inspections": inspections.inspections_of(asset, limit=20),
            "can_inspect": asset.status in inspections.INSPECTABLE}


@bp.route("/assets/<tag>")
@page("it", "auditor")
def asset_page(principal, tag: str):
    return render_template("assets/detail.html", form={}, **detail_context(asset_service.get_asset(tag)))


def _values(form) -> dict:
    values = {k: (form.get(k) or "").strip() or None for k in ("serial_number", "category", "manufacturer", "model",
                                                                "center", "notes")}
    try:
        for key in ("purchase_date", "warranty_until"):
            values[key] = date.fromisoformat(form[key]) if form.get(key) else None
        values["purchase_cost"] = Decimal(form["purchase_cost"].replace(",", "")) if form.get("purchase_cost") else None
    except (ValueError, InvalidOperation) as exc:
        raise ValidationFailed("A date or the cost is not valid.") from exc
    values["accessories"] = [a.strip() for a in (form.get("accessories") or "").split(",") if a.strip()]
    return values


@bp.route("/assets/new", methods=["GET", "POST"])
@page("it")
def asset_new(principal):
    if request.method == "GET":
        return render_template("assets/edit.html", asset=None, form={}, centers=_centers(), categories=CATEGORIES)
    try:
        asset = asset_service.create_asset(principal, asset_tag=request.form.get("asset_tag", ""),
                                           **_values(request.form))
    except FleetError as exc:
        return rerender("assets/edit.html", exc, lambda: {"centers": _centers()}, asset=None, categories=CATEGORIES)
    return redirect(url_for("web.asset_page", tag=asset.asset_tag))


@bp.route("/assets/<tag>/edit", methods=["GET", "POST"])
@page("it")
def asset_edit(principal, tag: str):
    asset = asset_service.get_asset(tag)
    if request.method == "GET":
        form = {**asset_service.snapshot(asset), "accessories": ", ".join(asset.accessories or [])}
        return render_template("assets/edit.html", asset=asset, form=form, centers=_centers(), categories=CATEGORIES)
    try:
        asset_service.update_asset(asset, principal, **_values(request.form))
    except FleetError as exc:
        return rerender("assets/edit.html", exc, lambda: {"centers": _centers()}, asset=asset, categories=CATEGORIES)
    return redirect(url_for("web.asset_page", tag=asset.asset_tag))


@bp.route("/assets/<tag>/status", methods=["POST"])
@page("it")
def asset_status(principal, tag: str):
    asset = asset_service.get_asset(tag)
    try:
        asset_service.move_status(asset, principal, request.form.get("status", ""), request.form.get("reason", ""),
                                  wipe_method=request.form.get("wipe_method") or None)
    except FleetError as exc:
        return rerender("assets/detail.html", exc, lambda: detail_context(asset))
    return redirect(url_for("web.asset_page", tag=asset.asset_tag))


@bp.route("/assets/import", methods=["GET", "POST"])
@page("it")
def asset_import_page(principal):
    if request.method == "GET":
        return render_template("assets/import.html", created=None, problems=None)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed("Choose a CSV file.")
        created = asset_import.import_assets(upload.read(), principal)
    except FleetError as exc:
        status = refused(exc)
        return render_template("assets/import.html", created=None, problems=_row_problems(exc.errors or {}),
                               error=exc.detail), status
    return render_template("assets/import.html", created=created, problems=None)


def _row_problems(errors: dict[str, list[str]]) -> list[tuple[int | None, str, list[str]]]:
    """The import's errors ("row 3, category": [...]) as (row, column, messages), in file order."""
    problems = []
    for key, messages in errors.items():
        where, _, column = key.partition(",")
        number = where.removeprefix("row").strip()
        if number.isdigit():
            problems.append((int(number), column.strip(), messages))
        else:
            problems.append((None, key, messages))
    return sorted(problems, key=lambda p: (p[0] or 0, p[1]))
