"""The desk's work lists: the request queue (approve, reject) and stocktake scanning."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from fleet.access_log.recording import note_requests
from fleet.errors import FleetError
from fleet.services import dashboard, stocktakes
from fleet.services import requests as request_service
from fleet.web.views.common import all_centers, bp, page, refused, rerender

QUEUE_PAGE = 50


def _queue_page(principal, cursor: str | None = None, status: int = 200, **context):
    """The pending queue a page at a time (the API's keyset cursor), in queue order, with the count of all."""
    try:
        pending = request_service.list_requests(principal, status="pending", limit=QUEUE_PAGE, cursor=cursor)
    except FleetError as exc:  # a cursor from an old link or typed by hand: show the first page and say why
        status = refused(exc)
        context.setdefault("error", exc.detail)
        pending = request_service.list_requests(principal, status="pending", limit=QUEUE_PAGE)
        cursor = None
    approved = request_service.list_requests(principal, status="approved", limit=100)
    recent = request_service.list_requests(principal, limit=20)
    note_requests("search", "requests", [*pending.items, *approved.items, *recent.items], principal, listing=True,
                  params={"page": "queue"})
    return render_template("desk/requests.html", queue=pending.items, positions=pending.positions,
                           next_cursor=pending.next_cursor, later_page=bool(cursor),
                           pending_count=request_service.count_pending(), approved=approved.items,
                           recent=recent.items, **context), status


@bp.route("/desk/requests")
@page("it")
def request_queue(principal):
    action, _, request_id = request.args.get("decided", "").partition(":")
    decided = (action, int(request_id)) if action in ("approve", "reject") and request_id.isdigit() else None
    return _queue_page(principal, request.args.get("cursor") or None, decided=decided)


@bp.route("/desk/requests/<int:request_id>/<any(approve, reject):action>", methods=["POST"])
@page("it")
def decide_request(principal, request_id: int, action: str):
    req = request_service.get_request(request_id)
    decide = request_service.approve_request if action == "approve" else request_service.reject_request
    try:
        decide(req, principal, request.form.get("note") or None)
    except FleetError as exc:
        return _queue_page(principal, status=refused(exc), error=exc.detail)
    note_requests("change", f"request:{req.id}", [req], principal)
    return redirect(url_for("web.request_queue", decided=f"{action}:{req.id}"))


@bp.route("/desk/stocktakes", methods=["GET", "POST"])
@page("it")
def stocktake_start(principal):
    context = {"centers": all_centers(), "open_stocktakes": dashboard.list_open_stocktakes()}
    if request.method == "GET":
        return render_template("desk/stocktake_start.html", form={}, **context)
    try:
        stocktake = stocktakes.start_stocktake(principal, request.form.get("center", ""))
    except FleetError as exc:
        return rerender("desk/stocktake_start.html", exc, **context)
    return redirect(url_for("web.stocktake_page", stocktake_id=stocktake.id))


@bp.route("/desk/stocktakes/<int:stocktake_id>", methods=["GET", "POST"])
@page("it")
def stocktake_page(principal, stocktake_id: int):
    """One input that keeps focus; each scan adds to the running lists (the page's script posts it in place)."""
    stocktake = stocktakes.get_stocktake(stocktake_id)
    last, error, status = None, None, 200
    if request.method == "POST":
        try:
            last = stocktakes.scan(stocktake, principal, request.form.get("asset_tag", ""))
        except FleetError as exc:
            error, status = exc.detail, refused(exc)
            stocktake = stocktakes.get_stocktake(stocktake_id)
    template = "desk/_stocktake_lists.html" if request.headers.get("X-Fleet-Partial") else "desk/stocktake.html"
    return render_template(template, stocktake=stocktake, last=last, error=error,
                           result=stocktakes.current_result(stocktake)), status


@bp.route("/desk/stocktakes/<int:stocktake_id>/close", methods=["POST"])
@page("it")
def stocktake_close(principal, stocktake_id: int):
    stocktake = stocktakes.get_stocktake(stocktake_id)
    try:
        stocktakes.close_stocktake(stocktake, principal)
    except FleetError as exc:
        status = refused(exc)
        return render_template("desk/stocktake.html", stocktake=stocktake, last=None, error=exc.detail,
                               result=stocktakes.current_result(stocktake)), status
    return redirect(url_for("web.stocktake_page", stocktake_id=stocktake_id))
