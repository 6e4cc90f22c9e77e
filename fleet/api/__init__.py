"""flask-smorest blueprints under /api/v1: thin MethodViews over fleet.services."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from fleet.schemas.common import ProblemSchema

PROBLEM_JSON = "application/problem+json"


class Api(SmorestApi):
    """flask-smorest's Api, documenting errors as problem+json and leaving error handling to fleet.problems."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        import http

        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_app(app: Flask) -> Api:
    from fleet.api import auth, health, people  # blueprints import services; keep create_app import-light

    api = Api(app, spec_kwargs={"servers": [{"url": "/"}]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for module in (health, auth, people):
        api.register_blueprint(module.blp)
    for module in _optional_modules():
        api.register_blueprint(module.blp)
    app.extensions["fleet_api"] = api
    return api


def _optional_modules():
    """Blueprints of the inventory, loans and documents parts, registered when present."""
    import importlib

    names = ["centers", "assets", "requests", "loans", "events", "directory_sync", "documents", "reports",
             "stocktakes", "labels"]
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(f"fleet.api.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"fleet.api.{name}":
                raise
    return modules
