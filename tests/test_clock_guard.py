"""No code takes its calendar from the machine: "today" and "now" come from Fleet's clock or a fixed date.

The machine's zone is whatever the host says (UTC in CI) while Fleet judges days in FLEET_TIMEZONE (Asia/Seoul): a
test that writes `date.today()` passes in the morning and fails from 15:00 UTC, when Seoul is already tomorrow.
This scans every Python file of the project for the calls that read the machine's calendar; the shifted-clock run
of `scripts/test.sh` (under libfaketime) catches what a scan cannot, such as a year written into an expectation.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ["fleet", "reports", "tests", "bench", "demo", "wsgi.py", "gunicorn.conf.py"]

# (object, method) pairs that read the machine's calendar or zone; `datetime.now(tz)` is allowed (a zone is named).
FORBIDDEN = {
    ("date", "today"): "date.today() is the machine's day; use fleet.clock.local_today() or "
                       "tests.support.clock.fleet_today()",
    ("datetime", "today"): "datetime.today() is the machine's local time",
    ("datetime", "utcnow"): "datetime.utcnow() is naive; use fleet.db.utcnow()",
    ("time", "strftime"): "time.strftime() formats the machine's local time",
    ("time", "localtime"): "time.localtime() is the machine's zone",
    ("time", "ctime"): "time.ctime() is the machine's zone",
    ("time", "mktime"): "time.mktime() reads the machine's zone",
}


def _python_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def machine_calendar_calls(source: str) -> list[tuple[int, str]]:
    """(line, why) for each call in `source` that takes the date or time of day from the machine."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
        method = node.func.attr
        if (owner_name, method) in FORBIDDEN:
            found.append((node.lineno, FORBIDDEN[owner_name, method]))
        elif owner_name == "datetime" and method == "now" and not node.args and not node.keywords:
            found.append((node.lineno, "datetime.now() without a zone is the machine's local time"))
        elif owner_name == "datetime" and method == "fromtimestamp" and len(node.args) < 2 and not node.keywords:
            found.append((node.lineno, "datetime.fromtimestamp() without a zone is the machine's local time"))
    return found


@pytest.mark.parametrize("snippet", [
    "from datetime import date\ndate.today()",
    "import datetime\ndatetime.date.today()",
    "from datetime import datetime\ndatetime.now()",
    "import time\ntime.strftime('%Y-%m-%d')",
    "from datetime import datetime\ndatetime.fromtimestamp(0)",
    "from datetime import datetime\ndatetime.utcnow()",
])
def test_the_guard_sees_the_machine_calendar(snippet):
    assert machine_calendar_calls(snippet)


def test_the_guard_lets_zoned_moments_through():
    assert machine_calendar_calls("from datetime import UTC, datetime\ndatetime.now(UTC)\n"
                                  "datetime.fromtimestamp(0, UTC)\nimport time\ntime.monotonic()") == []


def test_no_code_reads_the_machine_calendar():
    offences = [f"{path.relative_to(ROOT)}:{line}: {why}"
                for path in _python_files() for line, why in machine_calendar_calls(path.read_text())]
    assert offences == [], "\n".join(offences)
