"""Domain errors. Services raise these; fleet.api.problems maps them to HTTP.

No HTTP in here: a service, the CLI and a test all read the same exceptions.
"""

from __future__ import annotations


class FleetError(Exception):
    """Base of every domain error; `detail` is a sentence a person can read."""

    title = "Error"

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.code = code


class ValidationFailed(FleetError):
    """Input is well-formed but a field is wrong (422 with per-field errors)."""

    title = "Validation failed"


class NotFound(FleetError):
    title = "Not found"


class Conflict(FleetError):
    """The request conflicts with the current state (409)."""

    title = "Conflict"


class RuleViolation(FleetError):
    """Valid input refused by a business rule, e.g. the assignee is disabled (422)."""

    title = "Refused by a rule"


class NotAuthenticated(FleetError):
    title = "Not logged in"


class Forbidden(FleetError):
    title = "Forbidden"


class DirectoryUnavailable(FleetError):
    """The LDAP directory cannot be reached: fail closed (503)."""

    title = "Directory unavailable"


class SigningUnavailable(FleetError):
    """The signing key can no longer sign (its certificate expired): nothing is issued unsigned instead (503)."""

    title = "Signing unavailable"
