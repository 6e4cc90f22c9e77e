"""The storm's verdict on requests that got no answer: only the kill's own victims are forgiven.

A SIGKILL can land before a connection is accepted (refused), while it is open (reset) or between a response's
headers and its body (cut short: requests raises ChunkedEncodingError). All three are "no answer" from the killed
server once it is killed; the same from the other server, a timeout from either, or any of them from the killed
server before the kill, is a failure.
"""

from __future__ import annotations

import pytest

from tests.hardening.storm import CrashReport, Outcome, Plan, StormResult


def _result(*outcomes: Outcome) -> StormResult:
    result = StormResult(Plan(crash=True), outcomes=list(outcomes), began=100.0)
    result.crash = CrashReport(killed_at=5.0, restarted_at=6.0, ready_at=6.5, first_success_at=7.0)
    return result


def _outcome(server: int, error: str, done: float) -> Outcome:
    return Outcome("handover", server, None, error, sent=done - 0.1, done=done)


@pytest.mark.parametrize("error", ["connection", "cut"])
def test_no_answer_from_the_killed_server_after_the_kill_is_expected(error):
    assert _result(_outcome(1, error, done=105.2)).failures() == []


@pytest.mark.parametrize(("server", "error", "done"), [
    (0, "cut", 105.2),  # a cut answer from the server that was not killed
    (0, "connection", 105.2),
    (1, "timeout", 105.2),  # a timeout is never the kill's doing
    (1, "connection", 104.0),  # refused before the kill
    (1, "cut", 104.9),
])
def test_any_other_missing_answer_is_a_failure(server, error, done):
    failures = _result(_outcome(server, error, done)).failures()
    assert failures == [f"requests got no answer (timeouts, or from a server not killed): {{{server}: 1}}"]
