"""What the API blueprints share."""

from __future__ import annotations

from http import HTTPStatus

from flask_smorest import Blueprint

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
