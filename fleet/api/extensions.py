"""Extensions of loans: thin views over fleet.services.extensions."""

from flask.views import MethodView

from fleet.access_log.recording import filters_of, note_access
from fleet.api.common import SECURITY, documented_errors
from fleet.schemas.extensions import (
    ExtensionCreateSchema,
    ExtensionDecisionSchema,
    ExtensionListSchema,
    ExtensionPageSchema,
    ExtensionQueryArgsSchema,
    ExtensionSchema,
)
from fleet.schemas.parsing import Blueprint
from fleet.security import get_directory, require_principal, roles_required
from fleet.services import extensions as extension_service
from fleet.services import loans as loan_service

blp = Blueprint("extensions", __name__, url_prefix="/api/v1", description="Extensions of loans")
errors = documented_errors(blp)


def extension_view(ext, principal) -> dict:
    """Reasons and decision notes are personal data: only the assignee and IT staff see them."""
    view = {"id": ext.id, "loan_id": ext.loan_id, "loan_number": ext.loan.number, "status": ext.status,
            "due_from": ext.due_from, "until": ext.until, "requested_by": ext.requested_by,
            "requested_at": ext.requested_at, "decided_by": ext.decided_by, "decided_at": ext.decided_at}
    if extension_service.can_see_personal_data(ext, principal):
        view.update(reason=ext.reason, decision_note=ext.decision_note)
    return view


@blp.route("/loans/<string:loan_ref>/extensions")
class LoanExtensions(MethodView):
    @roles_required()
    @blp.response(200, ExtensionListSchema)
    @errors(401, 404)
    @blp.doc(security=SECURITY)
    def get(self, loan_ref):
        """A loan's extensions, oldest first: the history of its due date. Employees: their own loans only.
        Auditors get them without `reason` and `decision_note` (personal data)."""
        principal = require_principal()
        loan = loan_service.get_loan_by_ref(loan_ref)
        loan_service.check_can_read(loan, principal)
        note_access("view", f"loan:{loan.id}", [loan.assignee_uid], params={"part": "extensions"})
        return {"items": [extension_view(e, principal) for e in extension_service.list_for_loan(loan)]}

    @roles_required("it", "employee")
    @blp.arguments(ExtensionCreateSchema())
    @blp.response(201, ExtensionSchema)
    @errors(400, 401, 403, 404, 409, 422, 503)
    @blp.doc(security=SECURITY)
    def post(self, body, loan_ref):
        """Ask to extend an active loan to `until`, with a `reason` (the assignee or IT staff).

        The assignee's extension is `pending` until IT staff decide; IT staff's is approved at once, with the
        approval's checks: the assignee is asked in the directory now (422 saying why, 503 when it is down),
        `until` at most FLEET_MAX_LOAN_DAYS from the hand-over (422), and a booking of the asset for someone else
        starting before `until` is a 409 naming the booked period. 409 when the loan is closed or already has a
        pending extension."""
        principal = require_principal()
        loan = loan_service.get_loan_by_ref(loan_ref)
        ext = extension_service.request_extension(get_directory(), principal, loan, **body)
        note_access("create", f"extension:{ext.id}", [loan.assignee_uid])
        return extension_view(ext, principal)


@blp.route("/extensions")
class Extensions(MethodView):
    @roles_required()
    @blp.arguments(ExtensionQueryArgsSchema(), location="query")
    @blp.response(200, ExtensionPageSchema)
    @errors(401, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Extensions, newest first: IT staff and auditors all (auditors without `reason` and `decision_note`),
        an employee those of their own loans. `?status=pending` is what the desk still has to decide."""
        principal = require_principal()
        page = extension_service.list_extensions(principal, **args)
        note_access("search", "extensions", [e.loan.assignee_uid for e in page.items], listing=True,
                    params=filters_of(args))
        return {"items": [extension_view(e, principal) for e in page.items], "next_cursor": page.next_cursor}


@blp.route("/extensions/<int:extension_id>")
class ExtensionById(MethodView):
    @roles_required()
    @blp.response(200, ExtensionSchema)
    @errors(401, 404)
    @blp.doc(security=SECURITY)
    def get(self, extension_id):
        """One extension. Employees: those of their own loans only; auditors without the personal data."""
        principal = require_principal()
        ext = extension_service.get_extension(extension_id)
        extension_service.check_can_read(ext, principal)
        note_access("view", f"extension:{ext.id}", [ext.loan.assignee_uid])
        return extension_view(ext, principal)


@blp.route("/extensions/<int:extension_id>/approve")
class ExtensionApprove(MethodView):
    @roles_required("it")
    @blp.arguments(ExtensionDecisionSchema())
    @blp.response(200, ExtensionSchema)
    @errors(400, 401, 403, 404, 409, 422, 503)
    @blp.doc(security=SECURITY)
    def post(self, body, extension_id):
        """Approve a pending extension (IT staff, never the assignee themself): the loan's due date moves.

        The assignee is asked in the directory now (422 saying why, 503 when it is down); 422 beyond
        FLEET_MAX_LOAN_DAYS from the hand-over; 409 naming the period when the asset is booked for someone else
        before the new date, and 409 when the extension is no longer pending or the loan is closed (also when
        another approval or a return won at the same moment)."""
        principal = require_principal()
        ext = extension_service.get_extension(extension_id)
        ext = extension_service.approve_extension(get_directory(), ext, principal, body["note"])
        note_access("change", f"extension:{ext.id}", [ext.loan.assignee_uid])
        return extension_view(ext, principal)


@blp.route("/extensions/<int:extension_id>/reject")
class ExtensionReject(MethodView):
    @roles_required("it")
    @blp.arguments(ExtensionDecisionSchema())
    @blp.response(200, ExtensionSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, extension_id):
        """Reject a pending extension (IT staff, never the assignee themself), with a note; the due date stays.
        409 when it is no longer pending."""
        principal = require_principal()
        ext = extension_service.get_extension(extension_id)
        ext = extension_service.reject_extension(ext, principal, body["note"])
        note_access("change", f"extension:{ext.id}", [ext.loan.assignee_uid])
        return extension_view(ext, principal)
