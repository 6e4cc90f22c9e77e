"""A directory that is down, frozen or one of several: fail closed within the timeout, recover by itself.

These tests stop and freeze a private slapd (`own_slapd`), never the session's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from fleet.directory import LdapDirectory, directory_from_config
from fleet.errors import DirectoryUnavailable
from tests.support.slapd import directory_settings

HANG_GUARD = 10  # seconds: catches a hang, not a slow machine

DEAD = "ldap://127.0.0.1:1"


def directory_for(*servers_or_uris, timeout: float = 2) -> LdapDirectory:
    uris = [s if isinstance(s, str) else s.uri for s in servers_or_uris]
    live = next(s for s in servers_or_uris if not isinstance(s, str))
    return directory_from_config(
        {**directory_settings(live), "FLEET_LDAP_URI": " ".join(uris), "FLEET_LDAP_TIMEOUT": str(timeout)}
    )


@contextmanager
def unavailable_within(seconds: float) -> Iterator[None]:
    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable) as caught:
        yield
    assert time.monotonic() - started < seconds
    assert caught.value.detail.startswith("The staff directory cannot be reached")


def every_call(directory: LdapDirectory) -> list[Callable[[], object]]:
    return [
        lambda: directory.get_person("emp1"),
        lambda: directory.get_person("emp1", with_roles=True),
        lambda: directory.authenticate("emp1", "emp1pw"),
        lambda: directory.get_people(["emp1"]),
        directory.ping,
    ]


def test_nothing_connects_until_asked(ldap_operations):
    directory = LdapDirectory([DEAD], "ou=people,dc=example,dc=kr", timeout=1)
    assert ldap_operations == []
    with unavailable_within(HANG_GUARD):
        directory.ping()
    assert ldap_operations == ["simple_bind"]  # the service bind, refused at the TCP connect


def test_no_uri_configured_is_unavailable_not_a_crash():
    directory = directory_from_config({})
    with pytest.raises(DirectoryUnavailable, match="FLEET_LDAP_URI"):
        directory.get_person("emp1")


def test_a_stopped_directory_fails_fast_and_the_same_object_recovers(own_slapd):
    directory = directory_for(own_slapd)
    assert directory.get_person("emp1").active
    own_slapd.stop_serving()
    for call in every_call(directory):
        with unavailable_within(HANG_GUARD):
            call()
    assert directory.get_person("") is None  # input no directory could hold needs no directory
    own_slapd.restart()
    assert directory.get_person("emp1").name == "이지은"
    assert directory.authenticate("emp1", "emp1pw").uid == "emp1"
    assert directory.get_people(["emp1"])["emp1"].eligible


def test_a_restart_between_two_calls_goes_unnoticed(own_slapd):
    directory = directory_for(own_slapd)
    directory.ping()
    own_slapd.restart()  # the open connection is now dead; the next call re-opens it
    assert directory.get_person("emp1", with_roles=True).roles == {"employee"}


def test_a_frozen_directory_fails_within_the_timeout(own_slapd):
    directory = directory_for(own_slapd, timeout=1)
    directory.ping()  # an open connection, which the freeze then leaves hanging
    own_slapd.freeze()
    try:
        with unavailable_within(HANG_GUARD):
            directory.get_person("emp1")
        fresh = directory_for(own_slapd, timeout=0.5)  # no connection yet: the bind is what hangs
        with unavailable_within(HANG_GUARD):
            fresh.authenticate("emp1", "emp1pw")
    finally:
        own_slapd.thaw()
    assert directory.get_person("emp1").active


def test_the_first_uri_dead_the_second_answers(slapd):
    directory = directory_for(DEAD, slapd)
    assert directory.get_person("emp1").active
    assert directory.authenticate("emp1", "emp1pw").uid == "emp1"


def test_all_uris_dead_is_unavailable(slapd):
    directory = directory_from_config({**directory_settings(slapd), "FLEET_LDAP_URI": f"{DEAD} ldap://127.0.0.1:2"})
    with unavailable_within(HANG_GUARD):
        directory.get_person("emp1")


def test_fails_over_to_the_next_server_mid_run(own_slapd, slapd):
    directory = directory_for(own_slapd, slapd)
    assert directory.get_person("emp1").active
    own_slapd.stop_serving()
    assert directory.get_person("emp1").name == "이지은"  # no error: the second server answers
    assert directory.authenticate("emp1", "emp1pw") is not None


def test_a_frozen_first_server_is_passed_over(own_slapd, slapd):
    directory = directory_for(own_slapd, slapd, timeout=0.5)
    directory.ping()
    own_slapd.freeze()
    try:
        started = time.monotonic()
        assert directory.get_person("emp1").active
        assert directory.get_person("emp2").active  # the frozen one is not waited on again and again
        assert time.monotonic() - started < HANG_GUARD
    finally:
        own_slapd.thaw()
