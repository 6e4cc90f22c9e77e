"""An asset's life after the desk, for IT staff: repairs at a vendor (the list, send, close), disposal lists,
inspections (the due list, recording one)."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import redirect, render_template, request, url_for

from fleet.access_log.recording import note_access
from fleet.clock import local_today, local_zone
from fleet.errors import FleetError, ValidationFailed
from fleet.services import assets as asset_service
from fleet.services import disposals as disposal_service
from fleet.services import inspections as inspection_service
from fleet.services import repairs as repair_service
from fleet.services import useful_life
from fleet.web.views.common import bp, page, refused, rerender
from fleet.web.views.inventory import detail_context


def _moment(field: str) -> datetime | None:
    """A day typed in a date field: today means now; an earlier day, that day's start (local time)."""
    text = (request.form.get(field) or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("Some fields are not valid; see errors.",
                               errors={field: ["Not a date (YYYY-MM-DD)."]}) from None
    return None if day == local_today() else datetime.combine(day, time(0), tzinfo=local_zone())


@bp.route("/desk/repairs")
@page("it", "auditor")
def repair_list(principal):
    overdue = True if request.args.get("overdue") else None
    status = request.args.get("status") or ("open" if overdue is None and "status" not in request.args else None)
    error = None
    try:
        result = repair_service.list_repairs(status=status, overdue=overdue, limit=100,
                                             cursor=request.args.get("cursor") or None)
        items, next_cursor = result.items, result.next_cursor
    except FleetError as exc:
        refused(exc)
        items, next_cursor, error = [], None, exc.detail
    return render_template("desk/repairs.html", items=items, next_cursor=next_cursor, status=status, overdue=overdue,
                           is_overdue=repair_service.is_overdue, days_open=repair_service.days_open,
                           limit_days=repair_service.repair_limit_days(), error=error)


@bp.route("/assets/<tag>/repairs", methods=["POST"])
@page("it")
def repair_open(principal, tag: str):
    asset = asset_service.get_asset(tag)
    form = request.form
    try:
        warranty = {"yes": True, "no": False}.get(form.get("under_warranty", ""))
        repair_service.open_repair(principal, asset_tag=asset.asset_tag, vendor=form.get("vendor", ""),
                                   fault=form.get("fault", ""), ticket=form.get("ticket") or None,
                                   sent_at=_moment("sent_at"), under_warranty=warranty)
    except FleetError as exc:
        return rerender("assets/detail.html", exc, lambda: detail_context(asset))
    return redirect(url_for("web.asset_page", tag=asset.asset_tag))


@bp.route("/repairs/<int:repair_id>/close", methods=["POST"])
@page("it")
def repair_close(principal, repair_id: int):
    repair = repair_service.get_repair(repair_id)
    asset = repair.asset
    form = request.form
    try:
        repair_service.close_repair(repair, principal, result=form.get("result", ""),
                                    returned_at=_moment("returned_at"), cost=form.get("cost") or None,
                                    note=form.get("note") or None, data_wiped=form.get("data_wiped") == "yes")
    except FleetError as exc:
        return rerender("assets/detail.html", exc, lambda: detail_context(asset))
    return redirect(url_for("web.asset_page", tag=asset.asset_tag))


def _disposal_context() -> dict:
    today = local_today()
    return {"candidates": useful_life.list_in_stock_past_useful_life(today),
            "recent": disposal_service.list_disposals(20), "end_of_life": useful_life.end_of_useful_life,
            "age": lambda a: useful_life.age_text(a.purchase_date, today), "total_cost": disposal_service.total_cost}


@bp.route("/desk/disposal", methods=["GET", "POST"])
@page("it")
def disposal_page(principal):
    """Retire a list of in-stock assets with one reason: one disposal list PDF (불용 결정 목록), all or nothing."""
    if request.method == "GET":
        done = request.args.get("done", type=int)
        context = _disposal_context()
        form = {}
        if request.args.get("fill"):
            form = {"asset_tags": "\n".join(a.asset_tag for a in context["candidates"])}
        return render_template("desk/disposal.html", form=form, done=disposal_service.get_disposal(done)
                               if done else None, **context)
    tags = [t for t in (request.form.get("asset_tags") or "").replace(",", "\n").split() if t.strip()]
    try:
        disposal = disposal_service.dispose(principal, tags, request.form.get("reason", ""))
    except FleetError as exc:
        return rerender("desk/disposal.html", exc, _disposal_context, done=None)
    return redirect(url_for("web.disposal_page", done=disposal.id))


@bp.route("/desk/inspections")
@page("it")
def inspection_list(principal):
    """Devices on loan due for their periodic inspection, the longest overdue first."""
    page_ = inspection_service.list_due(limit=500)
    items = sorted(page_.items, key=lambda d: (d.due_on, d.loan.id))
    note_access("search", "inspections", [d.loan.assignee_uid for d in items], listing=True)
    return render_template("desk/inspections.html", items=items, more=page_.next_cursor is not None,
                           intervals=inspection_service.intervals())


@bp.route("/assets/<tag>/inspections", methods=["POST"])
@page("it")
def inspection_record(principal, tag: str):
    asset = asset_service.get_asset(tag)
    try:
        inspection = inspection_service.record_inspection(principal, asset.asset_tag,
                                                          result=request.form.get("result", ""),
                                                          note=request.form.get("note") or None)
    except FleetError as exc:
        return rerender("assets/detail.html", exc, lambda: detail_context(asset))
    loan = inspection_service.active_loan_of(inspection)
    if loan is not None:
        note_access("create", f"inspection:{inspection.id}", [loan.assignee_uid])
    return redirect(url_for("web.asset_page", tag=asset.asset_tag, inspected=inspection.result))
