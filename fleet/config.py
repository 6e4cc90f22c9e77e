"""Settings, read from FLEET_* environment variables (API.md, "Running it")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

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
    "FLEET_TOKEN_HOURS": "12",
    "FLEET_ENV": "development",
    "FLEET_LOGIN_LIMIT_PER_USER": "10 per minute;50 per hour",
    "FLEET_LOGIN_LIMIT_PER_CLIENT": "30 per minute",
    "FLEET_RATELIMIT_STORAGE_URI": "memory://",
    "FLEET_PROXY_COUNT": "0",
    "FLEET_SIGNING_KEY": "",
    "FLEET_SIGNING_CERT": "",
    "FLEET_SIGNING_PASSWORD": "",
    "FLEET_CHECKPOINT_EVENTS": "1000",
}


def load_settings(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config: defaults, then FLEET_* from the environment, then overrides."""
    settings: dict = dict(DEFAULTS)
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
        secret = secrets.token_hex(32)
    settings["SECRET_KEY"] = secret

    settings["FLEET_LOAN_DAYS"] = int(settings["FLEET_LOAN_DAYS"])
    settings["FLEET_TOKEN_HOURS"] = float(settings["FLEET_TOKEN_HOURS"])
    settings["FLEET_PROXY_COUNT"] = int(settings["FLEET_PROXY_COUNT"])
    settings["FLEET_CHECKPOINT_EVENTS"] = int(settings["FLEET_CHECKPOINT_EVENTS"])
    if settings["FLEET_CHECKPOINT_EVENTS"] < 1:
        raise RuntimeError("FLEET_CHECKPOINT_EVENTS must be 1 or more")
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


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}
