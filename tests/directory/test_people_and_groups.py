"""Who counts as a person, how a log-in name is read, and membership through nested groups, on slapd.

(The same rules against Active Directory: tests/directory/test_active_directory.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleet.directory import ROLE_EMPLOYEE, ROLE_IT, LdapDirectory, directory_from_config
from fleet.directory.settings import FLAVORS
from tests.support.slapd import SUFFIX, DirectoryServer, directory_settings, person_dn, start_test_directory

GROUPS = f"ou=groups,{SUFFIX}"
OUTER, MIDDLE, INNER = (f"cn=nest-{n},{GROUPS}" for n in ("outer", "middle", "inner"))

EXTRA = f"""
dn: uid=desk-seoul,ou=people,{SUFFIX}
objectClass: account
objectClass: simpleSecurityObject
uid: desk-seoul
userPassword: deskpw

dn: {OUTER}
objectClass: groupOfNames
cn: nest-outer
member: {MIDDLE}

dn: {MIDDLE}
objectClass: groupOfNames
cn: nest-middle
member: {INNER}
member: {OUTER}

dn: {INNER}
objectClass: groupOfNames
cn: nest-inner
member: {person_dn("emp2")}
"""


@pytest.fixture(scope="module")
def nested_slapd() -> Iterator[DirectoryServer]:
    server = start_test_directory()
    server.load(EXTRA)
    yield server
    server.stop()


def nested(server: DirectoryServer, **settings: str) -> LdapDirectory:
    return directory_from_config(
        {**directory_settings(server), "FLEET_LDAP_IT_GROUP": OUTER, "FLEET_LDAP_ELIGIBLE_GROUP": OUTER, **settings}
    )


def test_an_entry_that_is_no_person_is_not_found(nested_slapd):
    directory = directory_from_config(directory_settings(nested_slapd))
    assert directory.get_person("desk-seoul") is None  # not "disabled": not there at all
    assert directory.authenticate("desk-seoul", "deskpw") is None
    assert directory.get_people(["desk-seoul", "emp1"]).keys() == {"emp1"}
    anything = directory_from_config({**directory_settings(nested_slapd), "FLEET_LDAP_PERSON_FILTER": "(uid=*)"})
    assert anything.get_person("desk-seoul").uid == "desk-seoul"  # the filter is a setting


def test_nested_groups_count_only_when_asked(nested_slapd):
    flat = nested(nested_slapd)
    emp2 = flat.get_person("emp2", with_roles=True)
    assert emp2.roles == {ROLE_EMPLOYEE} and not emp2.eligible
    deep = nested(nested_slapd, FLEET_LDAP_NESTED_GROUPS="true")
    emp2 = deep.get_person("emp2", with_roles=True)
    assert emp2.roles == {ROLE_IT, ROLE_EMPLOYEE} and emp2.eligible  # through inner, middle, outer (and a cycle)
    assert deep.authenticate("emp2", "emp2pw").roles == {ROLE_IT, ROLE_EMPLOYEE}
    assert deep.get_person("emp1", with_roles=True).roles == {ROLE_EMPLOYEE}  # in no nested group
    people = deep.get_people(["emp1", "emp2", "gone1"])
    assert {uid: p.eligible for uid, p in people.items()} == {"emp1": False, "emp2": True, "gone1": False}


def test_the_walk_is_bounded(nested_slapd, ldap_operations):
    shallow = nested(nested_slapd, FLEET_LDAP_NESTED_GROUPS="true", FLEET_LDAP_NESTING_DEPTH="2")
    assert not shallow.get_person("emp2").eligible  # outer is three levels up
    ldap_operations.clear()
    deep = nested(nested_slapd, FLEET_LDAP_NESTED_GROUPS="true")
    deep.ping()
    ldap_operations.clear()
    deep.get_person("emp1")  # in fleet-eligible, which is in no group: the walk ends at the second level
    assert ldap_operations == ["search_ext", "compare_ext", "search_ext", "search_ext"]


def test_log_in_by_any_login_attribute_and_by_domain_name(nested_slapd):
    directory = directory_from_config({**directory_settings(nested_slapd), "FLEET_LDAP_LOGIN_ATTRS": "uid,mail"})
    for login in ["emp1", "EMP1", "emp1@example.kr", "EXAMPLE\\emp1"]:
        person = directory.authenticate(login, "emp1pw")
        assert person is not None and person.uid == "emp1", login  # one uid, however it was typed
    assert directory.authenticate("emp1@example.kr", "emp2pw") is None
    assert directory.authenticate("EXAMPLE\\", "emp1pw") is None
    assert directory.get_person("emp1@example.kr") is None  # a hand-over names the uid itself


def test_searches_come_in_pages(nested_slapd, ldap_operations):
    directory = directory_from_config({**directory_settings(nested_slapd), "FLEET_LDAP_PAGE_SIZE": "2"})
    uids = ["it1", "it2", "audit1", "emp1", "emp2", "emp3", "gone1", "outsider1"]
    people = directory.get_people(uids)
    assert set(people) == set(uids) and people["emp3"].name == "정하늘"
    assert ldap_operations.count("search_ext") == 4 + 4  # 8 entries in pages of 2, then the 7 active ones


def test_flavors_preset_the_defaults_and_each_can_be_overridden():
    ad = directory_from_config({"FLEET_LDAP_FLAVOR": "AD", "FLEET_LDAP_NAME_ATTR": "cn"})
    assert (ad.uid_attr, ad.name_attr, ad.department_attr, ad.employee_number_attr) == (
        "sAMAccountName", "cn", "department", "employeeID",
    )
    assert ad.person_filter == "(&(objectCategory=person)(objectClass=user))" and ad.nested_groups
    assert ad.active_filter == FLAVORS["ad"]["FLEET_LDAP_ACTIVE_FILTER"]
    assert ad.login_attrs == ["sAMAccountName", "userPrincipalName"]
    openldap = directory_from_config({})
    assert (openldap.uid_attr, openldap.person_filter, openldap.login_attrs, openldap.nested_groups) == (
        "uid", "(objectClass=inetOrgPerson)", ["uid"], False,
    )
    with pytest.raises(ValueError, match="FLEET_LDAP_FLAVOR"):
        directory_from_config({"FLEET_LDAP_FLAVOR": "novell"})
