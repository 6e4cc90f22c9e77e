from flask.views import MethodView

from fleet.access_log.recording import note_access
from fleet.api.common import documented_errors
from fleet.schemas.directory_sync import SyncResultSchema
from fleet.schemas.parsing import Blueprint
from fleet.security import get_directory, require_principal, roles_required
from fleet.services import directory_sync

blp = Blueprint("directory_sync", __name__, url_prefix="/api/v1", description="Checks against the staff directory")
errors = documented_errors(blp)


def leaver_view(finding) -> dict:
    loan = finding.loan
    return {"id": finding.id, "uid": finding.uid, "name": loan.assignee_name, "reason": finding.reason,
            "found_at": finding.found_at, "loan_id": loan.id, "loan_number": loan.number,
            "asset_tag": loan.asset.asset_tag, "due_date": loan.due_date}


@blp.route("/directory/sync")
class DirectorySync(MethodView):
    @roles_required("it")
    @blp.response(200, SyncResultSchema)
    @errors(401, 403, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self):
        """Check every open loan's assignee against the directory; answers the leavers holding devices."""
        findings = directory_sync.sync_directory(get_directory(), require_principal().uid)
        note_access("search", "directory:leavers", [f.uid for f in findings], listing=True)
        return {"leavers": [leaver_view(f) for f in findings]}


@blp.route("/directory/leavers")
class Leavers(MethodView):
    @roles_required("it", "auditor")
    @blp.response(200, SyncResultSchema)
    @errors(401, 403)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Leavers found by earlier syncs who still hold a device."""
        findings = directory_sync.list_open_leavers()
        note_access("search", "directory:leavers", [f.uid for f in findings], listing=True)
        return {"leavers": [leaver_view(f) for f in findings]}
