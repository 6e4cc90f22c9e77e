"""The IT desk: dashboard, hand-over, return, signatures on screen, open loans, labels, leavers."""

from __future__ import annotations

import base64
import binascii
from datetime import date

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from fleet.access_log.recording import note_access
from fleet.clock import local_today
from fleet.errors import FleetError, NotFound, RuleViolation, ValidationFailed
from fleet.i18n import label
from fleet.models import NOTIFICATION_STATUSES, STATUSES
from fleet.security import get_directory
from fleet.services import assets as asset_service
from fleet.services import dashboard, directory_sync, documents, loans, notifications
from fleet.services import extensions as extension_service
from fleet.services import incidents as incident_service
from fleet.services import labels as label_service
from fleet.web.messages import say
from fleet.web.views.common import all_centers, bp, page, refused, rerender


@bp.route("/desk", endpoint="dashboard")
@page("it")
def dashboard_page(principal):
    return render_template("desk/dashboard.html", summary=dashboard.summarise_desk(), statuses=STATUSES,
                           failed_mails=notifications.count_with_status("failed"),
                           pending_extensions=extension_service.list_pending(limit=50),
                           open_incidents=incident_service.list_open(limit=50),
                           report_number=incident_service.report_number)


@bp.route("/desk/preview")
@page("it")
def preview_person(principal):
    """What the directory says of a person now, for the hand-over screen (the hand-over's own check)."""
    uid = request.args.get("uid", "").strip()
    if not uid:
        return jsonify(found=False, ok=False, reason=gettext("Type the assignee's user name."))
    directory = get_directory()
    try:
        person, reason = loans.check_assignee(directory, uid), None
    except RuleViolation as refusal:
        person = None if refusal.code == "assignee-unknown" else directory.get_person(uid)
        reason = say(refusal.detail)
    except FleetError as exc:  # the directory cannot be reached: say so, hand nothing over
        return jsonify(found=False, ok=False, reason=say(exc.detail)), refused(exc)
    if person is None:
        return jsonify(found=False, ok=False, reason=reason)
    holding = len(loans.list_loans(principal, active=True, assignee=person.uid, limit=20).items)
    note_access("view", f"person:{person.uid}", [person.uid])
    return jsonify(found=True, ok=reason is None, uid=person.uid, name=person.name, department=person.department,
                   employee_number=person.employee_number, active=person.active, eligible=person.eligible,
                   verdict=gettext("Can borrow") if reason is None else gettext("Cannot borrow"), reason=reason,
                   holding=gettext("Holds %(n)s device(s) now.", n=holding) if holding else "")


@bp.route("/desk/asset-preview")
@page("it")
def preview_asset(principal):
    """The device behind a scanned tag, with its standard accessories for the checklist."""
    tag = request.args.get("tag", "").strip()
    try:
        asset = asset_service.get_asset(tag)
    except NotFound as exc:
        return jsonify(found=False, reason=say(exc.detail))
    return jsonify(found=True, asset_tag=asset.asset_tag, status=asset.status, status_label=label(asset.status),
                   in_stock=asset.status == "in_stock", category=label(asset.category),
                   model=f"{asset.manufacturer or ''} {asset.model or ''}".strip(), accessories=asset.accessories or [],
                   center=asset.center.name)


def _handover_context() -> dict:
    return {"today": local_today(), "loan_days": current_app.config["FLEET_LOAN_DAYS"]}


@bp.route("/desk/handover", methods=["GET", "POST"])
@page("it")
def handover(principal):
    if request.method == "GET":
        return render_template("desk/handover.html", form=request.args, **_handover_context())
    form = request.form
    try:
        due = date.fromisoformat(form["due_date"]) if form.get("due_date") else None
        request_id = int(form["request_id"]) if form.get("request_id") else None
    except ValueError:
        error = ValidationFailed("The due date or request number is not valid.")
        return rerender("desk/handover.html", error, **_handover_context())
    order = loans.HandoverOrder(asset_tag=form.get("asset_tag", ""), assignee=form.get("assignee", "").strip(),
                                due_date=due, request_id=request_id, accessories=form.getlist("accessories"),
                                condition=form.get("condition") or None, note=form.get("note") or None)
    try:
        loan = loans.hand_over(get_directory(), order, principal)
    except FleetError as exc:
        return rerender("desk/handover.html", exc, **_handover_context())
    note_access("create", f"loan:{loan.id}", [loan.assignee_uid])
    return redirect(url_for("web.loan_page", loan_id=loan.id, done="handover"))


