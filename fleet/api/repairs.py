from flask.views import MethodView

from fleet.api.common import SECURITY, documented_errors
from fleet.schemas.parsing import Blueprint
from fleet.schemas.repairs import (
    RepairCloseSchema,
    RepairCreateSchema,
    RepairPageSchema,
    RepairQueryArgsSchema,
    RepairSchema,
)
from fleet.security import require_principal, roles_required
from fleet.services import repairs as repair_service

blp = Blueprint("repairs", __name__, url_prefix="/api/v1", description="Repairs: assets sent to a vendor")
errors = documented_errors(blp)


STORED = ("id", "vendor", "ticket", "fault", "sent_at", "under_warranty", "status", "opened_by", "returned_at",
          "result", "cost", "note", "data_wiped", "asset_status_before", "asset_status_after", "closed_by")


def _out(repair) -> dict:
    """A repair as the API shows it: the stored fields, the asset's, and those computed from the clock."""
    return {**{name: getattr(repair, name) for name in STORED}, "asset_tag": repair.asset.asset_tag,
            "category": repair.asset.category, "center": repair.asset.center.code,
            "overdue": repair_service.is_overdue(repair), "days_open": repair_service.days_open(repair)}


@blp.route("/repairs")
class Repairs(MethodView):
    @roles_required("it", "auditor")
    @blp.arguments(RepairQueryArgsSchema(), location="query")
    @blp.response(200, RepairPageSchema)
    @errors(401, 403, 404, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Repairs, newest first; filters status, asset_tag, center, vendor, overdue (open longer than
        FLEET_REPAIR_DAYS) and under_warranty."""
        page = repair_service.list_repairs(**args)
        return {"items": [_out(r) for r in page.items], "next_cursor": page.next_cursor}

    @roles_required("it")
    @blp.arguments(RepairCreateSchema())
    @blp.response(201, RepairSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Send an asset in stock, in quarantine or in repair to a vendor: it becomes (or stays) in_repair.
        An asset on loan → 409 (take it back or swap it first), as is one already at a vendor, lost or retired."""
        return _out(repair_service.open_repair(require_principal(), **body))


@blp.route("/repairs/<int:repair_id>")
class RepairById(MethodView):
    @roles_required("it", "auditor")
    @blp.response(200, RepairSchema)
    @errors(401, 403, 404)
    @blp.doc(security=SECURITY)
    def get(self, repair_id):
        """One repair."""
        return _out(repair_service.get_repair(repair_id))


@blp.route("/repairs/<int:repair_id>/close")
class RepairClose(MethodView):
    @roles_required("it")
    @blp.arguments(RepairCloseSchema())
    @blp.response(200, RepairSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, repair_id):
        """The asset is back: fixed → in stock (a laptop whose data is not wiped → quarantine); beyond_repair →
        retired, the repair being the reason. A repair closed already → 409."""
        repair = repair_service.get_repair(repair_id)
        return _out(repair_service.close_repair(repair, require_principal(), **body))
