"""What the API blueprints share."""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, abort, current_app

from fleet.access_log.recording import record_change_now
from fleet.db import commit_or_refusal
from fleet.schemas.parsing import Blueprint
from fleet.schemas.quick import QuickDump

SECURITY = [{"bearerAuth": []}]


def documented_errors(blp: Blueprint):
    """`@errors(401, 404, …)`: document each status as a problem+json response of this blueprint."""

    def errors(*codes: int):
        def decorator(func):
            for code in reversed(codes):
                func = blp.alt_response(code, response=HTTPStatus(code).name)(func)
            return func

        return decorator

    return errors


def committed(answer: dict, dump: QuickDump, status: int) -> Response:
    """Commit the view's change now, with the access entries it noted, and answer `answer` (plain values, read
    before the commit) as `dump` gives it, with `status`. The answer is serialized after the commit: on SQLite the
    write lock is not held while it is. The request's commit hook then finds nothing left to do, and the view's
    `@blp.response` (which documents the answer) passes the response on as it is."""
    record_change_now()
    refusal = commit_or_refusal()
    if refusal is not None:
        abort(refusal)
    response = current_app.json.response(dump(answer))
    response.status_code = status
    return response
