"""FLEET_LDAP_* settings: defaults, another organisation's directory, and settings that are wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleet.directory import ROLE_AUDITOR, ROLE_EMPLOYEE, ROLE_IT, LdapDirectory, directory_from_config
from fleet.errors import DirectoryUnavailable
from tests.support.slapd import DirectoryServer, start_test_directory


def test_missing_and_empty_keys_take_the_defaults():
    directory = directory_from_config(
        {
            "FLEET_LDAP_URI": " ldap://a:389  ldap://b:389 ",
            "FLEET_LDAP_UID_ATTR": "",
            "FLEET_LDAP_PEOPLE_BASE": "ou=people,dc=example,dc=kr",
            "FLEET_LDAP_TIMEOUT": None,
            "FLEET_LDAP_IT_GROUP": "  ",
        }
    )
    assert directory.uris == ["ldap://a:389", "ldap://b:389"]
    assert (directory.uid_attr, directory.name_attr, directory.department_attr) == ("uid", "cn", "ou")
    assert directory.active_filter == "(!(employeeType=inactive))"
    assert directory.bind_dn == "" and directory.timeout == 3.0
    assert directory.it_group is directory.auditor_group is directory.eligible_group is None


def test_every_key_is_read():
    directory = directory_from_config(
        {
            "FLEET_LDAP_URI": "ldaps://ldap.example.kr",
            "FLEET_LDAP_BIND_DN": "cn=svc,dc=x",
            "FLEET_LDAP_BIND_PASSWORD": " secret with spaces ",
            "FLEET_LDAP_PEOPLE_BASE": "ou=p,dc=x",
            "FLEET_LDAP_UID_ATTR": "sAMAccountName",
            "FLEET_LDAP_ACTIVE_FILTER": "employeeStatus=active",
            "FLEET_LDAP_IT_GROUP": "cn=it,dc=x",
            "FLEET_LDAP_AUDITOR_GROUP": "cn=au,dc=x",
            "FLEET_LDAP_ELIGIBLE_GROUP": "cn=el,dc=x",
            "FLEET_LDAP_NAME_ATTR": "displayName",
            "FLEET_LDAP_DEPARTMENT_ATTR": "department",
            "FLEET_LDAP_TIMEOUT": "1.5",
        }
    )
    assert directory.bind_password == " secret with spaces "  # a password is taken as it is
    assert directory.active_filter == "(employeeStatus=active)"  # parenthesised when written without
    assert (directory.uid_attr, directory.name_attr, directory.department_attr, directory.timeout) == (
        "sAMAccountName",
        "displayName",
        "department",
        1.5,
    )
    assert (directory.it_group, directory.auditor_group, directory.eligible_group) == (
        "cn=it,dc=x",
        "cn=au,dc=x",
        "cn=el,dc=x",
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"FLEET_LDAP_URI": "http://ldap.example.kr"}, "Not an LDAP URI"),
        ({"FLEET_LDAP_BIND_DN": "cn=svc,dc=x"}, "bind password"),
        ({"FLEET_LDAP_TIMEOUT": "soon"}, "FLEET_LDAP_TIMEOUT"),
        ({"FLEET_LDAP_TIMEOUT": "0"}, "timeout"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(settings, message):
    with pytest.raises(ValueError, match=message):
        directory_from_config(settings)


def test_a_wrong_people_base_is_a_fault_not_nobody(ldap_settings):
    # Otherwise a typo would turn every borrower into a leaver at the next sync.
    directory = directory_from_config({**ldap_settings, "FLEET_LDAP_PEOPLE_BASE": "ou=staff,dc=example,dc=kr"})
    for call in [lambda: directory.get_person("emp1"), lambda: directory.get_people(["emp1"]), directory.ping]:
        with pytest.raises(DirectoryUnavailable, match="FLEET_LDAP_PEOPLE_BASE"):
            call()


def test_a_broken_active_filter_is_a_fault_not_a_crash(ldap_settings):
    directory = directory_from_config({**ldap_settings, "FLEET_LDAP_ACTIVE_FILTER": "(&(employeeType=x"})
    with pytest.raises(DirectoryUnavailable, match="FLEET_LDAP_"):
        directory.get_person("emp1")


def test_a_refused_service_account_is_a_fault(slapd, ldap_settings):
    directory = directory_from_config(
        {**ldap_settings, "FLEET_LDAP_BIND_DN": slapd.root_dn, "FLEET_LDAP_BIND_PASSWORD": "not-the-password"}
    )
    with pytest.raises(DirectoryUnavailable, match="service account"):
        directory.get_person("emp1")


def test_the_service_account_bind_is_used(slapd, ldap_settings):
    directory = directory_from_config(
        {**ldap_settings, "FLEET_LDAP_BIND_DN": slapd.root_dn, "FLEET_LDAP_BIND_PASSWORD": slapd.root_pw}
    )
    assert directory.authenticate("it1", "it1pw").roles == {ROLE_IT, ROLE_EMPLOYEE}


@pytest.fixture(scope="module")
def acme() -> Iterator[DirectoryServer]:
    server = start_test_directory("acme.ldif", suffix="o=acme,c=us")
    yield server
    server.stop()


def acme_directory(acme: DirectoryServer, **overrides: str) -> LdapDirectory:
    """Another organisation's layout, given through the settings alone."""
    return directory_from_config(
        {
            "FLEET_LDAP_URI": acme.uri,
            "FLEET_LDAP_PEOPLE_BASE": "ou=staff,o=acme,c=us",
            "FLEET_LDAP_BIND_DN": acme.root_dn,
            "FLEET_LDAP_BIND_PASSWORD": acme.root_pw,
            "FLEET_LDAP_ACTIVE_FILTER": "(!(description=disabled))",
            "FLEET_LDAP_IT_GROUP": "cn=desk,ou=roles,o=acme,c=us",
            "FLEET_LDAP_AUDITOR_GROUP": "cn=audit,ou=roles,o=acme,c=us",
            "FLEET_LDAP_NAME_ATTR": "displayName",
            "FLEET_LDAP_DEPARTMENT_ATTR": "departmentNumber",
            **overrides,
        }
    )


def test_another_directory_configured_only_by_settings(acme):
    directory = acme_directory(acme)
    ada = directory.authenticate("ada", "adapw")
    assert ada.roles == {ROLE_IT, ROLE_EMPLOYEE} and ada.eligible  # no eligible group: every active person
    assert (ada.name, ada.department, ada.email, ada.employee_number) == (
        "Ada King, Countess of Lovelace",
        "Engineering",
        "ada@acme.example",
        "A-1",
    )
    assert directory.authenticate("carol", "carolpw").roles == {ROLE_AUDITOR, ROLE_EMPLOYEE}
    bob = directory.get_person("bob")
    assert (bob.active, bob.eligible, bob.name, bob.email) == (False, False, "Bob Page", None)  # name falls back
    assert directory.authenticate("bob", "bobpw") is None
    people = directory.get_people(["ada", "bob", "carol", "emp1"])
    assert {uid: p.active for uid, p in people.items()} == {"ada": True, "bob": False, "carol": True}


def test_another_login_attribute(acme):
    directory = acme_directory(acme, FLEET_LDAP_UID_ATTR="mail")
    ada = directory.authenticate("ada@acme.example", "adapw")
    assert ada.uid == "ada@acme.example" and ada.dn == "uid=ada,ou=staff,o=acme,c=us"
    assert directory.get_person("ada") is None
