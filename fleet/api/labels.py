from flask.views import MethodView
from marshmallow import Schema, fields, validate

from fleet.api.common import documented_errors
from fleet.db import write_intent
from fleet.downloads import send_pdf
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import labels as label_service

blp = Blueprint("labels", __name__, url_prefix="/api/v1", description="Asset labels with QR codes")
errors = documented_errors(blp)


class LabelArgsSchema(Schema):
    center = fields.String(load_default=None, validate=validate.Length(max=32))
    # The whole URL must fit gunicorn's request line (8190 bytes, gunicorn.conf.py), commas sent as %2C: the
    # labels page (a form) takes up to MAX_LABELS tags, this query a few hundred.
    tags = fields.String(load_default=None, validate=validate.Length(max=4000),
                         metadata={"description": "Asset tags separated by commas (up to 4,000 characters; the "
                                                  "labels page takes longer lists)"})


@blp.route("/labels.pdf")
class Labels(MethodView):
    @write_intent
    @roles_required("it")
    @blp.arguments(LabelArgsSchema(), location="query")
    @blp.doc(security=[{"bearerAuth": []}], responses={"200": {
        "description": "The label sheet, registered as a document (its id is in X-Fleet-Document-Id)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {"X-Fleet-Document-Id": {"schema": {"type": "integer"}}}}})
    @errors(401, 403, 422, 503)
    def get(self, args):
        """A sheet of labels (QR code and tag) for `?center=` or `?tags=a,b,c`."""
        tags = [t for t in (args["tags"] or "").split(",") if t.strip()] or None
        document = label_service.issue_labels(require_principal(), center=args["center"], tags=tags)
        response = send_pdf(document.content, document.filename)
        response.headers["X-Fleet-Document-Id"] = str(document.id)
        return response
