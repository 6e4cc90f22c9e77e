from flask.views import MethodView

from fleet.api.common import SECURITY, documented_errors
from fleet.schemas.centers import (
    CenterCreateSchema,
    CenterPageSchema,
    CenterQueryArgsSchema,
    CenterSchema,
    CenterUpdateSchema,
)
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import centers as center_service

blp = Blueprint("centers", __name__, url_prefix="/api/v1", description="Smart work centers and other sites")
errors = documented_errors(blp)


@blp.route("/centers")
class Centers(MethodView):
    @roles_required()
    @blp.arguments(CenterQueryArgsSchema(), location="query")
    @blp.response(200, CenterPageSchema)
    @errors(401, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Every center, in order of registration."""
        page = center_service.list_centers(**args)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @roles_required("it")
    @blp.arguments(CenterCreateSchema())
    @blp.response(201, CenterSchema)
    @errors(400, 401, 403, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Register a center (IT staff)."""
        return center_service.create_center(require_principal(), **body)


@blp.route("/centers/<string:code>")
class CenterByCode(MethodView):
    @roles_required()
    @blp.response(200, CenterSchema)
    @errors(401, 404)
    @blp.doc(security=SECURITY)
    def get(self, code):
        """One center."""
        return center_service.get_center(code)

    @roles_required("it")
    @blp.arguments(CenterUpdateSchema())
    @blp.response(200, CenterSchema)
    @errors(400, 401, 403, 404, 422)
    @blp.doc(security=SECURITY)
    def patch(self, body, code):
        """Change a center's name, kind, address or seats (IT staff)."""
        return center_service.update_center(center_service.get_center(code), require_principal(), **body)
