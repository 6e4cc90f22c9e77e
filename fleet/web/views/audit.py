"""Auditors (and IT staff): reports, the event log with its verification, checking a PDF against the register."""

from __future__ import annotations

from datetime import date

from flask import Response, render_template, request

from fleet.access_log.recording import note_access, people_in_events
from fleet.access_log.rules import PERSONAL_REPORTS, require_reason
from fleet.db import write_intent
from fleet.downloads import send_pdf
from fleet.errors import FleetError, ValidationFailed
from fleet.services import audit_reports, documents, events
from fleet.services.signatures import check_pdf_signature, signing_key
from fleet.web.views.common import all_centers, bp, page, refused

# Which parameters each report takes (the same as the API's).
REPORT_PARAMS = {"inventory": ("as_of", "center"), "loans": ("from", "to"), "overdue": (), "leavers": (),
                 "requests": ("from", "to"), "events": ("from", "to"), "utilisation": ("from", "to"),
                 "replacement": ("as_of", "days", "center"), "repairs": ("from", "to", "center"),
                 "incidents": ("from", "to", "center")}


def _reports_page(**context):
    return render_template("audit/reports.html", reports=REPORT_PARAMS, centers=all_centers(),
                           args=request.args, personal=PERSONAL_REPORTS, **context)


@bp.route("/audit")
@page("it", "auditor")
def audit_home(principal):
    return _reports_page()


def _day(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValidationFailed("Give the dates as YYYY-MM-DD.", errors={name: ["Not a date (YYYY-MM-DD)."]}) from None


def _whole_number(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailed("Some fields are not valid; see errors.", errors={name: ["Not a whole number."]})
    return int(text)


REPORT_ROUTE = f"/audit/reports/<any({', '.join(REPORT_PARAMS)}):name>"


@bp.route(REPORT_ROUTE + ".<any(pdf, csv):fmt>")
@page("it", "auditor")
@write_intent
def report(principal, name: str, fmt: str):
    """A report, with its parameters; the PDF and the CSV are registered as documents, as through the API. A report
    with personal data needs a reason, kept in the access log."""
    try:
        reason = require_reason(request.args.get("reason")) if name in PERSONAL_REPORTS else None
        if name == "inventory":
            params = {"as_of": _day("as_of"), "center": request.args.get("center") or None}
        elif name == "replacement":
            params = {"as_of": _day("as_of"), "days": _whole_number("days"),
                      "center": request.args.get("center") or None}
        elif name in ("loans", "requests", "events", "utilisation", "repairs", "incidents"):
            params = {"from_date": _day("from"), "to_date": _day("to")}
            if name in ("repairs", "incidents"):
                params["center"] = request.args.get("center") or None
            if params["from_date"] and params["to_date"] and params["to_date"] < params["from_date"]:
                raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
        else:
            params = {}
        data = audit_reports.gather(name, **params)
        if fmt == "csv":
            document = audit_reports.issue_csv(data, principal)
        else:
            document = audit_reports.render_pdf(data, principal)
    except FleetError as exc:
        status = refused(exc)
        return _reports_page(error=exc.detail, failed=name, field_errors=exc.errors or {}), status
    if name in PERSONAL_REPORTS:
        people = audit_reports.report_people(name, **params)
        note_access("download", f"report:{name}", people, listing=True, subject_count=len(people), reason=reason,
                    params={**{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in params.items()},
                            "format": fmt})
    if fmt == "csv":
        return Response(document.content, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"', "X-Fleet-Document-Id": str(document.id)})
    response = send_pdf(document.content, document.filename, inline=False)  # a report is kept, not just read
    response.headers["X-Fleet-Document-Id"] = str(document.id)
    return response


@bp.route("/audit/events")
@page("it", "auditor")
def audit_events(principal):
    filters = {k: (request.args.get(k) or "").strip() or None for k in ("actor", "action", "subject")}
    error, result = None, None
    try:
        result = events.list_events(limit=100, cursor=request.args.get("cursor") or None, **filters)
    except FleetError as exc:
        refused(exc)
        error = exc.detail
    if result:
        note_access("search", "events", people_in_events(result.items), listing=True, params=filters)
    check = events.verify_chain() if request.args.get("verify") else None
    checkpoints = events.list_checkpoints(limit=500).items  # the first page of them; the API has all
    return render_template("audit/events.html", events=result.items if result else [],
                           checkpoints=checkpoints[-5:][::-1], signing=signing_key(),
                           next_cursor=result.next_cursor if result else None, filters=filters, check=check,
                           next_args={k: v for k, v in filters.items() if v},
                           head=events.head_hash(), error=error), (200 if result else 422)


@bp.route("/audit/verify", methods=["GET", "POST"])
@page("it", "auditor")
def audit_verify(principal):
    if request.method == "GET":
        return render_template("audit/verify.html", checked=False)
    upload = request.files.get("file")
    try:
        content = upload.read() if upload else b""
        document = documents.verify_pdf(content)
    except FleetError as exc:
        status = refused(exc)
        return render_template("audit/verify.html", checked=False, error=exc.detail), status
    if document is not None:
        note_access("view", f"document:{document.id}", documents.people_of(document),
                    params={"kind": document.kind, "subject": document.subject})
    return render_template("audit/verify.html", checked=True, document=document, signature=check_pdf_signature(
                           content), filename=upload.filename if upload else "")
