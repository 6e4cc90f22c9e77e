from flask.views import MethodView

from fleet.access_log.recording import filters_of, note_access
from fleet.api.common import SECURITY, committed, documented_errors
from fleet.api.documents import document_ref
from fleet.schemas.loans import (
    BatchSchema,
    BulkLoanCreateSchema,
    LoanCreateSchema,
    LoanLostSchema,
    LoanPageSchema,
    LoanQueryArgsSchema,
    LoanReturnSchema,
    LoanSchema,
)
from fleet.schemas.parsing import Blueprint
from fleet.schemas.quick import QuickDump
from fleet.security import get_directory, require_principal, roles_required
from fleet.services import loans as loan_service

blp = Blueprint("loans", __name__, url_prefix="/api/v1", description="Hand-over and return of devices")
errors = documented_errors(blp)
LOAN_ANSWER = QuickDump(LoanSchema())  # the hand-over's and the return's answer (fleet.schemas.quick)


def loan_view(loan) -> dict:
    """A loan as the API shows it (fields computed from the stored loan)."""
    returned = loan.accessories_returned
    return {
        "id": loan.id, "number": loan.number, "asset_tag": loan.asset.asset_tag, "category": loan.asset.category,
        "center": loan.center.code,
        "assignee": {"uid": loan.assignee_uid, "name": loan.assignee_name,
                     "employee_number": loan.assignee_employee_number, "department": loan.assignee_department,
                     "email": loan.assignee_email},
        "issued_by": loan.issued_by, "checked_out_at": loan.checked_out_at, "due_date": loan.due_date,
        "returned_at": loan.returned_at, "received_by": loan.received_by, "status": loan.status,
        "overdue": loan_service.is_overdue(loan), "days_overdue": loan_service.days_overdue(loan),
        "request_id": loan.request_id, "batch_id": loan.batch_id, "accessories": loan.accessories_out or [],
        "condition": loan.condition_out, "note": loan.note, "return_condition": loan.return_condition,
        "accessories_returned": returned,
        "accessories_missing": None if returned is None
        else [a for a in loan.accessories_out or [] if a not in returned],
        "damage_notes": loan.damage_notes, "data_wiped": loan.data_wiped,
        "handover_document": document_ref(loan.handover_document_id),
        "return_document": document_ref(loan.return_document_id),
    }


def _order(body: dict) -> loan_service.HandoverOrder:
    return loan_service.HandoverOrder(**body)


@blp.route("/loans")
class Loans(MethodView):
    @roles_required()
    @blp.arguments(LoanQueryArgsSchema(), location="query")
    @blp.response(200, LoanPageSchema)
    @errors(401, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Loans, newest first. Employees see their own only."""
        page = loan_service.list_loans(require_principal(), **args)
        note_access("search", "loans", [loan.assignee_uid for loan in page.items], listing=True,
                    params=filters_of(args))
        return {"items": [loan_view(loan) for loan in page.items], "next_cursor": page.next_cursor}

    @roles_required("it")
    @blp.arguments(LoanCreateSchema())
    @blp.response(201, LoanSchema)
    @errors(400, 401, 403, 404, 409, 422, 503)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Hand an in-stock asset over. The assignee is checked against the directory now:
        unknown, disabled or not eligible → 422 saying which; the directory down → 503. An asset booked
        for someone else for a period the loan would overlap (running now, or starting before the due
        day) → 409 naming the booked period."""
        loan = loan_service.hand_over(get_directory(), _order(body), require_principal(), attach=False)
        note_access("create", f"loan:{loan.id}", [loan.assignee_uid])
        return committed(loan_view(loan), LOAN_ANSWER, 201)


@blp.route("/loans/bulk")
class BulkLoans(MethodView):
    @roles_required("it")
    @blp.arguments(BulkLoanCreateSchema())
    @blp.response(201, BatchSchema)
    @errors(400, 401, 403, 404, 409, 422, 503)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Hand many devices over in one step (emergencies): all or none, one batch form.
        Errors name their row as `loans.<index>.<field>`."""
        batch = loan_service.hand_over_many(get_directory(), [_order(o) for o in body["loans"]],
                                            require_principal(), note=body.get("note"))
        loans = loan_service.loans_of_batch(batch)
        note_access("create", f"batch:{batch.id}", [loan.assignee_uid for loan in loans])
        return {"id": batch.id, "number": batch.number, "issued_by": batch.issued_by, "created_at": batch.created_at,
                "note": batch.note, "loans": [loan_view(loan) for loan in loans],
                "batch_document": document_ref(batch.document_id)}


@blp.route("/loans/<string:loan_ref>")
class LoanById(MethodView):
    @roles_required()
    @blp.response(200, LoanSchema)
    @errors(401, 404)
    @blp.doc(security=SECURITY)
    def get(self, loan_ref):
        """One loan, by id or by number (L-2026-000042). Employees: their own only."""
        principal = require_principal()
        loan = loan_service.read_loan(loan_ref)
        loan_service.check_can_read(loan, principal)
        note_access("view", f"loan:{loan.id}", [loan.assignee_uid])
        return loan_view(loan)


@blp.route("/loans/<string:loan_ref>/return")
class LoanReturn(MethodView):
    @roles_required("it")
    @blp.arguments(LoanReturnSchema())
    @blp.response(200, LoanSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, loan_ref):
        """Take a device back: condition, accessories returned, damage notes, data wiped.
        The asset goes to in_stock, quarantine (laptop not wiped) or in_repair (damaged)."""
        loan = loan_service.read_loan(loan_ref)
        note_access("change", f"loan:{loan.id}", [loan.assignee_uid])
        return committed(loan_view(loan_service.take_back(loan, require_principal(), **body)), LOAN_ANSWER, 200)


@blp.route("/loans/<string:loan_ref>/lost")
class LoanLost(MethodView):
    @roles_required("it")
    @blp.arguments(LoanLostSchema())
    @blp.response(200, LoanSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, loan_ref):
        """Close an active loan as lost; the asset becomes lost."""
        loan = loan_service.read_loan(loan_ref)
        note_access("change", f"loan:{loan.id}", [loan.assignee_uid])
        return loan_view(loan_service.mark_lost(loan, require_principal(), body["reason"]))
