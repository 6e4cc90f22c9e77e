"""The IT desk: dashboard, hand-over, return, signatures, request queue, stocktakes, labels, leavers."""

from __future__ import annotations

import base64
import binascii
from datetime import date

from flask import jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select

from fleet.errors import FleetError, NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import STATUSES, Asset, Center, LoanRequest
from fleet.security import get_directory
from fleet.services import assets as asset_service
from fleet.services import directory_sync, documents, loans, stocktakes
from fleet.services import requests as request_service
from fleet.services.clock import local_today
from fleet.web.views.common import bp, page, rerender


@bp.route("/desk")
@page("it")
def dashboard(principal):
    rows = db.session.execute(select(Center.code, Center.name, Asset.status, func.count())
                              .join(Asset, Asset.center_id == Center.id).group_by(Center.code, Center.name,
                                                                                   Asset.status)).all()
    centers: dict[str, dict] = {}
    for code, name, status, count in rows:
        centers.setdefault(code, {"name": name, "counts": {}})["counts"][status] = count
    overdue = len(loans.list_loans(principal, overdue=True, limit=500).items)
    pending = db.session.execute(select(func.count()).select_from(LoanRequest)
                                 .where(LoanRequest.status == "pending")).scalar()
    leavers = len(directory_sync.list_open_leavers())
    return render_template("desk/dashboard.html", centers=centers, statuses=STATUSES, overdue=overdue,
                           pending=pending, leavers=leavers)


@bp.route("/desk/preview")
@page("it")
def preview_person(principal):
    """What the directory says of a person now, for the hand-over screen."""
    uid = request.args.get("uid", "").strip()
    try:
        person = get_directory().get_person(uid)
    except FleetError as exc:
        return jsonify(found=False, ok=False, reason=exc.detail), 503
    if person is None:
        return jsonify(found=False, ok=False, reason="No such person in the directory.")
    reason = None if person.eligible else ("Disabled in the directory." if not person.active
                                           else "Not eligible to borrow devices.")
    return jsonify(found=True, ok=person.eligible, name=person.name, department=person.department,
                   employee_number=person.employee_number, active=person.active, eligible=person.eligible,
                   reason=reason)


@bp.route("/desk/asset-preview")
@page("it")
def preview_asset(principal):
    try:
        asset = asset_service.get_asset(request.args.get("tag", ""))
    except NotFound as exc:
        return jsonify(found=False, reason=exc.detail)
    return jsonify(found=True, asset_tag=asset.asset_tag, status=asset.status, category=asset.category,
                   model=f"{asset.manufacturer or ''} {asset.model or ''}".strip(), accessories=asset.accessories,
                   center=asset.center.name)


@bp.route("/desk/handover", methods=["GET", "POST"])
@page("it")
def handover(principal):
    if request.method == "GET":
        return render_template("desk/handover.html", form=request.args, today=local_today())
    form = request.form
    try:
        due = date.fromisoformat(form["due_date"]) if form.get("due_date") else None
        request_id = int(form["request_id"]) if form.get("request_id") else None
    except ValueError:
        return rerender("desk/handover.html", ValidationFailed("The due date or request number is not valid."),
                        today=local_today())
    order = loans.HandoverOrder(asset_tag=form.get("asset_tag", ""), assignee=form.get("assignee", "").strip(),
                                due_date=due, request_id=request_id, accessories=form.getlist("accessories"),
                                condition=form.get("condition") or None, note=form.get("note") or None)
    try:
        loan = loans.hand_over(get_directory(), order, principal)
    except FleetError as exc:
        return rerender("desk/handover.html", exc, today=local_today())
    return redirect(url_for("web.loan_page", loan_id=loan.id))


@bp.route("/desk/return", methods=["GET"])
@page("it")
def return_lookup(principal):
    tag = request.args.get("tag", "").strip()
    if not tag:
        return render_template("desk/return.html", loan=None, form={})
    try:
        loan = loans.get_active_loan_for_asset(tag)
    except NotFound as exc:
        return render_template("desk/return.html", loan=None, form=request.args, error=exc.detail), 404
    return render_template("desk/return.html", loan=loan, form={})


@bp.route("/desk/return/<int:loan_id>", methods=["POST"])
@page("it")
def return_submit(principal, loan_id: int):
    loan = loans.get_loan(loan_id)
    form = request.form
    try:
        loans.take_back(loan, principal, condition=form.get("condition", ""),
                        accessories_returned=form.getlist("accessories_returned"),
                        damage_notes=form.get("damage_notes") or None, data_wiped=form.get("data_wiped") == "yes")
    except FleetError as exc:
        return rerender("desk/return.html", exc, loan=loans.get_loan(loan_id))
    return redirect(url_for("web.loan_page", loan_id=loan_id))


