"""Who is a handler, and which reports and exports need a reason (docs/access-log.md)."""

from __future__ import annotations

from fleet.errors import ValidationFailed

# Roles that handle other people's personal data: their accesses are recorded. An employee reading their own
# data is not a handler's access and is not recorded.
HANDLER_ROLES = frozenset({"it", "auditor", "privacy"})
# Reports and exports that carry personal data (names, uids, departments, request reasons, who did what, who
# held a device reported lost, stolen or damaged): a download of one needs a reason, which the access entry keeps
# for the privacy officer's monthly review.
PERSONAL_REPORTS = frozenset({"loans", "overdue", "leavers", "requests", "events", "incidents", "access-review"})
REASON_MAX = 500
# Request reasons that are sensitive data (health): a handler seeing one is flagged in the monthly review.
SENSITIVE_REASONS = frozenset({"pregnancy"})


def handler_role(roles) -> str | None:
    """The handler roles a caller holds, as the entry records them (`it`, `auditor`, `auditor,it`…)."""
    held = sorted(HANDLER_ROLES.intersection(roles))
    return ",".join(held) or None


def require_reason(reason: str | None) -> str:
    """A download of personal data states why (article 8 of the safety-measures standard asks the privacy officer
    to check the reason of every download): a 422 naming `reason` without one."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give a reason for the download: it holds personal data.",
                               errors={"reason": ["Required for a report or export with personal data."]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed("The reason is too long.", errors={"reason": [f"At most {REASON_MAX} characters."]})
    return reason
