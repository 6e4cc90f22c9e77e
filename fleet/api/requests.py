"""Requests for devices and the queue: thin views over fleet.services.requests."""

from flask.views import MethodView

from fleet.access_log.recording import filters_of, note_requests
from fleet.api.common import SECURITY, documented_errors
from fleet.schemas.parsing import Blueprint
from fleet.schemas.requests import (
    DecisionSchema,
    RequestCreateSchema,
    RequestPageSchema,
    RequestQueryArgsSchema,
    RequestSchema,
)
from fleet.security import get_directory, require_principal, roles_required
from fleet.services import requests as request_service

blp = Blueprint("requests", __name__, url_prefix="/api/v1", description="Requests for devices and the queue")
errors = documented_errors(blp)

def request_view(req, principal, position: int | None = None) -> dict:
    """Reasons, notes and queue places are personal data: only the requester and IT staff see them."""
    view = {"id": req.id, "requester": req.requester_uid, "requester_name": req.requester_name,
            "category": req.category, "needed_from": req.needed_from, "needed_until": req.needed_until,
            "center": req.center.code if req.center else None, "status": req.status,
            "decided_by": req.decided_by, "decided_at": req.decided_at, "created_at": req.created_at}
    if request_service.can_see_personal_data(req, principal):
        view.update(reason=req.reason, note=req.note, decision_note=req.decision_note, position=position)
    return view


def _one(request_id: int):
    principal = require_principal()
    req = request_service.get_request(request_id)
    request_service.check_can_read(req, principal)
    return req, principal


@blp.route("/requests")
class Requests(MethodView):
    @roles_required()
    @blp.arguments(RequestQueryArgsSchema(), location="query")
    @blp.response(200, RequestPageSchema)
    @errors(401, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Requests: employees see their own, IT staff and auditors all.

        `?status=pending` is the queue in priority order (reason, then time of request), each
        with its `position` in the whole pending queue; other lists are newest first.
        Auditors get every request without `reason`, `note`, `decision_note` and `position`
        (personal data; the queue order would betray reasons too, so their lists are
        always newest first).
        """
        principal = require_principal()
        page = request_service.list_requests(principal, **args)
        note_requests("search", "requests", page.items, principal, listing=True, params=filters_of(args))
        return {"items": [request_view(r, principal, page.positions.get(r.id)) for r in page.items],
                "next_cursor": page.next_cursor}

    @roles_required()
    @blp.arguments(RequestCreateSchema())
    @blp.response(201, RequestSchema)
    @errors(400, 401, 409, 422, 503)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Ask for a device, for yourself (IT staff: for `requester`).

        422 with `errors` per field for bad input, an unknown center or a requester who is
        not active in the directory; 409 when the person already has an open (pending or
        approved) request for the category; 503 when the directory cannot be reached.
        """
        principal = require_principal()
        req = request_service.create_request(get_directory(), principal, **body)
        note_requests("create", f"request:{req.id}", [req], principal)
        return request_view(req, principal, request_service.queue_position(req))


@blp.route("/requests/<int:request_id>")
class RequestById(MethodView):
    @roles_required()
    @blp.response(200, RequestSchema)
    @errors(401, 404)
    @blp.doc(security=SECURITY)
    def get(self, request_id):
        """One request. An employee sees only their own: anyone else's answers 404.

        Auditors get it without `reason`, `note`, `decision_note` and `position` (personal data).
        """
        req, principal = _one(request_id)
        note_requests("view", f"request:{req.id}", [req], principal)
        return request_view(req, principal, request_service.queue_position(req))


def _decision_view(action, doc: str):
    @roles_required("it")
    @blp.arguments(DecisionSchema())
    @blp.response(200, RequestSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, request_id):
        req, principal = _one(request_id)
        note_requests("change", f"request:{req.id}", [req], principal)
        return request_view(action(req, principal, body.get("note")), principal)

    post.__doc__ = doc
    return post


@blp.route("/requests/<int:request_id>/approve")
class RequestApprove(MethodView):
    post = _decision_view(request_service.approve_request, """Approve a pending request (IT staff), with a note.

    409 naming the current status when the request is not pending (also when another
    decision won at the same moment).""")


@blp.route("/requests/<int:request_id>/reject")
class RequestReject(MethodView):
    post = _decision_view(request_service.reject_request, """Reject a pending request (IT staff), with a note.

    409 naming the current status when the request is not pending (also when another
    decision won at the same moment).""")


@blp.route("/requests/<int:request_id>/cancel")
class RequestCancel(MethodView):
    @roles_required()
    @blp.arguments(DecisionSchema())
    @blp.response(200, RequestSchema)
    @errors(400, 401, 403, 404, 409, 422)
    @blp.doc(security=SECURITY)
    def post(self, body, request_id):
        """Cancel a pending or approved request: IT staff, or the requester themself.

        Another employee's request answers 404, an auditor gets 403; 409 naming the current
        status when the request is no longer open.
        """
        req, principal = _one(request_id)
        note_requests("change", f"request:{req.id}", [req], principal)
        return request_view(request_service.cancel_request(req, principal, body.get("note")), principal)
