"""Between hand-over and return: extensions, incident reports (the assignee's phone pages and the desk's loan
page) and swaps."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import redirect, render_template, request, url_for

from fleet.access_log.recording import note_access
from fleet.clock import local_today, local_zone
from fleet.errors import FleetError, NotFound, ValidationFailed
from fleet.models import INCIDENT_KINDS
from fleet.security import get_directory
from fleet.services import extensions as extension_service
from fleet.services import incidents as incident_service
from fleet.services import loans as loan_service
from fleet.services import swaps as swap_service
from fleet.web.views.common import bp, page, refused
from fleet.web.views.desk import render_loan_page


def _own_loan(principal, loan_id: int):
    """The person's own loan (anyone else's looks like it does not exist)."""
    loan = loan_service.get_loan(loan_id)
    if loan.assignee_uid != principal.uid:
        raise NotFound(f"There is no loan {loan_id}.")
    return loan


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("Give the date as YYYY-MM-DD.", errors={field: ["Not a date."]}) from None


@bp.route("/me/loans/<int:loan_id>/extend", methods=["GET", "POST"])
@page()
def my_extension(principal, loan_id: int):
    """The assignee asks for more time, from a phone."""
    loan = _own_loan(principal, loan_id)
    context = {"loan": loan, "latest": extension_service.latest_day(loan),
               "earliest": loan.due_date + timedelta(days=1),
               "history": extension_service.list_for_loan(loan)}
    if request.method == "GET":
        return render_template("loan_extend.html", form={}, **context)
    try:
        extension_service.request_extension(get_directory(), principal, loan,
                                             until=_day(request.form.get("until", ""), "until"),
                                             reason=request.form.get("reason", ""))
    except FleetError as exc:
        status = refused(exc)
        loan = loan_service.get_loan(loan_id)
        context.update(loan=loan, history=extension_service.list_for_loan(loan))
        return render_template("loan_extend.html", form=request.form, error=exc.detail,
                               field_errors=exc.errors or {}, **context), status
    return redirect(url_for("web.my_page", extension=loan.id))


def _back_to_loan(loan_id: int, exc: FleetError):
    status = refused(exc)
    return render_loan_page(loan_service.get_loan(loan_id), error=exc.detail, field_errors=exc.errors or {},
                      form=request.form), status


@bp.route("/desk/loans/<int:loan_id>/extend", methods=["POST"])
@page("it")
def desk_extension(principal, loan_id: int):
    """IT staff extend a loan: approved at once (another member of IT staff approves one of their own loans)."""
    loan = loan_service.get_loan(loan_id)
    try:
        ext = extension_service.request_extension(get_directory(), principal, loan,
                                                  until=_day(request.form.get("until", ""), "until"),
                                                  reason=request.form.get("reason", ""))
    except FleetError as exc:
        return _back_to_loan(loan_id, exc)
    note_access("create", f"extension:{ext.id}", [loan.assignee_uid])
    return redirect(url_for("web.loan_page", loan_id=loan_id, done="extended"))


@bp.route("/desk/extensions/<int:extension_id>/<any(approve, reject):verdict>", methods=["POST"])
@page("it")
def desk_extension_decision(principal, extension_id: int, verdict: str):
    ext = extension_service.get_extension(extension_id)
    loan_id = ext.loan_id
    note = request.form.get("note") or None
    try:
        if verdict == "approve":
            extension_service.approve_extension(get_directory(), ext, principal, note)
        else:
            extension_service.reject_extension(ext, principal, note)
    except FleetError as exc:
        return _back_to_loan(loan_id, exc)
    note_access("change", f"extension:{ext.id}", [ext.loan.assignee_uid])
    return redirect(url_for("web.loan_page", loan_id=loan_id,
                            done="extended" if verdict == "approve" else "extension-rejected"))


@bp.route("/desk/loans/<int:loan_id>/swap", methods=["POST"])
@page("it")
def desk_swap(principal, loan_id: int):
    """The broken device back and the replacement out, in one step (from the loan's page or an open report)."""
    loan = loan_service.get_loan(loan_id)
    form = request.form
    try:
        incident = incident_service.get_incident(int(form["incident_id"])) if form.get("incident_id") else None
        done = swap_service.swap(get_directory(), loan, principal, asset_tag=form.get("asset_tag", ""),
                                 condition=form.get("condition", ""),
                                 accessories_returned=form.getlist("accessories_returned"),
                                 damage_notes=form.get("damage_notes") or None,
                                 data_wiped=form.get("data_wiped") == "yes", incident=incident)
    except (FleetError, ValueError) as exc:
        if isinstance(exc, ValueError):
            exc = ValidationFailed("The incident number is not valid.", errors={"incident_id": ["Not a number."]})
        return _back_to_loan(loan_id, exc)
    note_access("change", f"loan:{done.returned.id}", [done.returned.assignee_uid])
    note_access("create", f"loan:{done.handed_over.id}", [done.handed_over.assignee_uid])
    return redirect(url_for("web.loan_page", loan_id=done.handed_over.id, done="swapped"))


@bp.route("/desk/incidents/<int:incident_id>/<any('mark-lost', 'take-back', resolve):step>", methods=["POST"])
@page("it")
def desk_incident_action(principal, incident_id: int, step: str):
    """Act on an open report from the loan's page; the report closes, linked to what was done."""
    incident = incident_service.get_incident(incident_id)
    loan_id = incident.loan_id
    form = request.form
    try:
        if step == "mark-lost":
            incident_service.mark_lost(incident, principal, form.get("note") or None)
        elif step == "take-back":
            incident_service.take_back_damaged(incident, principal,
                                               accessories_returned=form.getlist("accessories_returned"),
                                               data_wiped=form.get("data_wiped") == "yes",
                                               damage_notes=form.get("damage_notes") or None)
        else:
            incident_service.resolve(incident, principal, form.get("note", ""))
    except FleetError as exc:
        return _back_to_loan(loan_id, exc)
    note_access("change", f"incident:{incident_id}", [incident.loan.assignee_uid])
    return redirect(url_for("web.loan_page", loan_id=loan_id, done="incident-closed") + f"#incident-{incident_id}")


def _local_moment(day: str, clock: str) -> datetime:
    """A day and a time typed on a phone, in FLEET_TIMEZONE."""
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock or "00:00"), tzinfo=local_zone())
    except ValueError:
        raise ValidationFailed("Give the day as YYYY-MM-DD and the time as HH:MM.",
                               errors={"happened_at": ["Not a day and time."]}) from None


@bp.route("/me/loans/<int:loan_id>/incident", methods=["GET", "POST"])
@page()
def my_incident(principal, loan_id: int):
    """The assignee reports a loss, a theft or damage, from a phone."""
    loan = _own_loan(principal, loan_id)
    context = {"loan": loan, "kinds": INCIDENT_KINDS, "today": local_today()}
    if request.method == "GET":
        return render_template("incident_new.html", form={"kind": request.args.get("kind", "")}, **context)
    form = request.form
    try:
        incident = incident_service.report_incident(
            principal, loan, kind=form.get("kind", ""),
            happened_at=_local_moment(form.get("happened_day", ""), form.get("happened_time", "")),
            place=form.get("place", ""), description=form.get("description", ""))
    except FleetError as exc:
        status = refused(exc)
        context["loan"] = loan_service.get_loan(loan_id)
        return render_template("incident_new.html", form=form, error=exc.detail, field_errors=exc.errors or {},
                               **context), status
    return redirect(url_for("web.my_page", reported=incident.id))
