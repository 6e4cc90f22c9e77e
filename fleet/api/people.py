from flask.views import MethodView

from fleet.access_log.recording import note_access
from fleet.api.common import documented_errors
from fleet.schemas.auth import PersonSchema
from fleet.schemas.parsing import Blueprint
from fleet.security import get_directory, require_principal
from fleet.services import people as people_service

blp = Blueprint("people", __name__, url_prefix="/api/v1", description="People, as the directory knows them")
errors = documented_errors(blp)


@blp.route("/people/<string:uid>")
class PersonByUid(MethodView):
    @blp.response(200, PersonSchema)
    @errors(401, 403, 404, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, uid):
        """A directory entry with `active`, `eligible` and open loans. Employees may read only themselves."""
        view = people_service.get_person_view(get_directory(), require_principal(), uid)
        note_access("view", f"person:{uid}", [uid])
        return view
