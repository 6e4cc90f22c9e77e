"""What the API fuzz run (tests/hardening/test_fuzz.py) counts, for the summary at the end of the run."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass
class FuzzTally:
    """Cases sent and failures found, per run (database and role)."""

    cases: Counter = field(default_factory=Counter)
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    operations: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # run -> (operation, failure title) -> example message
    failures: dict[str, dict[tuple[str, str], str]] = field(default_factory=lambda: defaultdict(dict))
    seconds: Counter = field(default_factory=Counter)
    excluded: Counter = field(default_factory=Counter)
    by_operation: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))

    def sent(self, run: str, operation: str, status: int) -> None:
        self.by_operation[(run, operation)][status] += 1
        self.cases[run] += 1
        self.operations[run].add(operation)
        self.statuses[run][f"{status // 100}xx"] += 1

    def failed(self, run: str, operation: str, title: str, message: str) -> bool:
        """Count a failure; True if it is the first of its kind (operation and title) in this run."""
        if (operation, title) in self.failures[run]:
            return False
        self.failures[run][(operation, title)] = message
        return True

    def lines(self, per_operation: bool = False) -> list[str]:
        lines = []
        for run in sorted(self.cases):
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses[run].items()))
            excluded = f" ({self.excluded[run]} excluded responses, see test_fuzz.py)" if self.excluded[run] else ""
            lines.append(f"{run}: {len(self.operations[run])} operations, {self.cases[run]} cases "
                         f"({statuses}), {len(self.failures[run])} failures{excluded}, {self.seconds[run]:.0f} s")
            for (operation, title), message in sorted(self.failures[run].items()):
                said = [line.strip() for line in message.splitlines() if line.strip() and line.strip() != title]
                lines.append(f"    {operation}: {title}: {' / '.join(said[:2])[:200]}")
            if per_operation:
                for (of_run, operation), statuses in sorted(self.by_operation.items()):
                    if of_run == run:
                        lines.append(f"    {operation:52} {dict(sorted(statuses.items()))}")
        return lines


TALLY = FuzzTally()
