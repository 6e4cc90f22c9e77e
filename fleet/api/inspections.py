from flask.views import MethodView

from fleet.access_log.recording import note_access
from fleet.api.common import SECURITY, documented_errors
from fleet.schemas.inspections import (
    DueInspectionArgsSchema,
    DueInspectionPageSchema,
    InspectionCreateSchema,
    InspectionSchema,
)
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import inspections as inspection_service

blp = Blueprint("inspections", __name__, url_prefix="/api/v1",
                description="Periodic inspections of devices on long loans (FLEET_INSPECTION_MONTHS)")
errors = documented_errors(blp)


def due_view(due) -> dict:
    loan = due.loan
    return {"asset_tag": loan.asset.asset_tag, "category": loan.asset.category, "center": loan.center.code,
            "loan_id": loan.id, "loan_number": loan.number,
            "assignee": {"uid": loan.assignee_uid, "name": loan.assignee_name,
                         "department": loan.assignee_department, "email": loan.assignee_email},
            "checked_out_at": loan.checked_out_at, "last_inspected_at": due.last_inspected_at,
            "due_on": due.due_on, "days_overdue": due.days_overdue}


def inspection_view(inspection) -> dict:
    loan = inspection_service.active_loan_of(inspection)
    swap = loan is not None and loan.status == "active" and inspection.result == "needs_repair"
    return {"id": inspection.id, "asset_tag": inspection.asset.asset_tag, "inspected_at": inspection.inspected_at,
            "inspected_by": inspection.inspected_by, "result": inspection.result, "note": inspection.note,
            "loan_id": inspection.loan_id, "swap_url": f"/api/v1/loans/{loan.id}/swap" if swap else None}


@blp.route("/inspections/due")
class DueInspections(MethodView):
    @roles_required("it")
    @blp.arguments(DueInspectionArgsSchema(), location="query")
    @blp.response(200, DueInspectionPageSchema)
    @errors(401, 403, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Devices on loan due for their periodic inspection today (local) or earlier: FLEET_INSPECTION_MONTHS
        after the last inspection, or after the hand-over."""
        page = inspection_service.list_due(**args)
        note_access("search", "inspections", [d.loan.assignee_uid for d in page.items], listing=True)
        return {"items": [due_view(d) for d in page.items], "next_cursor": page.next_cursor}


@blp.route("/assets/<tag>/inspections")
class AssetInspections(MethodView):
    @roles_required("it")
    @blp.arguments(InspectionCreateSchema())
    @blp.response(201, InspectionSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, tag):
        """Record an inspection (`ok` or `needs_repair`, with a note) as an `asset.inspected` event. For a device
        on loan that needs repair, `swap_url` points at the swap."""
        inspection = inspection_service.record_inspection(require_principal(), tag, **body)
        loan = inspection_service.active_loan_of(inspection)
        if loan is not None:  # a device on loan: the holder's loan gets the inspection (and perhaps a swap)
            note_access("create", f"inspection:{inspection.id}", [loan.assignee_uid])
        return inspection_view(inspection)
