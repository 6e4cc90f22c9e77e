from flask import request
from flask.views import MethodView

from fleet.access_log.recording import note_access, people_in_events
from fleet.api.common import SECURITY, documented_errors
from fleet.api.events import event_view
from fleet.errors import ValidationFailed
from fleet.schemas.assets import (
    AssetCreateSchema,
    AssetPageSchema,
    AssetQueryArgsSchema,
    AssetSchema,
    AssetStatusSchema,
    AssetUpdateSchema,
    ImportResultSchema,
)
from fleet.schemas.common import PageArgsSchema
from fleet.schemas.events import EventPageSchema
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import asset_import
from fleet.services import assets as asset_service
from fleet.services import events as event_service

blp = Blueprint("assets", __name__, url_prefix="/api/v1", description="Devices: laptops and center equipment")
errors = documented_errors(blp)


@blp.route("/assets")
class Assets(MethodView):
    @roles_required("it", "auditor")
    @blp.arguments(AssetQueryArgsSchema(), location="query")
    @blp.response(200, AssetPageSchema)
    @errors(401, 403, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Assets in order of registration, filtered by status, center, category and text."""
        page = asset_service.list_assets(**args)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @roles_required("it")
    @blp.arguments(AssetCreateSchema())
    @blp.response(201, AssetSchema)
    @errors(400, 401, 403, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Register a device; it starts in stock at its home center."""
        return asset_service.create_asset(require_principal(), **body)


@blp.route("/assets/import")
class AssetImport(MethodView):
    @roles_required("it")
    @blp.response(201, ImportResultSchema)
    @errors(400, 401, 403, 413, 415, 422)
    @blp.doc(security=SECURITY, requestBody={"required": True, "content": {"text/csv": {"schema": {
        "type": "string", "example": "asset_tag,serial_number,category,manufacturer,model,center,accessories\n"
                                     "NB-0001,SN1,laptop,LG,gram 16,JJ,charger;bag\n"}}}})
    def post(self):
        """Import assets from CSV (UTF-8, a header row; accessories separated by `;`): every row or none.
        Errors are keyed `row N, column`, rows numbered as in the file (the header is row 1)."""
        if request.mimetype != "text/csv":
            raise ValidationFailed("Send the file as text/csv.", errors={"file": ["Content-Type must be text/csv."]})
        return {"created": asset_import.import_assets(request.get_data(), require_principal())}


@blp.route("/assets/<string:tag>")
class AssetByTag(MethodView):
    @roles_required("it", "auditor")
    @blp.response(200, AssetSchema)
    @errors(401, 403, 404)
    @blp.doc(security=SECURITY)
    def get(self, tag):
        """One asset."""
        return asset_service.get_asset(tag)

    @roles_required("it")
    @blp.arguments(AssetUpdateSchema())
    @blp.response(200, AssetSchema)
    @errors(400, 401, 403, 404, 422)
    @blp.doc(security=SECURITY)
    def patch(self, body, tag):
        """Change an asset's details (not its tag, not its status)."""
        return asset_service.update_asset(asset_service.get_asset(tag), require_principal(), **body)


@blp.route("/assets/<string:tag>/status")
class AssetStatus(MethodView):
    @roles_required("it")
    @blp.arguments(AssetStatusSchema())
    @blp.response(200, AssetSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, tag):
        """A life-cycle move made by hand, with a reason; an illegal one is a 409 naming the current status.

        in_stock → lost | retired (disposal of stock, 불용 처분); on_loan → lost (closes the loan);
        quarantine → in_stock (with wipe_method); in_repair → in_stock | retired; lost → in_stock; retired is final.
        """
        return asset_service.move_status(asset_service.get_asset(tag), require_principal(), **body)


@blp.route("/assets/<string:tag>/history")
class AssetHistory(MethodView):
    @roles_required("it", "auditor")
    @blp.arguments(PageArgsSchema(), location="query")
    @blp.response(200, EventPageSchema)
    @errors(401, 403, 404)
    @blp.doc(security=SECURITY)
    def get(self, args, tag):
        """The asset's own events and those of its loans, oldest first."""
        asset = asset_service.get_asset(tag)
        page = event_service.list_asset_history(asset, **args)
        note_access("search", f"asset:{asset.asset_tag}", people_in_events(page.items), listing=True)
        return {"items": [event_view(e) for e in page.items], "next_cursor": page.next_cursor}