def _batch_orders(form) -> list[loans.HandoverOrder]:
    """One device per line: the asset tag and the assignee's user name (comma, tab or spaces between)."""
    try:
        due = date.fromisoformat(form["due_date"]) if form.get("due_date") else None
    except ValueError:
        raise ValidationFailed("The due date or request number is not valid.") from None
    orders = []
    for line in form.get("lines", "").splitlines():
        parts = line.replace(",", " ").replace("\t", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValidationFailed("Write one device per line: the asset tag, then the user name.",
                                   errors={"lines": [line]})
        orders.append(loans.HandoverOrder(asset_tag=parts[0], assignee=parts[1], due_date=due))
    return orders


@bp.route("/desk/handover/batch", methods=["GET", "POST"])
@page("it")
def handover_batch(principal):
    """An emergency: many devices in one step, all or none, with one batch form."""
    if request.method == "GET":
        return render_template("desk/handover_batch.html", form=request.args, **_handover_context())
    try:
        batch = loans.hand_over_many(get_directory(), _batch_orders(request.form), principal,
                                     note=request.form.get("note") or None)
    except FleetError as exc:
        return rerender("desk/handover_batch.html", exc, **_handover_context())
    note_access("create", f"batch:{batch.id}", [loan.assignee_uid for loan in loans.loans_of_batch(batch)])
    return redirect(url_for("web.batch_page", batch_id=batch.id))


@bp.route("/desk/batches/<int:batch_id>")
@page("it")
def batch_page(principal, batch_id: int):
    batch = loans.get_batch(batch_id)
    of_batch = loans.loans_of_batch(batch)
    note_access("view", f"batch:{batch.id}", [loan.assignee_uid for loan in of_batch])
    return render_template("desk/batch.html", batch=batch, loans=of_batch)


@bp.route("/desk/return")
@page("it")
def return_lookup(principal):
    tag = request.args.get("tag", "").strip()
    if not tag:
        return render_template("desk/return.html", loan=None, form={})
    try:
        loan = loans.get_active_loan_for_asset(tag)
    except NotFound as exc:
        return render_template("desk/return.html", loan=None, form=request.args, error=exc.detail), 404
    note_access("view", f"loan:{loan.id}", [loan.assignee_uid])
    return render_template("desk/return.html", loan=loan, form={}, overdue_days=loans.days_overdue(loan))


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
        return rerender("desk/return.html", exc, lambda: {"loan": loans.get_loan(loan_id),
                                                          "overdue_days": loans.days_overdue(loan)})
    note_access("change", f"loan:{loan.id}", [loan.assignee_uid])
    return redirect(url_for("web.loan_page", loan_id=loan_id, done="return"))


def render_loan_page(loan, **context):
    """The desk's page of a loan: its forms, signatures, the history of its due date and what can be done next."""
    note_access("view", f"loan:{loan.id}", [loan.assignee_uid])
    context.setdefault("form", {})
    reports = incident_service.list_for_loan(loan)
    open_reports = [i for i in reports if i.status == "open"]
    swap_incident = next((i for i in open_reports if i.kind == "damaged"), None)
    return render_template("desk/loan.html", loan=loan, signed=documents.signed_versions(loan),
                           overdue=loans.is_overdue(loan), days_overdue=loans.days_overdue(loan),
                           done=request.args.get("done"), extensions=extension_service.list_for_loan(loan),
                           latest_due=extension_service.latest_day(loan), incidents=reports,
                           report_number=incident_service.report_number, swap_incident=swap_incident,
                           swap_incident_number=incident_service.report_number(swap_incident) if swap_incident
                           else None, **context)


@bp.route("/desk/loans/<int:loan_id>")
@page("it")
def loan_page(principal, loan_id: int):
    return render_loan_page(loans.get_loan(loan_id))


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
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationFailed("The signature is not a PNG image.", errors={"signature": ["Not a PNG."]})
    return data


@bp.route("/desk/documents/<int:document_id>/sign", methods=["POST"])
@page("it")
def sign(principal, document_id: int):
    """The assignee's (and the desk's) signature drawn on screen, placed into a new registered form."""
    document = documents.get_document(document_id)
    try:
        signed = documents.sign_form(document, principal, assignee_png=_png(request.form.get("assignee_signature")),
                                     staff_png=_png(request.form.get("staff_signature")),
                                     assignee_typed=request.form.get("assignee_typed_name"),
                                     staff_typed=request.form.get("staff_typed_name"))
    except FleetError as exc:
        status = refused(exc)
        loan = loans.get_loan(int(document.subject.split(":")[1])) if (document.subject or "").startswith("loan:") \
            else None
        if loan is None:
            raise
        return render_loan_page(loan, error=exc.detail, field_errors=exc.errors or {}, form=request.form), status
    note_access("change", f"document:{signed.id}", documents.people_of(signed))
    return redirect(url_for("web.loan_page", loan_id=int(signed.subject.split(":")[1]), signed=signed.id))


@bp.route("/loans")
@page("it", "auditor")
def loan_list(principal):
    overdue = request.args.get("overdue") == "1"
    result = loans.list_loans(principal, active=True, overdue=True if overdue else None, limit=100,
                              cursor=request.args.get("cursor") or None)
    note_access("search", "loans", [loan.assignee_uid for loan in result.items], listing=True,
                params={"active": True, "overdue": overdue or None})
    return render_template("loans.html", loans=result.items, next_cursor=result.next_cursor, overdue_only=overdue,
                           is_overdue=loans.is_overdue, days_overdue=loans.days_overdue)


@bp.route("/desk/labels", methods=["GET", "POST"])
@page("it")
def labels(principal):
    if request.method == "GET":
        return render_template("desk/labels.html", centers=all_centers(), form=request.args)
    form = request.form
    tags = [t for t in form.get("tags", "").replace("\n", ",").split(",") if t.strip()]
    try:
        document = label_service.issue_labels(principal, center=None if tags else form.get("center") or None,
                                              tags=tags or None)
    except FleetError as exc:
        return rerender("desk/labels.html", exc, lambda: {"centers": all_centers()})
    return redirect(url_for("documents.DocumentPdf", document_id=document.id))


@bp.route("/desk/leavers", methods=["GET", "POST"])
@page("it")
def leavers(principal):
    if request.method == "POST":
        try:
            directory_sync.sync_directory(get_directory(), principal.uid)
        except FleetError as exc:
            status = refused(exc)
            return render_template("desk/leavers.html", leavers=directory_sync.list_open_leavers(),
                                   error=exc.detail), status
        return redirect(url_for("web.leavers", checked=1))
    found = directory_sync.list_open_leavers()
    note_access("search", "directory:leavers", [finding.uid for finding in found], listing=True)
    return render_template("desk/leavers.html", leavers=found, checked=request.args.get("checked"))


@bp.route("/desk/outbox")
@page("it")
def outbox(principal):
    """The e-mails Fleet decided to send: queued, sent, failed (with the server's answer), and retry."""
    status = request.args.get("status") or None
    if status not in (None, *NOTIFICATION_STATUSES):
        status = None
    page_of = notifications.list_notifications(principal, status=status, limit=100,
                                               cursor=request.args.get("cursor") or None)
    note_access("search", "notifications", [n.recipient_uid for n in page_of.items], listing=True,
                params={"status": status})
    return render_template("desk/outbox.html", items=page_of.items, next_cursor=page_of.next_cursor, status=status,
                           counts=notifications.count_by_status(), retried=request.args.get("retried"))


@bp.route("/desk/outbox/<int:notification_id>/retry", methods=["POST"])
@page("it")
def outbox_retry(principal, notification_id: int):
    notification = notifications.get_notification(notification_id)
    try:
        notifications.retry(notification, principal)
    except FleetError as exc:
        status = refused(exc)
        return render_template("error.html", status=status, title=exc.title, detail=exc.detail), status
    note_access("change", f"notification:{notification.id}", [notification.recipient_uid])
    return redirect(url_for("web.outbox", status="failed", retried=notification_id))