@bp.route("/desk/loans/<int:loan_id>")
@page("it")
def loan_page(principal, loan_id: int):
    loan = loans.get_loan(loan_id)
    signed = documents.signed_versions(loan)
    return render_template("desk/loan.html", loan=loan, signed=signed, overdue=loans.is_overdue(loan),
                           days_overdue=loans.days_overdue(loan))


def _png(data_url: str | None) -> bytes | None:
    """A signature from the pad: a PNG data URL, or nothing."""
    if not data_url:
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix) or len(data_url) > 2_000_000:
        raise ValidationFailed("The signature is not a PNG image.", errors={"signature": ["Not a PNG."]})
    try:
        data = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed("The signature could not be read.", errors={"signature": ["Unreadable."]}) from exc
    if not data.startswith(b"\x89PNG"):
        raise ValidationFailed("The signature is not a PNG image.", errors={"signature": ["Not a PNG."]})
    return data


@bp.route("/desk/documents/<int:document_id>/sign", methods=["POST"])
@page("it")
def sign(principal, document_id: int):
    document = documents.get_document(document_id)
    try:
        signed = documents.sign_form(document, principal, assignee_png=_png(request.form.get("assignee_signature")),
                                     staff_png=_png(request.form.get("staff_signature")))
    except FleetError as exc:
        return render_template("error.html", status=422, title="Signature", detail=exc.detail), 422
    loan_id = int(signed.subject.split(":")[1])
    return redirect(url_for("web.loan_page", loan_id=loan_id, signed=signed.id))


@bp.route("/desk/requests")
@page("it")
def request_queue(principal):
    page_ = request_service.list_requests(principal, status="pending", limit=200)
    recent = request_service.list_requests(principal, limit=20)
    return render_template("desk/requests.html", queue=page_.items, positions=page_.positions, recent=recent.items)


@bp.route("/desk/requests/<int:request_id>/<any(approve, reject):action>", methods=["POST"])
@page("it")
def decide_request(principal, request_id: int, action: str):
    req = request_service.get_request(request_id)
    decide = request_service.approve_request if action == "approve" else request_service.reject_request
    try:
        decide(req, principal, request.form.get("note") or None)
    except FleetError as exc:
        return render_template("error.html", status=409, title="Request", detail=exc.detail), 409
    return redirect(url_for("web.request_queue"))


@bp.route("/desk/stocktakes", methods=["GET", "POST"])
@page("it")
def stocktake_start(principal):
    centers = db.session.execute(select(Center).order_by(Center.code)).scalars().all()
    if request.method == "GET":
        return render_template("desk/stocktake_start.html", centers=centers, form={})
    try:
        stocktake = stocktakes.start_stocktake(principal, request.form.get("center", ""))
    except FleetError as exc:
        return rerender("desk/stocktake_start.html", exc, centers=centers)
    return redirect(url_for("web.stocktake_page", stocktake_id=stocktake.id))


@bp.route("/desk/stocktakes/<int:stocktake_id>", methods=["GET", "POST"])
@page("it")
def stocktake_page(principal, stocktake_id: int):
    stocktake = stocktakes.get_stocktake(stocktake_id)
    last, error = None, None
    if request.method == "POST":
        try:
            last = stocktakes.scan(stocktake, principal, request.form.get("asset_tag", ""))
        except FleetError as exc:
            error = exc.detail
    return render_template("desk/stocktake.html", stocktake=stocktake, last=last, error=error,
                           result=stocktakes.current_result(stocktake)), (422 if error else 200)


@bp.route("/desk/stocktakes/<int:stocktake_id>/close", methods=["POST"])
@page("it")
def stocktake_close(principal, stocktake_id: int):
    stocktake = stocktakes.get_stocktake(stocktake_id)
    try:
        stocktakes.close_stocktake(stocktake, principal)
    except FleetError as exc:
        return render_template("error.html", status=409, title="Stocktake", detail=exc.detail), 409
    return redirect(url_for("web.stocktake_page", stocktake_id=stocktake_id))


@bp.route("/desk/labels")
@page("it")
def labels(principal):
    centers = db.session.execute(select(Center).order_by(Center.code)).scalars().all()
    return render_template("desk/labels.html", centers=centers)


@bp.route("/desk/leavers", methods=["GET", "POST"])
@page("it")
def leavers(principal):
    if request.method == "POST":
        try:
            directory_sync.sync_directory(get_directory(), principal.uid)
        except FleetError as exc:
            return render_template("desk/leavers.html", leavers=directory_sync.list_open_leavers(),
                                   error=exc.detail), 503
        return redirect(url_for("web.leavers"))
    return render_template("desk/leavers.html", leavers=directory_sync.list_open_leavers())
