"""An employee's own page: request a laptop, see own requests and loans, download own forms."""

from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for

from fleet.clock import local_today
from fleet.errors import FleetError, ValidationFailed
from fleet.models import REASONS
from fleet.security import get_directory
from fleet.services import documents
from fleet.services import extensions as extension_service
from fleet.services import incidents as incident_service
from fleet.services import loans as loan_service
from fleet.services import notifications as notification_service
from fleet.services import requests as request_service
from fleet.web.views.common import all_centers, bp, page, refused, rerender


def _my_page(principal, **context):
    my_loans = loan_service.list_loans(principal, assignee=principal.uid, limit=100).items
    my_loans = [loan for loan in my_loans if loan.assignee_uid == principal.uid]
    my_requests = request_service.list_requests(principal, requester=principal.uid, limit=100).items
    my_requests = [r for r in my_requests if r.requester_uid == principal.uid]
    open_reports: dict[int, list] = {}
    for report in incident_service.list_incidents(principal, status="open", limit=100).items:
        open_reports.setdefault(report.loan_id, []).append(report)
    last_extension = {loan.id: history[-1] for loan in my_loans if loan.status == "active"
                      for history in [extension_service.list_for_loan(loan)] if history}
    return render_template("me.html", loans=my_loans, requests=my_requests, is_overdue=loan_service.is_overdue,
                           last_extension=last_extension, extension_sent=request.args.get("extension"),
                           reported=request.args.get("reported"), open_reports=open_reports,
                           signed={loan.id: documents.signed_versions(loan) for loan in my_loans},
                           position=request_service.queue_position, sent=request.args.get("sent"),
                           mails=_my_mails(principal), **context)


def _my_mails(principal):
    """One's own messages: IT staff would otherwise get everyone's here (the outbox is their page for that)."""
    mails = notification_service.list_notifications(principal, recipient=principal.uid, limit=20).items
    return [mail for mail in mails if mail.recipient_uid == principal.uid]


@bp.route("/me")
@page()
def my_page(principal):
    return _my_page(principal)


def _request_page():
    return {"reasons": REASONS, "centers": all_centers(), "today": local_today()}


@bp.route("/me/request", methods=["GET", "POST"])
@page()
def my_request(principal):
    if request.method == "GET":
        return render_template("request_new.html", form={}, **_request_page())
    form = request.form
    try:
        needed_from = date.fromisoformat(form.get("needed_from", ""))
        needed_until = date.fromisoformat(form["needed_until"]) if form.get("needed_until") else None
    except ValueError:
        return rerender("request_new.html", ValidationFailed("Give the dates as YYYY-MM-DD."), _request_page)
    try:
        created = request_service.create_request(get_directory(), principal, reason=form.get("reason", ""),
                                                 needed_from=needed_from, needed_until=needed_until,
                                                 center=form.get("center") or None, note=form.get("note") or None)
    except FleetError as exc:
        return rerender("request_new.html", exc, _request_page)
    return redirect(url_for("web.my_page", sent=created.id))


@bp.route("/me/requests/<int:request_id>/cancel", methods=["POST"])
@page()
def my_request_cancel(principal, request_id: int):
    req = request_service.get_request(request_id)
    request_service.check_can_read(req, principal)
    try:
        request_service.cancel_request(req, principal)
    except FleetError as exc:
        status = refused(exc)
        return _my_page(principal, error=exc.detail), status
    return redirect(url_for("web.my_page"))
