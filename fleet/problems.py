"""One error format: RFC 9457 problem details for the API, HTML for the web pages.

Domain errors (fleet.errors) and HTTP errors (werkzeug, webargs) all end here.
"""

from __future__ import annotations

from flask import Flask, Response, json, render_template, request
from werkzeug.exceptions import HTTPException

from fleet import errors

STATUS_BY_ERROR: dict[type[errors.FleetError], int] = {
    errors.ValidationFailed: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.RuleViolation: 422,
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
    errors.DirectoryUnavailable: 503,
    errors.SigningUnavailable: 503,
}

TYPE_BASE = "https://fleet.example/problems/"


def problem_response(status: int, title: str, detail: str, *, errors_: dict | None = None,
                     type_: str | None = None, headers: dict | None = None) -> Response:
    body = {"type": type_ or f"{TYPE_BASE}{status}", "title": title, "status": status, "detail": detail}
    if errors_:
        body["errors"] = errors_
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _wants_html() -> bool:
    if request.path.startswith("/api/") or request.path in ("/healthz", "/readyz"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _render(status: int, title: str, detail: str, *, errors_: dict | None = None, code: str | None = None,
            headers: dict | None = None):
    if _wants_html():
        html = render_template("error.html", status=status, title=title, detail=detail)
        return Response(html, status=status, mimetype="text/html", headers=headers)
    return problem_response(status, title, detail, errors_=errors_,
                            type_=f"{TYPE_BASE}{code}" if code else None, headers=headers)


def _flatten_webargs(messages: dict) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"field": [...]}}); clients want fields."""
    flat: dict[str, list[str]] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            for field, msgs in location_errors.items():
                flat[str(field)] = _as_list(msgs)
        else:
            flat.setdefault("_schema", []).extend(_as_list(location_errors))
    return flat


def _as_list(msgs) -> list[str]:
    if isinstance(msgs, list):
        return [m if isinstance(m, str) else json.dumps(m, ensure_ascii=False) for m in msgs]
    if isinstance(msgs, dict):
        return [json.dumps(msgs, ensure_ascii=False)]
    return [str(msgs)]


def handle_fleet_error(exc: errors.FleetError):
    status = STATUS_BY_ERROR.get(type(exc), 400)
    headers = {"Retry-After": "5"} if status == 503 else None
    return _render(status, exc.title, exc.detail, errors_=exc.errors, code=exc.code, headers=headers)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if messages:
        fields = _flatten_webargs(messages)
        if status == 400 or any("Invalid JSON" in m for ms in fields.values() for m in ms):
            return _render(400, "Malformed request", "The request body is not valid JSON.", errors_=fields)
        return _render(422, "Validation failed", "Some fields are not valid; see errors.", errors_=fields)
    detail = exc.description or exc.name
    headers = dict(exc.get_headers()) if status == 405 else {}
    headers.pop("Content-Type", None)
    if status == 413:
        detail = "The upload is too large."
    if status == 429:
        detail = "Too many log-in attempts. Wait a moment (see Retry-After) and try again."
    return _render(status, exc.name, detail, headers=headers or None)


def init_app(app: Flask) -> None:
    app.register_error_handler(errors.FleetError, handle_fleet_error)
    app.register_error_handler(HTTPException, handle_http_exception)
