"""Log-in attempts are limited per user name and per client address (Flask-Limiter).

Both log-ins (POST /api/v1/auth/token and the login page's form) count. Past a limit the
answer is 429 with Retry-After, and the directory is not asked at all. The counters live
in FLEET_RATELIMIT_STORAGE_URI: `memory://` counts in each worker process (with gunicorn's
N workers a client gets up to N times the limit); a shared store such as
`redis://host:6379` counts exactly.
"""

from __future__ import annotations

import functools

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

LOGIN_ENDPOINTS = ("auth.Tokens", "web.login")


def _user_name() -> str:
    """The user name a log-in is for, the same however it is spelt or sent."""
    if request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username", "") if isinstance(body, dict) else ""
    else:
        name = request.form.get("username", "")
    return f"user:{str(name).strip().lower()[:256]}"


def init_app(app: Flask) -> None:
    """Limit the log-in views; call after the views are registered."""
    limiter = Limiter(get_remote_address, app=app, storage_uri=app.config["FLEET_RATELIMIT_STORAGE_URI"],
                      headers_enabled=True, key_prefix="fleet")
    per_user = limiter.shared_limit(app.config["FLEET_LOGIN_LIMIT_PER_USER"], scope="login-user",
                                    key_func=_user_name, methods=["POST"])
    per_client = limiter.shared_limit(app.config["FLEET_LOGIN_LIMIT_PER_CLIENT"], scope="login-client",
                                      methods=["POST"])
    for endpoint in LOGIN_ENDPOINTS:
        app.view_functions[endpoint] = per_client(per_user(app.view_functions[endpoint]))

    @limiter.request_filter
    def _not_a_log_in() -> bool:
        """Every other request skips the limiter's bookkeeping (it is on the hot path)."""
        return request.endpoint not in LOGIN_ENDPOINTS

    _only_for_log_ins(app, limiter)
    app.extensions["fleet_limiter"] = limiter


def _only_for_log_ins(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter hooks every request of the app (a check before, its headers after, its context's reset at the
    end), and even with the filter above each costs a few calls; only a log-in has limits. Each of its hooks is
    wrapped to run for the log-ins alone (the limits themselves are checked by the views' decorators)."""

    def for_log_ins(hook):
        @functools.wraps(hook)
        def gated(*args):
            if request.endpoint in LOGIN_ENDPOINTS:
                return hook(*args)
            return args[0] if args and isinstance(args[0], Response) else None

        return gated

    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        funcs = hooks.get(None, [])
        for i, hook in enumerate(funcs):
            bound = getattr(hook, "__self__", None) is limiter  # its before-request check and its reset
            partial = isinstance(hook, functools.partial) and hook.args[:1] == (limiter,)  # its headers
            if bound or partial:
                funcs[i] = for_log_ins(hook)
