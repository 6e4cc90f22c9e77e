"""Server-rendered pages for the IT desk, employees and auditors: thin views over fleet.services."""

from __future__ import annotations

from flask import Flask, g, request, session
from flask_babel import Babel, format_date, format_datetime

from fleet.services.clock import local_time
from fleet.web import csrf
from fleet.web.views import audit, auth, desk, employee, inventory
from fleet.web.views.common import bp

LANGUAGES = ("ko", "en")
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def select_locale() -> str:
    """The language chosen with the switch, else what the browser asks for; Korean by default."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="ko")


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: app.config["FLEET_TIMEZONE"],
          default_translation_directories="translations")
    app.register_blueprint(bp)
    csrf.init_app(app)
    _ = (audit, auth, desk, employee, inventory)  # their routes live on `bp`

    @app.context_processor
    def _globals():
        return {"lang": select_locale(), "csrf_token": csrf.token, "local": _local_format,
                "local_date": lambda d: format_date(d, "medium") if d else ""}

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
            if g.get("no_store"):
                response.headers["Cache-Control"] = "no-store"
        return response


def _local_format(moment) -> str:
    if moment is None:
        return ""
    return format_datetime(local_time(moment), "medium")
