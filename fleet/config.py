"""Settings, read from FLEET_* environment variables (API.md, "Running it")."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Config

DEFAULTS: dict[str, str] = {
    "FLEET_LDAP_URI": "",
    "FLEET_LDAP_BIND_DN": "",
    "FLEET_LDAP_BIND_PASSWORD": "",
    "FLEET_LDAP_PEOPLE_BASE": "",
    "FLEET_LDAP_UID_ATTR": "uid",
    "FLEET_LDAP_ACTIVE_FILTER": "(!(employeeType=inactive))",
    "FLEET_LDAP_IT_GROUP": "",
    "FLEET_LDAP_AUDITOR_GROUP": "",
    "FLEET_LDAP_ELIGIBLE_GROUP": "",
    "FLEET_LDAP_NAME_ATTR": "cn",
    "FLEET_LDAP_DEPARTMENT_ATTR": "ou",
    "FLEET_LDAP_TIMEOUT": "3",
    "FLEET_ORG_NAME": "Fleet",
    "FLEET_TIMEZONE": "Asia/Seoul",
    "FLEET_LOAN_DAYS": "90",
    "FLEET_MAX_BOOKING_DAYS": "14",
    "FLEET_NO_SHOW_HOURS": "24",
    "FLEET_TOKEN_HOURS": "12",
    "FLEET_ENV": "development",
    "FLEET_LOGIN_LIMIT_PER_USER": "10 per minute;50 per hour",
    "FLEET_LOGIN_LIMIT_PER_CLIENT": "30 per minute",
    "FLEET_RATELIMIT_STORAGE_URI": "memory://",
    "FLEET_PROXY_COUNT": "0",
}


def load_settings(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config: defaults, then `instance/fleet.cfg`, then FLEET_* from the environment, then
    overrides. The settings derived below (the secret key, the engine options) see all of them."""
    settings: dict = dict(DEFAULTS)
    settings.update(_instance_file(instance_path))
    settings.update({k: v for k, v in os.environ.items() if k.startswith("FLEET_")})
    if overrides:
        settings.update(overrides)

    if not settings.get("FLEET_DATABASE_URL"):
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        settings["FLEET_DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'fleet.sqlite'}"
    settings["SQLALCHEMY_DATABASE_URI"] = settings["FLEET_DATABASE_URL"]
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(settings["FLEET_DATABASE_URL"])

    secret = settings.get("FLEET_SECRET_KEY")
    if not secret:
        if settings["FLEET_ENV"] == "production":
            raise RuntimeError("FLEET_SECRET_KEY must be set in production")
        secret = development_secret(instance_path)
    settings["SECRET_KEY"] = secret

    settings["FLEET_LOAN_DAYS"] = int(settings["FLEET_LOAN_DAYS"])
    settings["FLEET_MAX_BOOKING_DAYS"] = int(settings["FLEET_MAX_BOOKING_DAYS"])
    settings["FLEET_NO_SHOW_HOURS"] = float(settings["FLEET_NO_SHOW_HOURS"])
    settings["FLEET_TOKEN_HOURS"] = float(settings["FLEET_TOKEN_HOURS"])
    settings["FLEET_PROXY_COUNT"] = int(settings["FLEET_PROXY_COUNT"])
    settings.update(
        API_TITLE="Fleet",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["FLEET_ENV"] == "production",
        MAX_CONTENT_LENGTH=int(settings.get("FLEET_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
    )
    return settings


def _instance_file(instance_path: str) -> dict:
    """The upper-case names set in `instance/fleet.cfg` (Python syntax, as Flask's `from_pyfile` reads it)."""
    config = Config(instance_path)
    config.from_pyfile("fleet.cfg", silent=True)
    return dict(config)


def development_secret(instance_path: str) -> str:
    """The secret that signs sessions and CSRF tokens when FLEET_SECRET_KEY is not set (development only).

    Made once and kept in `instance/secret_key` (mode 0600), so that every gunicorn worker and every restart signs
    with the same key: a random key per process would refuse the cookies another worker signed. Two workers
    starting at once race to create it; the file appears whole (written aside, then linked) and the loser reads
    the winner's.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise RuntimeError(f"{path} holds no usable secret key (32 characters at least); delete it to make a new one")
    return secret


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}
