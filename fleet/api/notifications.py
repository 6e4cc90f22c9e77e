"""The notification outbox: thin views over fleet.services.notifications."""

from flask.views import MethodView

from fleet.access_log.recording import filters_of, note_access
from fleet.api.common import SECURITY, documented_errors
from fleet.schemas.notifications import NotificationPageSchema, NotificationQueryArgsSchema, NotificationSchema
from fleet.schemas.parsing import Blueprint
from fleet.security import require_principal, roles_required
from fleet.services import notifications as notification_service

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="E-mails Fleet sends, and their fate")
errors = documented_errors(blp)


def notification_view(n) -> dict:
    data = n.data or {}
    return {"id": n.id, "kind": n.kind, "recipient": n.recipient_uid, "to_address": n.to_address,
            "cc_address": n.cc_address, "language": n.language, "status": n.status, "attempts": n.attempts,
            "next_attempt_at": n.next_attempt_at, "last_error": n.last_error, "subject": n.subject,
            "message_id": n.message_id, "loan_id": data.get("loan_id"), "request_id": data.get("request_id"),
            "document_id": n.document_id, "created_at": n.created_at, "sent_at": n.sent_at}


@blp.route("/notifications")
class Notifications(MethodView):
    @roles_required()
    @blp.arguments(NotificationQueryArgsSchema(), location="query")
    @blp.response(200, NotificationPageSchema)
    @errors(401, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """The outbox, newest first: IT staff see every message (`?recipient=` for one person's), anyone else
        the ones sent to them. `status`: `queued`, `sending`, `sent` or `failed`."""
        page = notification_service.list_notifications(require_principal(), **args)
        note_access("search", "notifications", [n.recipient_uid for n in page.items], listing=True,
                    params=filters_of(args))
        return {"items": [notification_view(n) for n in page.items], "next_cursor": page.next_cursor}


@blp.route("/notifications/<int:notification_id>/retry")
class NotificationRetry(MethodView):
    @roles_required("it")
    @blp.response(200, NotificationSchema)
    @errors(401, 403, 404, 409)
    @blp.doc(security=SECURITY)
    def post(self, notification_id: int):
        """Queue a failed message again (after fixing the address in the directory, say); 409 unless it failed."""
        notification = notification_service.get_notification(notification_id)
        note_access("change", f"notification:{notification.id}", [notification.recipient_uid])
        return notification_view(notification_service.retry(notification, require_principal()))
