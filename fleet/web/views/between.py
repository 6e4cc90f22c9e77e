"""Between hand-over and return: extensions (the assignee's phone page and the desk's loan page)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import redirect, render_template, request, url_for

from fleet.errors import FleetError, NotFound, ValidationFailed
from fleet.security import get_directory
from fleet.services import extensions as extension_service
from fleet.services import loans as loan_service
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
        extension_service.request_extension(get_directory(), principal, loan,
                                            until=_day(request.form.get("until", ""), "until"),
                                            reason=request.form.get("reason", ""))
    except FleetError as exc:
        return _back_to_loan(loan_id, exc)
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
    return redirect(url_for("web.loan_page", loan_id=loan_id,
                            done="extended" if verdict == "approve" else "extension-rejected"))
