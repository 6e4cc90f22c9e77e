"""The concurrency storm in the suite (tests/hardening/storm.py), at a bounded size.

Two gunicorn servers (2 workers each) on one PostgreSQL database and the session's slapd;
32 client threads. The storm fails on any 5xx answer and on any broken invariant; the
crash variant kills the second server with SIGKILL midway, starts it again on the same
port, and also fails if it never answers successfully again. Run with -s to see the counts.
"""

from __future__ import annotations

import os

import pytest

from tests.hardening.storm import Plan, run_storm

pytestmark = pytest.mark.skipif("postgresql" not in os.environ.get("FLEET_TEST_DATABASES", "sqlite,postgresql"),
                                reason="the storm runs two app servers on one PostgreSQL database")


def test_storm_on_two_servers(postgres_cluster, ldap_settings):
    result = run_storm(postgres_cluster.create_database("fleet_storm"), ldap_settings,
                       Plan(clients=32, operations=1500, seed=11))
    print("\n" + result.summary())
    assert result.five_xx == 0, result.server_errors
    assert all(check.ok for check in result.checks), [str(c) for c in result.checks if not c.ok]
    assert not result.failures()
    assert len(result.outcomes) == 1500 and result.connection_errors == 0


def test_storm_with_one_server_killed_and_restarted(postgres_cluster, ldap_settings):
    result = run_storm(postgres_cluster.create_database("fleet_storm_crash"), ldap_settings,
                       Plan(clients=32, operations=2000, seed=12, crash=True))
    print("\n" + result.summary())
    crash = result.crash
    assert crash is not None and crash.error is None
    assert crash.killed_workers == 2
    assert crash.first_success_at is not None, "the restarted server never answered a request successfully"
    assert result.connection_errors > 0  # the kill was felt
    assert result.five_xx == 0, result.server_errors
    assert all(check.ok for check in result.checks), [str(c) for c in result.checks if not c.ok]
    assert not result.failures()
