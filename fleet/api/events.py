import json
from dataclasses import asdict

from flask.views import MethodView
from flask_smorest import Blueprint

from fleet.api.common import SECURITY, documented_errors
from fleet.schemas.events import (
    ChainVerificationSchema,
    CheckpointPageSchema,
    CheckpointQueryArgsSchema,
    EventPageSchema,
    EventQueryArgsSchema,
)
from fleet.security import roles_required
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
