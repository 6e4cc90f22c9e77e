from flask.views import MethodView

from fleet.api.common import SECURITY, documented_errors
from fleet.api.documents import document_ref
from fleet.schemas.disposals import DisposalCreateSchema, DisposalSchema
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import disposals as disposal_service

blp = Blueprint("disposals", __name__, url_prefix="/api/v1",
                description="Disposal in one step (불용 처분): in-stock assets retired with one list")
errors = documented_errors(blp)


def disposal_view(disposal) -> dict:
    return {"id": disposal.id, "number": disposal.number, "reason": disposal.reason,
            "decided_by": disposal.decided_by, "created_at": disposal.created_at, "items": disposal.items,
            "purchase_cost_total": disposal_service.total_cost(disposal),
            "document": document_ref(disposal.document_id)}


@blp.route("/disposals")
class Disposals(MethodView):
    @roles_required("it")
    @blp.arguments(DisposalCreateSchema())
    @blp.response(201, DisposalSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Retire a list of in-stock assets with one reason and register the disposal list PDF (불용 결정 목록:
        each asset's age and purchase cost, with a 결재란). All or nothing: an asset not in stock → 409 naming
        it, an unknown tag → 404, and nothing is retired. One event per asset and one for the list."""
        return disposal_view(disposal_service.dispose(require_principal(), **body))


@blp.route("/disposals/<int:disposal_id>")
class DisposalById(MethodView):
    @roles_required("it", "auditor")
    @blp.response(200, DisposalSchema)
    @errors(401, 403, 404)
    @blp.doc(security=SECURITY)
    def get(self, disposal_id):
        """One disposal list, with its registered PDF."""
        return disposal_view(disposal_service.get_disposal(disposal_id))
