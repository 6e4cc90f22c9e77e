from flask import Response
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fleet.access_log.recording import note_access
from fleet.access_log.rules import PERSONAL_REPORTS, REASON_MAX, require_reason
from fleet.api.common import SECURITY, documented_errors
from fleet.db import write_intent
from fleet.downloads import send_pdf
from fleet.errors import ValidationFailed
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import audit_reports

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Audit reports, as PDF and CSV")
errors = documented_errors(blp)
NAMES = list(audit_reports.REPORTS)
ANY_NAME = ", ".join(NAMES)  # the URL converter's list: every registered report, and nothing else
PDF = {"description": "The report; registered as a document (its id is in X-Fleet-Document-Id)",
       "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
       "headers": {"X-Fleet-Document-Id": {"schema": {"type": "integer"}}}}
CSV = {"description": "The report as CSV (UTF-8 with a BOM); registered as a document",
       "content": {"text/csv": {"schema": {"type": "string"}}},
       "headers": {"X-Fleet-Document-Id": {"schema": {"type": "integer"}}}}


class ReportArgsSchema(Schema):
    as_of = fields.Date(load_default=None, metadata={"description": "inventory, replacement: the date to report "
                                                                    "as of"})
    center = fields.String(load_default=None, validate=validate.Length(max=32),
                           metadata={"description": "inventory, replacement, repairs, incidents: one center's code"})
    from_date = fields.Date(load_default=None, data_key="from",
                            metadata={"description": "loans, requests, events, utilisation, repairs, incidents"})
    to_date = fields.Date(load_default=None, data_key="to",
                          metadata={"description": "loans, requests, events, utilisation, repairs, incidents"})
    days = fields.Integer(load_default=None, validate=validate.Range(min=0, max=3650),
                          metadata={"description": "replacement: warranties ending within this many days (90)"})
    reason = fields.String(load_default=None, validate=validate.Length(max=REASON_MAX), metadata={
        "description": "why: required for the reports with personal data (loans, overdue, leavers, requests, "
                       "events, incidents); kept in the access log"})

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("from_date") and data.get("to_date") and data["to_date"] < data["from_date"]:
            raise ValidationError("Must not be before from.", "to")


# The name each parameter has in the query string (from_date is `from`), read from the schema once.
WIRE_NAMES = {key: field.data_key or key for key, field in ReportArgsSchema().fields.items()}
TAKES = {"inventory": ("as_of", "center"), "loans": ("from_date", "to_date"), "requests": ("from_date", "to_date"),
         "events": ("from_date", "to_date"), "utilisation": ("from_date", "to_date"),
         "replacement": ("as_of", "days", "center"), "repairs": ("from_date", "to_date", "center"),
         "incidents": ("from_date", "to_date", "center")}


def _params(name: str, args: dict) -> dict:
    """The parameters this report takes; one it does not take is refused, as an unknown parameter is, rather than
    ignored (an auditor would otherwise get another report than the one asked for)."""
    takes = TAKES.get(name, ())
    refused = [WIRE_NAMES[key] for key, value in args.items()
               if value is not None and key not in takes and key != "reason"]  # any report may be given a reason
    if refused:
        listed = ", ".join(WIRE_NAMES[key] for key in takes) or "none"
        raise ValidationFailed(f"The {name} report does not take: {', '.join(refused)}. It takes: {listed}.",
                               errors={key: [f"Not a parameter of the {name} report."] for key in refused})
    return {key: args.get(key) for key in takes}


REPORT_ERRORS = (401, 403, 404, 422)


def _reason(name: str, args: dict) -> str | None:
    """A report with personal data needs a reason (422 naming `reason`), checked before anything is gathered."""
    return require_reason(args.get("reason")) if name in PERSONAL_REPORTS else None


def _note(name: str, args: dict, reason: str | None, fmt: str) -> None:
    if name in PERSONAL_REPORTS:
        params = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in _params(name, args).items()}
        people = audit_reports.report_people(name, **_params(name, args))
        note_access("download", f"report:{name}", people, listing=True, subject_count=len(people), reason=reason,
                    params={**params, "format": fmt})


@blp.route(f"/reports/<any({ANY_NAME}):name>.pdf")
class ReportPdf(MethodView):
    @write_intent
    @roles_required("it", "auditor")
    @blp.arguments(ReportArgsSchema(), location="query")
    @blp.doc(security=SECURITY, responses={"200": PDF})
    @errors(*REPORT_ERRORS, 503)
    def get(self, args, name):
        """A report as PDF: inventory (as_of, center), loans (from, to), overdue, leavers, requests (from, to),
        events (from, to), utilisation of bookings per center and category (from, to), replacement: assets past
        their useful life (FLEET_USEFUL_LIFE) or whose warranty ends within `days` (as_of, days, center), repairs
        per center, category and warranty (from, to, center), incidents: losses, thefts and damage reported, per
        center and kind, with the device, the person and the state (from, to, center). Every PDF is registered as
        a document."""
        reason = _reason(name, args)
        document = audit_reports.issue_pdf(name, require_principal(), **_params(name, args))
        _note(name, args, reason, "pdf")
        response = send_pdf(document.content, document.filename)
        response.headers["X-Fleet-Document-Id"] = str(document.id)
        return response


@blp.route(f"/reports/<any({ANY_NAME}):name>.csv")
class ReportCsv(MethodView):
    @write_intent
    @roles_required("it", "auditor")
    @blp.arguments(ReportArgsSchema(), location="query")
    @blp.doc(security=SECURITY, responses={"200": CSV})
    @errors(*REPORT_ERRORS, 503)
    def get(self, args, name):
        """The same report as CSV, registered as a document like the PDF (its id is in X-Fleet-Document-Id)."""
        reason = _reason(name, args)
        document = audit_reports.issue_csv(audit_reports.gather(name, **_params(name, args)), require_principal())
        _note(name, args, reason, "csv")
        return Response(document.content, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                                 "X-Fleet-Document-Id": str(document.id)})
