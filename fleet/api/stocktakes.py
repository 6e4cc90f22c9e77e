from flask.views import MethodView

from fleet.api.common import SECURITY, documented_errors
from fleet.api.documents import document_ref
from fleet.db import write_intent
from fleet.downloads import send_pdf
from fleet.schemas.parsing import Blueprint
from fleet.schemas.stocktakes import (
    ScanCreateSchema,
    ScanSchema,
    StocktakeCreateSchema,
    StocktakeResultSchema,
    StocktakeSchema,
)
from fleet.security import require_principal, roles_required
from fleet.services import stocktakes as stocktake_service

blp = Blueprint("stocktakes", __name__, url_prefix="/api/v1", description="Stocktakes of a center")
errors = documented_errors(blp)
REPORT_PDF = {"description": "The stocktake report, registered as a document (its id is in X-Fleet-Document-Id)",
              "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
              "headers": {"X-Fleet-Document-Id": {"schema": {"type": "integer"}}}}


def stocktake_view(stocktake) -> dict:
    return {"id": stocktake.id, "center": stocktake.center.code, "status": stocktake.status,
            "started_by": stocktake.started_by, "started_at": stocktake.started_at, "closed_by": stocktake.closed_by,
            "closed_at": stocktake.closed_at, "scans": stocktake_service.scan_count(stocktake),
            "result": stocktake_service.current_result(stocktake),
            "report": document_ref(stocktake.document_id)}


@blp.route("/stocktakes")
class Stocktakes(MethodView):
    @roles_required("it")
    @blp.arguments(StocktakeCreateSchema())
    @blp.response(201, StocktakeSchema)
    @errors(400, 401, 403, 422)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Start a stocktake of a center."""
        return stocktake_view(stocktake_service.start_stocktake(require_principal(), body["center"]))


@blp.route("/stocktakes/<int:stocktake_id>")
class StocktakeById(MethodView):
    @roles_required("it", "auditor")
    @blp.response(200, StocktakeSchema)
    @errors(401, 403, 404)
    @blp.doc(security=SECURITY)
    def get(self, stocktake_id):
        """A stocktake, with its result so far (or as closed)."""
        return stocktake_view(stocktake_service.get_stocktake(stocktake_id))


@blp.route("/stocktakes/<int:stocktake_id>/scans")
class StocktakeScans(MethodView):
    @roles_required("it")
    @blp.arguments(ScanCreateSchema())
    @blp.response(201, ScanSchema)
    @blp.alt_response(200, schema=ScanSchema, description="The tag was scanned before (harmless)")
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, stocktake_id):
        """Record a scanned tag (as a barcode scanner types it); answers what it is."""
        result = stocktake_service.scan(stocktake_service.get_stocktake(stocktake_id), require_principal(),
                                        body["asset_tag"])
        view = {"asset_tag": result.scan.asset_tag, "duplicate": result.duplicate, "known": result.known,
                "expected_here": result.expected_here, "status": result.status, "home_center": result.home_center}
        return view, 200 if result.duplicate else 201


@blp.route("/stocktakes/<int:stocktake_id>/close")
class StocktakeClose(MethodView):
    @roles_required("it")
    @blp.response(200, StocktakeResultSchema)
    @errors(401, 403, 404, 409)
    @blp.doc(security=SECURITY)
    def post(self, stocktake_id):
        """Close the stocktake: expected (count), found, missing, unexpected."""
        stocktake = stocktake_service.close_stocktake(stocktake_service.get_stocktake(stocktake_id),
                                                      require_principal())
        return stocktake.result


@blp.route("/stocktakes/<int:stocktake_id>/report.pdf")
class StocktakeReport(MethodView):
    @write_intent
    @roles_required("it", "auditor")
    @blp.doc(security=SECURITY, responses={"200": REPORT_PDF})
    @errors(401, 403, 404, 503)
    def get(self, stocktake_id):
        """The stocktake report as PDF, registered as a document: a closed stocktake's report is issued once and
        the same bytes are served after; an open one gets an interim report each time."""
        document = stocktake_service.issue_report(stocktake_service.get_stocktake(stocktake_id), require_principal())
        response = send_pdf(document.content, document.filename)
        response.headers["X-Fleet-Document-Id"] = str(document.id)
        return response
