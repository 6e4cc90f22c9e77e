from __future__ import annotations

import os

from tests.support.fuzz import TALLY


def pytest_terminal_summary(terminalreporter):
    """The fuzz run's figures: operations, cases and failures per database and role (FLEET_FUZZ_PER_OPERATION=1:
    the statuses each operation answered too)."""
    lines = TALLY.lines(per_operation=bool(os.environ.get("FLEET_FUZZ_PER_OPERATION")))
    if lines:
        terminalreporter.write_sep("-", "API fuzzing (schemathesis)")
        for line in lines:
            terminalreporter.write_line(line)
