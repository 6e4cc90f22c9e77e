"""Settings, read from FLEET_* environment variables (API.md, "Running it")."""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import time
from pathlib import Path

from flask import Config

from fleet.clock import parse_working_hours
from fleet.models.asset import CATEGORIES
from fleet.writers import QueuedConnection

DEFAULTS: dict[str, str] = {
    "FLEET_LDAP_URI": "",
    "FLEET_LDAP_BIND_DN": "",
    "FLEET_LDAP_BIND_PASSWORD": "",
    "FLEET_LDAP_PEOPLE_BASE": "",
    # Empty: FLEET_LDAP_FLAVOR (openldap or ad) gives the default (fleet.directory.ldap.FLAVORS).
    "FLEET_LDAP_FLAVOR": "openldap",
    "FLEET_LDAP_UID_ATTR": "",
    "FLEET_LDAP_ACTIVE_FILTER": "",
    "FLEET_LDAP_PERSON_FILTER": "",
    "FLEET_LDAP_LOGIN_ATTRS": "",
    "FLEET_LDAP_NESTED_GROUPS": "",
    "FLEET_LDAP_EMPLOYEE_NUMBER_ATTR": "",
    "FLEET_LDAP_IT_GROUP": "",
    "FLEET_LDAP_AUDITOR_GROUP": "",
    "FLEET_LDAP_PRIVACY_GROUP": "",
    "FLEET_LDAP_ELIGIBLE_GROUP": "",
    "FLEET_LDAP_NAME_ATTR": "",
    "FLEET_LDAP_DEPARTMENT_ATTR": "",
    "FLEET_LDAP_TIMEOUT": "3",
    "FLEET_LDAP_CA_FILE": "",
    "FLEET_LDAP_STARTTLS": "false",
    "FLEET_LDAP_TLS_REQUIRE_CERT": "demand",
    "FLEET_LDAP_TLS_CERT_FILE": "",
    "FLEET_LDAP_TLS_KEY_FILE": "",
    "FLEET_LDAP_ALLOW_CLEARTEXT": "false",
    "FLEET_LDAP_PAGE_SIZE": "500",
    "FLEET_ORG_NAME": "Fleet",
    "FLEET_TIMEZONE": "Asia/Seoul",
    "FLEET_LOAN_DAYS": "90",
    "FLEET_MAX_LOAN_DAYS": "365",
    "FLEET_MAX_BOOKING_DAYS": "14",
    "FLEET_NO_SHOW_HOURS": "24",
    "FLEET_TOKEN_HOURS": "12",
    # Sessions (README, "Sessions"): empty FLEET_SESSION_HOURS keeps FLEET_TOKEN_HOURS, its older name.
    "FLEET_SESSION_HOURS": "",
    "FLEET_IDLE_MINUTES": "30",
    "FLEET_ROLE_RECHECK_SECONDS": "60",
    "FLEET_ENV": "development",
    "FLEET_LOGIN_LIMIT_PER_USER": "10 per minute;50 per hour",
    "FLEET_LOGIN_LIMIT_PER_CLIENT": "30 per minute",
    "FLEET_RATELIMIT_STORAGE_URI": "memory://",
    "FLEET_PROXY_COUNT": "0",
    "FLEET_SIGNING_KEY": "",
    "FLEET_SIGNING_CERT": "",
    "FLEET_SIGNING_PASSWORD": "",
    "FLEET_CHECKPOINT_EVENTS": "1000",
    # The access log (docs/access-log.md)
    "FLEET_ACCESS_LOG_YEARS": "2",
    "FLEET_ACCESS_ALERT_PEOPLE_PER_DAY": "50",
    "FLEET_WORKING_HOURS": "Mon-Fri 08:00-19:00",
    # Notifications (README, "Notifications by e-mail")
    "FLEET_SMTP_URL": "",
    "FLEET_SMTP_CA_FILE": "",
    "FLEET_SMTP_TIMEOUT": "15",
    "FLEET_MAIL_FROM": "fleet@localhost",
    "FLEET_MAIL_IT_DESK": "",
    "FLEET_REMIND_DAYS": "7,1",
    "FLEET_OVERDUE_EVERY_DAYS": "7",
    "FLEET_REMIND_AT": "09:00",
    "FLEET_SUMMARY_WEEKDAY": "1",
    "FLEET_MAIL_MAX_ATTEMPTS": "8",
    "FLEET_MAIL_RETRY_SECONDS": "60",
    "FLEET_MAIL_LEASE_SECONDS": "300",
    "FLEET_MAIL_POLL_SECONDS": "5",
    # An asset's life after the desk (README, "Repairs, useful life, disposal and inspections")
    "FLEET_REPAIR_DAYS": "30",
    "FLEET_USEFUL_LIFE": "laptop=5,monitor=7,dock=5,webcam=5,headset=5,vc_kit=7,router=5,other=5",
    "FLEET_INSPECTION_MONTHS": "",
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
    settings["FLEET_MAX_LOAN_DAYS"] = int(settings["FLEET_MAX_LOAN_DAYS"])
    if settings["FLEET_MAX_LOAN_DAYS"] < 1:
        raise RuntimeError("FLEET_MAX_LOAN_DAYS must be 1 or more")
    settings["FLEET_MAX_BOOKING_DAYS"] = int(settings["FLEET_MAX_BOOKING_DAYS"])
    settings["FLEET_NO_SHOW_HOURS"] = float(settings["FLEET_NO_SHOW_HOURS"])
    settings["FLEET_TOKEN_HOURS"] = float(settings["FLEET_TOKEN_HOURS"])
    _session_settings(settings)
    settings["FLEET_PROXY_COUNT"] = int(settings["FLEET_PROXY_COUNT"])
    settings["FLEET_CHECKPOINT_EVENTS"] = int(settings["FLEET_CHECKPOINT_EVENTS"])
    if settings["FLEET_CHECKPOINT_EVENTS"] < 1:
        raise RuntimeError("FLEET_CHECKPOINT_EVENTS must be 1 or more")
    _mail_settings(settings)
    _upkeep_settings(settings)
    _access_log_settings(settings)
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
def _mail_settings(settings: dict) -> None:
    """Numbers and lists of the notification settings; a bad value stops the start with its name."""
    try:
        days = settings["FLEET_REMIND_DAYS"]
        days = days.split(",") if isinstance(days, str) else days
        settings["FLEET_REMIND_DAYS"] = sorted({int(d) for d in days if str(d).strip()}, reverse=True)
        for name in ("FLEET_OVERDUE_EVERY_DAYS", "FLEET_SUMMARY_WEEKDAY", "FLEET_MAIL_MAX_ATTEMPTS"):
            settings[name] = int(settings[name])
        for name in ("FLEET_SMTP_TIMEOUT", "FLEET_MAIL_RETRY_SECONDS", "FLEET_MAIL_LEASE_SECONDS",
                     "FLEET_MAIL_POLL_SECONDS"):
            settings[name] = float(settings[name])
        if not isinstance(settings["FLEET_REMIND_AT"], time):
            hours, _, minutes = str(settings["FLEET_REMIND_AT"]).partition(":")
            settings["FLEET_REMIND_AT"] = time(int(hours), int(minutes or 0))
    except ValueError as exc:
        raise RuntimeError(f"A notification setting is not valid: {exc}") from exc
    if settings["FLEET_OVERDUE_EVERY_DAYS"] < 1 or not 1 <= settings["FLEET_SUMMARY_WEEKDAY"] <= 7:
        raise RuntimeError("FLEET_OVERDUE_EVERY_DAYS must be at least 1 and FLEET_SUMMARY_WEEKDAY 1 (Monday) to 7")


def parse_category_numbers(name: str, value, categories: tuple[str, ...]) -> dict[str, int]:
    """`laptop=5,monitor=7` as {category: whole number ≥ 1}; a bad entry stops the start, saying which and why."""
    if isinstance(value, dict):
        value = ",".join(f"{k}={v}" for k, v in value.items())
    numbers: dict[str, int] = {}
    for entry in str(value or "").split(","):
        if not entry.strip():
            continue
        category, sep, number = (part.strip() for part in entry.partition("="))
        if not sep or category not in categories:
            raise RuntimeError(f"{name}: {entry.strip()!r} is not category=number with a category among "
                               f"{', '.join(categories)} (e.g. laptop=5,monitor=7)")
        if category in numbers:
            raise RuntimeError(f"{name}: {category} is given twice")
        if not number.isdigit() or int(number) < 1:
            raise RuntimeError(f"{name}: {category}={number!r} must be a whole number, 1 or more")
        numbers[category] = int(number)
    return numbers


def _upkeep_settings(settings: dict) -> None:
    days = str(settings["FLEET_REPAIR_DAYS"]).strip()
    if not days.isdigit() or int(days) < 1:
        raise RuntimeError(f"FLEET_REPAIR_DAYS must be a whole number of days, 1 or more (not {days!r})")
    settings["FLEET_REPAIR_DAYS"] = int(days)
    settings["FLEET_USEFUL_LIFE"] = parse_category_numbers("FLEET_USEFUL_LIFE", settings["FLEET_USEFUL_LIFE"],
                                                           CATEGORIES)
    settings["FLEET_INSPECTION_MONTHS"] = parse_category_numbers(
        "FLEET_INSPECTION_MONTHS", settings["FLEET_INSPECTION_MONTHS"], CATEGORIES)
def _session_settings(settings: dict) -> None:
    """The limits of page sessions and tokens; a bad value stops the start with its name."""
    try:
        hours = settings["FLEET_SESSION_HOURS"]
        settings["FLEET_SESSION_HOURS"] = float(hours) if str(hours).strip() else settings["FLEET_TOKEN_HOURS"]
        settings["FLEET_IDLE_MINUTES"] = float(settings["FLEET_IDLE_MINUTES"])
        settings["FLEET_ROLE_RECHECK_SECONDS"] = float(settings["FLEET_ROLE_RECHECK_SECONDS"])
    except ValueError as exc:
        raise RuntimeError(f"A session setting is not valid: {exc}") from exc
    if settings["FLEET_SESSION_HOURS"] <= 0 or settings["FLEET_IDLE_MINUTES"] <= 0:
        raise RuntimeError("FLEET_SESSION_HOURS and FLEET_IDLE_MINUTES must be positive")
    if settings["FLEET_ROLE_RECHECK_SECONDS"] < 0:
        raise RuntimeError("FLEET_ROLE_RECHECK_SECONDS must be 0 (every request) or more")


def _access_log_settings(settings: dict) -> None:
    """The access log's numbers and working hours; a bad value stops the start with its name."""
    try:
        settings["FLEET_ACCESS_LOG_YEARS"] = float(settings["FLEET_ACCESS_LOG_YEARS"])
        settings["FLEET_ACCESS_ALERT_PEOPLE_PER_DAY"] = int(settings["FLEET_ACCESS_ALERT_PEOPLE_PER_DAY"])
        parse_working_hours(str(settings["FLEET_WORKING_HOURS"]))
    except ValueError as exc:
        raise RuntimeError(f"An access-log setting is not valid: {exc}") from exc
    if settings["FLEET_ACCESS_LOG_YEARS"] < 1:
        raise RuntimeError("FLEET_ACCESS_LOG_YEARS must be 1 or more: the law keeps access records a year at least")


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False, "factory": QueuedConnection}}
    return {"pool_pre_ping": True}
