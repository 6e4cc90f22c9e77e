"""Incident reports and swaps: thin views over fleet.services.incidents and fleet.services.swaps."""

from flask.views import MethodView

from fleet.access_log.recording import filters_of, note_access
from fleet.api.common import SECURITY, documented_errors
from fleet.api.documents import PDF_RESPONSE, document_ref, send_pdf
from fleet.api.loans import loan_view
from fleet.db import write_intent
from fleet.schemas.incidents import (
    IncidentCreateSchema,
    IncidentPageSchema,
    IncidentQueryArgsSchema,
    IncidentResolveSchema,
    IncidentSchema,
    SwapCreateSchema,
    SwapSchema,
)
from fleet.schemas.parsing import Blueprint
from fleet.security import get_directory, require_principal, roles_required
from fleet.services import incidents as incident_service
from fleet.services import loans as loan_service
from fleet.services import swaps as swap_service

blp = Blueprint("incidents", __name__, url_prefix="/api/v1", description="Incident reports and swaps")
errors = documented_errors(blp)


def incident_view(incident) -> dict:
    loan = incident.loan
    return {"id": incident.id, "number": incident_service.report_number(incident), "loan_id": loan.id,
            "loan_number": loan.number, "asset_tag": loan.asset.asset_tag, "kind": incident.kind,
            "happened_at": incident.happened_at, "place": incident.place, "description": incident.description,
            "reported_by": incident.reported_by, "reported_at": incident.reported_at,
            "reported_within_24h": incident.reported_within_24h, "status": incident.status,
            "resolution": incident.resolution, "resolution_note": incident.resolution_note,
            "resolved_by": incident.resolved_by, "resolved_at": incident.resolved_at,
            "replacement_loan_id": incident.replacement_loan_id,
            "report_document": document_ref(incident.document_id)}


@blp.route("/loans/<string:loan_ref>/incidents")
class LoanIncidents(MethodView):
    @roles_required()
    @blp.arguments(IncidentCreateSchema())
    @blp.response(201, IncidentSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, loan_ref):
        """Report a loss, theft or damage of the device of your active loan (the assignee only): `kind`,
        `happened_at`, `place`, `description`. The report is kept as made, with the moment it reached Fleet
        (`reported_within_24h`); the IT desk gets a mail. 409 when the loan is closed."""
        loan = loan_service.get_loan_by_ref(loan_ref)
        return incident_view(incident_service.report_incident(require_principal(), loan, **body))


@blp.route("/incidents")
class Incidents(MethodView):
    @roles_required()
    @blp.arguments(IncidentQueryArgsSchema(), location="query")
    @blp.response(200, IncidentPageSchema)
    @errors(401, 404, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Incident reports, newest first: IT staff and auditors all, an employee their own. `?status=open` is
        what the desk still has to act on."""
        page = incident_service.list_incidents(require_principal(), **args)
        note_access("search", "incidents", [i.loan.assignee_uid for i in page.items], listing=True,
                    params=filters_of(args))
        return {"items": [incident_view(i) for i in page.items], "next_cursor": page.next_cursor}


@blp.route("/incidents/<int:incident_id>")
class IncidentById(MethodView):
    @roles_required()
    @blp.response(200, IncidentSchema)
    @errors(401, 404)
    @blp.doc(security=SECURITY)
    def get(self, incident_id):
        """One report (an employee: their own only)."""
        incident = incident_service.get_incident(incident_id)
        incident_service.check_can_read(incident, require_principal())
        note_access("view", f"incident:{incident.id}", [incident.loan.assignee_uid])
        return incident_view(incident)


@blp.route("/incidents/<int:incident_id>/close")
class IncidentClose(MethodView):
    @roles_required("it")
    @blp.arguments(IncidentResolveSchema())
    @blp.response(200, IncidentSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, incident_id):
        """Act on an open report (IT staff) and close it, linked to what was done: `mark_lost` (the loan closes
        as lost), `take_back` (the device comes back damaged, with its return form) or `resolve` (with a `note`).
        409 when the report or its loan is already closed."""
        principal = require_principal()
        incident = incident_service.get_incident(incident_id)
        action = body["action"]
        if action == "mark_lost":
            incident = incident_service.mark_lost(incident, principal, body["note"])
        elif action == "take_back":
            incident = incident_service.take_back_damaged(
                incident, principal, accessories_returned=body["accessories_returned"],
                data_wiped=body["data_wiped"], damage_notes=body["damage_notes"])
        else:
            incident = incident_service.resolve(incident, principal, body["note"] or "")
        note_access("change", f"incident:{incident.id}", [incident.loan.assignee_uid])
        return incident_view(incident)


@blp.route("/incidents/<int:incident_id>/report.pdf")
class IncidentReportPdf(MethodView):
    @write_intent
    @roles_required()
    @blp.doc(responses={"200": PDF_RESPONSE})
    @errors(401, 404, 409, 503)
    @blp.doc(security=SECURITY)
    def get(self, incident_id):
        """The theft or loss report as a registered PDF (the assignee, IT staff, auditors): issued on the first
        request, the same bytes afterwards. 409 for a damage report."""
        principal = require_principal()
        incident = incident_service.get_incident(incident_id)
        document = incident_service.issue_theft_report(incident, principal)
        note_access("print", f"incident:{incident.id}", [incident.loan.assignee_uid])
        return send_pdf(document.content, document.filename)


@blp.route("/loans/<string:loan_ref>/swap")
class LoanSwap(MethodView):
    @roles_required("it")
    @blp.arguments(SwapCreateSchema())
    @blp.response(201, SwapSchema)
    @errors(400, 401, 403, 404, 409, 422, 503)
    @blp.doc(security=SECURITY)
    def post(self, body, loan_ref):
        """Swap a broken device in one step (IT staff): the return of the loan's device (the return's fields; to
        in_repair or quarantine as a return decides) and the hand-over of `asset_tag` to the same person, due the
        same day, with the live directory check (422 saying why, 503 when it is down), both forms, both events
        and one mail. All or nothing: 409 when the replacement is not in stock (or is booked for someone else),
        and nothing changes. With `incident_id`, the open report it answers closes, linked to the new loan."""
        principal = require_principal()
        loan = loan_service.get_loan_by_ref(loan_ref)
        incident_id = body.pop("incident_id")
        incident = incident_service.get_incident(incident_id) if incident_id else None
        done = swap_service.swap(get_directory(), loan, principal, incident=incident, **body)
        note_access("change", f"loan:{done.returned.id}", [done.returned.assignee_uid])
        note_access("create", f"loan:{done.handed_over.id}", [done.handed_over.assignee_uid])
        return {"returned": loan_view(done.returned), "handed_over": loan_view(done.handed_over)}
