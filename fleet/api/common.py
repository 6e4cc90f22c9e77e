"""What the API blueprints share."""

from __future__ import annotations

from http import HTTPStatus

from flask import abort
from flask_smorest import Blueprint

from fleet.access_log.recording import record_change_now
from fleet.db import commit_or_refusal

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


def committed(answer: dict) -> dict:
    """Commit the view's change now, with the access entries it noted, and answer `answer` (plain values, read
    before the commit). The answer is then serialized after the commit: on SQLite the write lock is not held while
    it is. The request's commit hook then finds nothing left to do."""
    record_change_now()
    refusal = commit_or_refusal()
    if refusal is not None:
        abort(refusal)
    return answer
