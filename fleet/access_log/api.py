"""The access log's API, for the privacy officer: entries, verification, export, the monthly review and its
sign-off. Reading the log is itself an access to personal data (who looked at whom): it is recorded too."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response, stream_with_context
from flask.views import MethodView

from fleet.access_log import chain, review
from fleet.access_log.recording import note_access
from fleet.access_log.rules import require_reason
from fleet.access_log.schemas import (
    AccessExportArgsSchema,
    AccessPageSchema,
    AccessQueryArgsSchema,
    AccessVerificationSchema,
    ReviewArgsSchema,
    ReviewSignedSchema,
    ReviewSignOffSchema,
)
from fleet.api.common import SECURITY, documented_errors
from fleet.api.documents import send_pdf
from fleet.db import write_intent
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import audit_reports

blp = Blueprint("access_log", __name__, url_prefix="/api/v1",
                description="The personal-data access log (접속기록) and its monthly review: privacy officers only")
errors = documented_errors(blp)
EXPORT_RESPONSE = {
    "description": "JSON Lines as the event log's export (docs/access-log.md, format fleet-access-export-v2); "
                   "check it offline with `python -m fleet.verify FILE --cert org-ca.pem`.",
    "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
}
PDF = {"description": "The review; registered as a document (its id is in X-Fleet-Document-Id)",
       "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
       "headers": {"X-Fleet-Document-Id": {"schema": {"type": "integer"}}}}
CSV = {"description": "The review as CSV (UTF-8 with a BOM); registered as a document",
       "content": {"text/csv": {"schema": {"type": "string"}}},
       "headers": {"X-Fleet-Document-Id": {"schema": {"type": "integer"}}}}


def _filters(args: dict) -> dict:
    return {"actor": args.get("actor"), "subject": args.get("subject"), "action": args.get("action"),
            "from": args["since"].isoformat() if args.get("since") else None,
            "to": args["until"].isoformat() if args.get("until") else None}


@blp.route("/access-log")
class AccessLog(MethodView):
    @roles_required("privacy")
    @blp.arguments(AccessQueryArgsSchema(), location="query")
    @blp.response(200, AccessPageSchema)
    @errors(401, 403, 422, 503)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Access entries, newest first; filters `actor`, `subject` (a uid whose data was shown), `action`, `from`,
        `to` (times); keyset pages."""
        page = chain.list_entries(**args)
        items = [chain.entry_view(entry) for entry in page.items]
        people = {item["actor"] for item in items} | {uid for item in items for uid in item["subjects"]}
        note_access("search", "access-log", people, listing=True, params=_filters(args))
        return {"items": items, "next_cursor": page.next_cursor}


@blp.route("/access-log/verify")
class AccessLogVerify(MethodView):
    @roles_required("privacy")
    @blp.response(200, AccessVerificationSchema)
    @errors(401, 403)
    @blp.doc(security=SECURITY)
    def get(self):
        """Recompute the kept chain: `valid`, `count`, `first_bad_seq` (and where the kept chain starts)."""
        return asdict(chain.verify_access_log())


@blp.route("/access-log/export")
class AccessLogExport(MethodView):
    @roles_required("privacy")
    @blp.arguments(AccessExportArgsSchema(), location="query")
    @blp.doc(security=SECURITY, responses={"200": EXPORT_RESPONSE})
    @errors(401, 403, 422, 503)
    def get(self, args):
        """The access log for offline verification, streamed (needs `reason`): the kept entries from `from` to `to`
        and every signed checkpoint."""
        reason = require_reason(args.get("reason"))
        scope = chain.export_range(args["since"], args["until"])
        note_access("export", "access-log", listing=True, subject_count=max(scope.to_seq - scope.from_seq + 1, 0),
                    reason=reason, params={"from_seq": scope.from_seq, "to_seq": scope.to_seq})
        return Response(stream_with_context(chain.export_lines(scope)), mimetype="application/x-ndjson",
                        headers={"Content-Disposition": f'attachment; filename="access-log-{scope.from_seq}-'
                                                        f'{scope.to_seq}.jsonl"'})


@blp.route("/access-log/reviews")
class AccessReviews(MethodView):
    @roles_required("privacy")
    @blp.arguments(ReviewSignOffSchema())
    @blp.response(201, ReviewSignedSchema)
    @errors(400, 401, 403, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Sign a month that is over off, with a note: an event in the event log. 409 when it was signed off."""
        return review.sign_off(require_principal().uid, body["month"], body.get("note"))


def _review_download(args: dict, fmt: str):
    principal = require_principal()
    reason = require_reason(args.get("reason"))
    data = review.review_report(args["month"])
    if fmt == "pdf":
        document = audit_reports.render_pdf(data, principal)
    else:
        document = audit_reports.issue_csv(data, principal)
    note_access("download", "report:access-review", listing=True, reason=reason,
                params={"month": args["month"], "format": fmt})
    return document


@blp.route("/reports/access-review.pdf")
class AccessReviewPdf(MethodView):
    @write_intent
    @roles_required("privacy")
    @blp.arguments(ReviewArgsSchema(), location="query")
    @blp.doc(security=SECURITY, responses={"200": PDF})
    @errors(401, 403, 422, 503)
    def get(self, args):
        """The monthly review (`month=YYYY-MM`, `reason`): accesses per account and action, every download with its
        reason, and the flags. Registered and signed like every report."""
        document = _review_download(args, "pdf")
        response = send_pdf(document.content, document.filename)
        response.headers["X-Fleet-Document-Id"] = str(document.id)
        return response


@blp.route("/reports/access-review.csv")
class AccessReviewCsv(MethodView):
    @write_intent
    @roles_required("privacy")
    @blp.arguments(ReviewArgsSchema(), location="query")
    @blp.doc(security=SECURITY, responses={"200": CSV})
    @errors(401, 403, 422, 503)
    def get(self, args):
        """The same review as CSV, registered as a document."""
        document = _review_download(args, "csv")
        return Response(document.content, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "X-Fleet-Document-Id": str(document.id)})
