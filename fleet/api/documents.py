import hashlib
from dataclasses import asdict
from io import BytesIO

from flask import request, send_file, url_for
from flask.views import MethodView

from fleet.access_log.recording import note_access
from fleet.api.common import SECURITY, documented_errors
from fleet.db import write_intent
from fleet.downloads import send_pdf
from fleet.errors import ValidationFailed
from fleet.schemas.documents import DocumentSchema, VerificationSchema
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import documents as document_service
from fleet.services.signatures import check_pdf_signature

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="The register of issued documents")
errors = documented_errors(blp)
PDF_RESPONSE = {"description": "The registered PDF, byte for byte (a registered report CSV: the CSV, as text/csv)",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
                            "text/csv": {"schema": {"type": "string"}}}}


def document_url(document_id: int) -> str:
    """A registered document's PDF address, as `url_for` builds it: built once per script root (a loan's answer
    names up to two, and `url_for` spends some 15 µs on each), then filled in with the number."""
    root = request.script_root
    template = _URL_TEMPLATES.get(root)
    if template is None:
        built = url_for("documents.DocumentPdf", document_id=_PLACEHOLDER)
        template = _URL_TEMPLATES[root] = built.replace(str(_PLACEHOLDER), "{}")
    return template.format(document_id)


_PLACEHOLDER = 918273645  # a number no other part of the address holds
_URL_TEMPLATES: dict[str, str] = {}


def document_ref(document_id: int | None) -> dict | None:
    """How an answer names a registered document (a loan's forms, a batch's, a report's): its id and address."""
    if document_id is None:
        return None
    return {"id": document_id, "url": document_url(document_id)}


def signature_view(check) -> dict:
    return {**asdict(check), "genuine": check.genuine}


def document_view(document) -> dict:
    return {"id": document.id, "kind": document.kind, "subject": document.subject, "title": document.title,
            "filename": document.filename, "sha256": document.sha256, "size": document.size,
            "created_at": document.created_at, "created_by": document.created_by,
            "supersedes": document.supersedes_id,
            "url": document_url(document.id)}


def note_document(action: str, document) -> None:
    """A form names its assignee(s); a report names whoever it lists: its download is an access too."""
    note_access(action, f"document:{document.id}", document_service.people_of(document),
                listing=document.kind == "report", params={"kind": document.kind, "subject": document.subject})


def _readable_document(document_id: int):
    principal = require_principal()
    document = document_service.get_document(document_id)
    document_service.check_can_read(document, principal)
    return document_service.ensure_rendered(document)


@blp.route("/documents/<int:document_id>")
class DocumentById(MethodView):
    @write_intent
    @roles_required()
    @blp.response(200, DocumentSchema)
    @errors(401, 404, 503)
    @blp.doc(security=SECURITY)
    def get(self, document_id):
        """A registered document: kind, sha256, who and when. The loan's assignee, IT staff and auditors."""
        document = _readable_document(document_id)
        note_document("view", document)
        return document_view(document)


@blp.route("/documents/<int:document_id>.pdf")
class DocumentPdf(MethodView):
    @write_intent
    @roles_required()
    @blp.doc(responses={"200": PDF_RESPONSE})
    @errors(401, 404, 503)
    @blp.doc(security=SECURITY)
    def get(self, document_id):
        """The PDF's bytes; the same bytes every time."""
        document = _readable_document(document_id)
        note_document("print" if document.kind != "report" else "download", document)
        if document.media_type != "application/pdf":
            return send_file(BytesIO(document.content), mimetype=document.media_type, as_attachment=True,
                             download_name=document.filename, max_age=0)
        return send_pdf(document.content, document.filename)


@blp.route("/documents/verify")
class DocumentVerify(MethodView):
    @blp.response(200, VerificationSchema)
    @errors(400, 401, 403, 413, 422)
    @blp.doc(security=SECURITY, requestBody={"required": True, "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}})
    @roles_required("it", "auditor")
    def post(self):
        """Upload a PDF (raw `application/pdf` body or a multipart `file`): is it a registered document, and which?"""
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise ValidationFailed("Upload the PDF in the field `file`.", errors={"file": ["Missing."]})
            content = upload.read()
        else:
            content = request.get_data()
        document = document_service.verify_pdf(content)
        if document is not None:
            note_document("view", document)
        return {"registered": document is not None, "sha256": hashlib.sha256(content).hexdigest(),
                "document": document_view(document) if document else None,
                "signature": signature_view(check_pdf_signature(content))}
