"""flask-smorest blueprints under /api/v1: thin MethodViews over fleet.services."""

from __future__ import annotations

import http

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from fleet.access_log import api as access_log
from fleet.api import (
    assets,
    auth,
    centers,
    directory_sync,
    disposals,
    documents,
    events,
    extensions,
    health,
    incidents,
    inspections,
    labels,
    loans,
    notifications,
    people,
    repairs,
    reports,
    requests,
    reservations,
    stocktakes,
)
from fleet.api.query import KnownQueryParameters
from fleet.schemas.common import ProblemSchema

PROBLEM_JSON = "application/problem+json"
BLUEPRINTS = (health, auth, people, centers, assets, requests, loans, events, directory_sync, documents, reports,
              stocktakes, labels, notifications, reservations, repairs, disposals,
              inspections, extensions, incidents, access_log)


class Api(SmorestApi):
    """flask-smorest's Api, documenting errors as problem+json and leaving error handling to fleet.problems."""

    ERROR_SCHEMA = ProblemSchema
    # No catch-all `default` response: each operation lists the statuses it answers, so a client (and the API
    # fuzz run's status-code check) can rely on the list.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """fleet.problems handles every error, in one format."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)


class UrlLimitPlugin(BasePlugin):
    """Any operation's URL can be longer than gunicorn takes (gunicorn.conf.py): 414, answered as a problem. Any
    operation refuses a query parameter it does not know (fleet.api.query): 422."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("414", http.HTTPStatus(414).name)
            responses.setdefault("422", http.HTTPStatus(422).name)


def init_app(app: Flask) -> Api:
    api = Api(app, spec_kwargs={"servers": [{"url": "/"}], "extra_plugins": [UrlLimitPlugin()]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    app.extensions["fleet_api"] = api
    app.before_request(KnownQueryParameters(app, api.spec, {module.blp.name for module in BLUEPRINTS}).check)
    return api
