import json
from dataclasses import asdict

from flask import Response, stream_with_context
from flask.views import MethodView

from fleet.access_log.recording import filters_of, note_access, people_in_events
from fleet.access_log.rules import require_reason
from fleet.api.common import SECURITY, documented_errors
from fleet.schemas.events import (
    ChainVerificationSchema,
    CheckpointPageSchema,
    CheckpointQueryArgsSchema,
    EventPageSchema,
    EventQueryArgsSchema,
    ExportArgsSchema,
)
from fleet.schemas.parsing import Blueprint
from fleet.security import roles_required
from fleet.services import event_export
from fleet.services import events as event_service

blp = Blueprint("events", __name__, url_prefix="/api/v1", description="The tamper-evident event log")
errors = documented_errors(blp)


def event_view(event) -> dict:
    return {"seq": event.seq, "at": event.at, "actor": event.actor, "action": event.action,
            "subject": f"{event.subject_type}:{event.subject_id}", "subject_type": event.subject_type,
            "subject_id": event.subject_id, "data": json.loads(event.data), "prev_hash": event.prev_hash,
            "hash": event.hash}


@blp.route("/events")
class Events(MethodView):
    @roles_required("it", "auditor")
    @blp.arguments(EventQueryArgsSchema(), location="query")
    @blp.response(200, EventPageSchema)
    @errors(401, 403, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """The event log in order of `seq`, filtered by subject, actor, action and time."""
        page = event_service.list_events(**args)
        note_access("search", "events", people_in_events(page.items), listing=True, params=filters_of(args))
        return {"items": [event_view(e) for e in page.items], "next_cursor": page.next_cursor}


@blp.route("/events/verify")
class EventsVerify(MethodView):
    @roles_required("it", "auditor")
    @blp.response(200, ChainVerificationSchema)
    @errors(401, 403)
    @blp.doc(security=SECURITY)
    def get(self):
        """Recompute the whole hash chain: `valid`, `count`, `head`, `first_bad_seq`."""
        return asdict(event_service.verify_chain())


def checkpoint_view(checkpoint) -> dict:
    return {"seq": checkpoint.seq, "head_hash": checkpoint.head_hash, "at": checkpoint.at,
            "signature": checkpoint.signature, "fingerprint": checkpoint.fingerprint,
            "certificate": checkpoint.certificate}


@blp.route("/events/checkpoints")
class EventCheckpoints(MethodView):
    @roles_required("it", "auditor")
    @blp.arguments(CheckpointQueryArgsSchema(), location="query")
    @blp.response(200, CheckpointPageSchema)
    @errors(401, 403, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """The signed checkpoints of the event log in order of `seq`: each signs (seq, head hash, time) with the
        organisation's key. Empty while Fleet runs without a signing key."""
        page = event_service.list_checkpoints(**args)
        return {"items": [checkpoint_view(c) for c in page.items], "next_cursor": page.next_cursor}


EXPORT_RESPONSE = {
    "description": "JSON Lines (docs/event-log.md): a header line, one line per event with everything its hash "
                   "covers, then every signed checkpoint. Check it offline: `python -m fleet.verify FILE --cert "
                   "org-ca.pem`.",
    "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
}


@blp.route("/events/export")
class EventsExport(MethodView):
    @roles_required("it", "auditor")
    @blp.arguments(ExportArgsSchema(), location="query")
    @blp.doc(security=SECURITY, responses={"200": EXPORT_RESPONSE})
    @errors(401, 403, 422)
    def get(self, args):
        """The event log for offline verification, streamed: the events from `from` to `to` (times; the whole log
        without them) and the signed checkpoints. Needs `reason` (it names people): 422 without it."""
        reason = require_reason(args.get("reason"))
        scope = event_export.export_range(args["since"], args["until"])
        note_access("export", "events", listing=True, reason=reason,
                    params={"from_seq": scope.from_seq, "to_seq": scope.to_seq})
        return Response(stream_with_context(event_export.export_lines(scope)), mimetype="application/x-ndjson",
                        headers={"Content-Disposition": f'attachment; filename="events-{scope.from_seq}-'
                                                        f'{scope.to_seq}.jsonl"'})
