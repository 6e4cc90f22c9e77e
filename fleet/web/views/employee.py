"""An employee's own page: request a laptop, see own requests and loans, download own forms."""

from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for
from sqlalchemy import select

from fleet.errors import FleetError, ValidationFailed
from fleet.extensions import db
from fleet.models import REASONS, Center
from fleet.security import get_directory
from fleet.services import loans as loan_service
from fleet.services import requests as request_service
from fleet.services.clock import local_today
from fleet.web.views.common import bp, page, rerender


@bp.route("/me")
@page()
def my_page(principal):
    my_loans = loan_service.list_loans(principal, assignee=principal.uid, limit=100).items
    my_loans = [loan for loan in my_loans if loan.assignee_uid == principal.uid]
    my_requests = request_service.list_requests(principal, requester=principal.uid, limit=100).items
    my_requests = [r for r in my_requests if r.requester_uid == principal.uid]
    return render_template("me.html", loans=my_loans, requests=my_requests, is_overdue=loan_service.is_overdue,
                           position=request_service.queue_position)


def _centers():
    return db.session.execute(select(Center).order_by(Center.code)).scalars().all()


@bp.route("/me/request", methods=["GET", "POST"])
@page()
def my_request(principal):
    if request.method == "GET":
        return render_template("request_new.html", form={}, reasons=REASONS, centers=_centers(), today=local_today())
    form = request.form
    try:
        needed_from = date.fromisoformat(form.get("needed_from", ""))
        needed_until = date.fromisoformat(form["needed_until"]) if form.get("needed_until") else None
    except ValueError:
        return rerender("request_new.html", ValidationFailed("Give the dates as YYYY-MM-DD."), reasons=REASONS,
                        centers=_centers(), today=local_today())
    try:
        request_service.create_request(get_directory(), principal, reason=form.get("reason", ""),
                                       needed_from=needed_from, needed_until=needed_until,
                                       center=form.get("center") or None, note=form.get("note") or None)
    except FleetError as exc:
        return rerender("request_new.html", exc, reasons=REASONS, centers=_centers(), today=local_today())
    return redirect(url_for("web.my_page"))


@bp.route("/me/requests/<int:request_id>/cancel", methods=["POST"])
@page()
def my_request_cancel(principal, request_id: int):
    req = request_service.get_request(request_id)
    request_service.cancel_request(req, principal)
    return redirect(url_for("web.my_page"))
