"""Who is a handler, and which reports and exports need a reason (docs/access-log.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

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


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingHours:
    weekdays: frozenset[int]
    start: time
    end: time

    def covers(self, moment: datetime) -> bool:
        return moment.weekday() in self.weekdays and self.start <= moment.time() < self.end


def parse_working_hours(value: str) -> WorkingHours:
    """`Mon-Fri 08:00-19:00` (days as a range or a comma list, then a time range), in FLEET_TIMEZONE."""
    match = re.fullmatch(r"\s*([A-Za-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise ValueError(f"FLEET_WORKING_HOURS must look like 'Mon-Fri 08:00-19:00', not {value!r}.")
    days: set[int] = set()
    for part in match.group(1).lower().split(","):
        first, _, last = part.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS):
            raise ValueError(f"FLEET_WORKING_HOURS: unknown day in {part!r}.")
        a, b = DAYS.index(first[:3]), DAYS.index((last or first)[:3])
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    start, end = time(int(match.group(2)), int(match.group(3))), time(int(match.group(4)), int(match.group(5)))
    return WorkingHours(frozenset(days), start, end)
