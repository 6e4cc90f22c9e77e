"""The app factory: settings, extensions, blueprints, CLI and the request cycle."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from fleet import api as api_package
from fleet import cli, limits, problems, signing, web
from fleet.access_log import recording as access_recording
from fleet.config import load_settings
from fleet.db import commit_or_refusal, declare_write_intent, work_pending
from fleet.directory import directory_from_config
from fleet.extensions import db, migrate
from fleet.services.actor_check import ActorChecks

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def create_app(config: dict | None = None) -> Flask:
    """Build the app. Nothing connects here: the database and the directory are reached lazily."""
    instance = os.environ.get("FLEET_INSTANCE_PATH")
    app = Flask("fleet", instance_relative_config=True, static_folder="web/static",  # the package, as before
                instance_path=os.path.abspath(instance) if instance else None)
    config = dict(config or {})
    directory = config.pop("FLEET_DIRECTORY", None)
    app.config.from_mapping(load_settings(app.instance_path, config))
    # A key that is configured but missing, unreadable, expired or not its certificate's stops the start here.
    app.extensions["fleet_signing_key"] = signing.load_signing_key(app.config)
    app.json.ensure_ascii = False  # Korean names read as Korean, not \uXXXX
    if app.config["FLEET_PROXY_COUNT"]:
        # Behind N reverse proxies: the client's address (log-in limits) and scheme come from their headers.
        proxies = app.config["FLEET_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    app.extensions["fleet_directory"] = directory = directory or directory_from_config(app.config)
    # Per process: when each caller's status and roles were last asked of the directory (fleet.security).
    app.extensions["fleet_actor_checks"] = ActorChecks(app.config["FLEET_ROLE_RECHECK_SECONDS"])
    if hasattr(directory, "log_settings_problems"):
        directory.log_settings_problems(app.logger)  # a refused or risky TLS setting is said at start

    problems.init_app(app)
    api_package.init_app(app)
    cli.init_app(app)
    web.init_app(app)
    limits.init_app(app)
    _init_request_cycle(app)
    access_recording.init_app(app)  # after the commit hook, so that it runs before it
    return app


def _has_lone_surrogate(body: bytes) -> bool:
    """Whether a JSON body has a string with a lone surrogate escape (`"\\ud9b4"`): valid JSON syntax, but a
    string that UTF-8 (the database, the event log's hash) cannot encode."""
    if b"\\ud" not in body and b"\\uD" not in body:
        return False
    try:
        values = [json.loads(body)]
    except ValueError:
        return False  # not JSON at all: the view's own parsing says so
    while values:
        value = values.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            values.extend(value)
            values.extend(value.values())
        elif isinstance(value, list):
            values.extend(value)
    return False


def _init_request_cycle(app: Flask) -> None:
    """One unit of work per request: services flush, the request commits at its boundary."""

    @app.before_request
    def _write_intent():
        declare_write_intent(request.method not in READ_METHODS)

    @app.before_request
    def _refuse_characters_no_field_holds():
        """No field of Fleet can hold a NUL character, nor half of a UTF-16 surrogate pair; refuse them the same
        way on SQLite and PostgreSQL, before anything tries to store, hash or print them."""
        body = request.get_data(cache=True) if request.mimetype == "application/json" else b""
        if b"\\u0000" in body or b"\x00" in body or "\x00" in request.path \
                or (request.query_string and any("\x00" in v for v in request.args.values())):
            return problems.problem_response(422, "Invalid value", "The request contains a NUL character, "
                                             "which no field accepts.")
        if _has_lone_surrogate(body):
            return problems.problem_response(422, "Invalid value", "The request contains half of a UTF-16 "
                                             "surrogate pair (a \\ud800-\\udfff escape alone), which is no text.")

    @app.after_request
    def _commit(response):
        if not work_pending():
            return response
        if response.status_code >= 400:
            db.session.rollback()
            return response
        return commit_or_refusal() or response

    @app.errorhandler(DataError)
    def _value_the_database_cannot_hold(exc):
        # A value no column can hold (a NUL byte, an id past 64 bits) is the client's mistake, not a 500.
        db.session.rollback()
        return problems.problem_response(422, "Invalid value", "A value in the request cannot be stored or "
                                         "looked up (for example a NUL character or a number that is too large).")

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc):
        db.session.rollback()
        return problems.problem_response(503, "Database unavailable",
                                         "The database did not answer; try again in a moment.",
                                         headers={"Retry-After": "2"})
