"""The LDAP adapter against a real slapd."""

from __future__ import annotations

import time

import pytest

from fleet.directory import LdapDirectory, directory_from_config
from fleet.errors import DirectoryUnavailable
from tests.support.slapd import directory_settings, start_test_directory

INJECTIONS = ["*", "*)(uid=*", "\\2a", "emp1)(|(uid=*", "emp1\x00", "x" * 10_000, "", " emp1", "(uid=emp1)"]


def test_look_up_with_korean_names(directory):
    person = directory.get_person("emp3")
    assert person.name == "정하늘" and person.employee_number == "E3003" and person.email == "emp3@example.kr"
    assert person.department == "스마트워크센터운영및디지털민원서비스혁신추진단"
    assert person.dn == "uid=emp3,ou=people,dc=example,dc=kr"
    assert person.active and person.eligible and person.roles == frozenset()


@pytest.mark.parametrize("uid,active,eligible", [("emp1", True, True), ("gone1", False, False),
                                                 ("outsider1", True, False)])
def test_active_and_eligible(directory, uid, active, eligible):
    person = directory.get_person(uid)
    assert (person.active, person.eligible) == (active, eligible)


def test_unknown_and_injections_find_nobody(directory):
    assert directory.get_person("nobody") is None
    for uid in INJECTIONS:
        assert directory.get_person(uid) is None, repr(uid)
        assert directory.authenticate(uid, "emp1pw") is None, repr(uid)


def test_roles_come_from_groups(directory):
    assert directory.get_person("it1", with_roles=True).roles == {"it", "employee"}
    assert directory.get_person("audit1", with_roles=True).roles == {"auditor", "employee"}
    assert directory.get_person("emp1", with_roles=True).roles == {"employee"}
    assert directory.get_person("gone1", with_roles=True).roles == frozenset()


def test_passwords(directory):
    assert directory.authenticate("emp1", "emp1pw").uid == "emp1"
    assert directory.authenticate("emp1", "wrong") is None
    assert directory.authenticate("emp1", "") is None
    assert directory.authenticate("emp1", "emp1pw\x00") is None
    assert directory.authenticate("gone1", "gone1pw") is None  # disabled: the server would let it bind


def test_a_hand_over_look_up_takes_at_most_three_operations(directory):
    for uid in ("emp1", "gone1", "outsider1", "nobody"):
        before = directory.operation_count
        directory.get_person(uid)
        assert directory.operation_count - before <= 3, uid


def test_get_people_in_batches(directory):
    people = directory.get_people(["emp1", "gone1", "outsider1", "nobody", "*"])
    assert set(people) == {"emp1", "gone1", "outsider1"}
    assert people["gone1"].active is False and people["emp1"].eligible and not people["outsider1"].eligible


@pytest.fixture
def own_server():
    server = start_test_directory()
    yield server
    server.stop()


def test_stopped_directory_fails_fast_and_recovers_without_restart(own_server):
    directory = directory_from_config({**directory_settings(own_server), "FLEET_LDAP_TIMEOUT": "2"})
    assert directory.get_person("emp1").active
    own_server.stop_serving()
    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable):
        directory.get_person("emp1")
    with pytest.raises(DirectoryUnavailable):
        directory.ping()
    assert time.monotonic() - started < 10  # a hang guard, not a performance check
    own_server.start_serving()
    assert directory.get_person("emp1").name == "이지은"
    assert directory.authenticate("emp1", "emp1pw") is not None


def test_frozen_directory_times_out(own_server):
    directory = directory_from_config({**directory_settings(own_server), "FLEET_LDAP_TIMEOUT": "1"})
    directory.ping()
    own_server.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            directory.get_person("emp1")
        assert time.monotonic() - started < 10
    finally:
        own_server.thaw()
    assert directory.get_person("emp1") is not None


def test_first_uri_dead_second_answers(slapd):
    settings = {**directory_settings(slapd), "FLEET_LDAP_URI": f"ldap://127.0.0.1:1 {slapd.uri}"}
    directory = directory_from_config(settings)
    assert directory.get_person("emp1").active
    assert directory.authenticate("emp1", "emp1pw") is not None


def test_nothing_connects_until_asked():
    directory = LdapDirectory(["ldap://127.0.0.1:1"], "ou=people,dc=example,dc=kr", timeout=1)
    assert directory.operation_count == 0
    with pytest.raises(DirectoryUnavailable):
        directory.ping()


def test_another_directory_configured_only_by_settings():
    server = start_test_directory("acme.ldif", suffix="o=acme,c=us")
    try:
        directory = directory_from_config({
            "FLEET_LDAP_URI": server.uri, "FLEET_LDAP_PEOPLE_BASE": "ou=staff,o=acme,c=us",
            "FLEET_LDAP_BIND_DN": server.root_dn, "FLEET_LDAP_BIND_PASSWORD": server.root_pw,
            "FLEET_LDAP_ACTIVE_FILTER": "(!(description=disabled))",
            "FLEET_LDAP_IT_GROUP": "cn=desk,ou=roles,o=acme,c=us",
            "FLEET_LDAP_DEPARTMENT_ATTR": "departmentNumber"})
        ada = directory.authenticate("ada", "adapw")
        assert ada.roles == {"it", "employee"} and ada.department == "Engineering" and ada.eligible
        bob = directory.get_person("bob")
        assert bob.active is False and directory.authenticate("bob", "bobpw") is None
    finally:
        server.stop()
