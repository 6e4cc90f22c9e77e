"""Server-rendered pages for the IT desk, employees and auditors: thin views over fleet.services."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale

from fleet import i18n
from fleet.access_log import pages as access_log_pages
from fleet.clock import local_time
from fleet.db import utcnow
from fleet.errors import FleetError
from fleet.security import SESSION_COOKIE, current_principal
from fleet.web import csrf, messages
from fleet.web.views import audit, auth, between, bookings, desk, employee, inventory, queue, upkeep
from fleet.web.views.common import bp

LANGUAGES = ("ko", "en")
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                    ("Referrer-Policy", "same-origin"))


def select_locale() -> str:
    """The language chosen with the switch, else what the browser asks for; Korean by default."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="ko")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, which keeps the language and the form token, without its signing set-up on a
    request that brings no such cookie and leaves the session untouched: every API call. The same sessions and
    cookies as Flask's own; some 40 µs less on each such request (the serializer is built per request)."""

    def open_session(self, app: Flask, request):
        if app.secret_key and ("HTTP_COOKIE" not in request.environ  # no cookie at all: nothing to parse
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: app.config["FLEET_TIMEZONE"],
          default_translation_directories="translations")
    # Flask's own cookie keeps only the language and the form token; it lasts as long as a session may.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config["FLEET_SESSION_HOURS"]))
    app.register_blueprint(bp)
    app.register_blueprint(access_log_pages.bp)
    csrf.init_app(app)
    _ = (audit, auth, between, bookings, desk, employee, inventory, queue, upkeep)  # their routes live on `bp`

    app.jinja_env.filters.update(say=messages.say, say_all=messages.say_all, label=i18n.label, number=_number,
                                 when=_when, day=_day, action=i18n.action_label, changes=messages.changes)

    @app.context_processor
    def _globals():
        me = _page_principal()
        return {"lang": select_locale(), "csrf_token": csrf.token, "me": me,
                "my_roles": sorted(me.roles) if me else [], "my_name": me.name if me else "",
                "idle_minutes": app.config["FLEET_IDLE_MINUTES"],
                "session_seconds_left": me.session.seconds_left(utcnow()) if me and me.session else None}

    @app.after_request
    def _security_headers(response):
        # What a view set itself stands; `Headers.setdefault` would raise and catch a KeyError for each one absent.
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if response.mimetype == "text/html":
            if "content-security-policy" not in present:
                headers.add("Content-Security-Policy", CSP)
            if g.get("principal") is not None:
                # Pages of a logged-in person hold personal data: never keep them in a shared cache.
                response.headers["Cache-Control"] = "no-store"
        if g.get("session_ended") and request.cookies.get(SESSION_COOKIE):
            # The session is over (expired, or the person left): the browser forgets the dead secret.
            response.delete_cookie(SESSION_COOKIE, path="/", secure=current_app.config["SESSION_COOKIE_SECURE"],
                                   httponly=True, samesite="Lax")
        return response


def _page_principal():
    """The page's reader for the templates, or None; a page never fails for want of one."""
    if "principal" in g:
        return g.principal
    try:
        return current_principal()
    except FleetError:
        return None


def _number(value) -> str:
    return format_decimal(value, format="#,##0.##") if value is not None else ""


# Minutes are enough on a page; Korean reads 오전/오후 (CLDR's short "AM/PM" reads as English).
MOMENT_FORMATS = {"ko": "y. M. d. aaaa h:mm", "en": "MMM d, y, h:mm a"}


def _when(moment: datetime | None) -> str:
    """A moment in FLEET_TIMEZONE, in the reader's format."""
    if moment is None:
        return ""
    return format_datetime(local_time(moment), MOMENT_FORMATS.get(str(get_locale()), "medium"))


def _day(day: date | None) -> str:
    return format_date(day, "medium") if day else ""
