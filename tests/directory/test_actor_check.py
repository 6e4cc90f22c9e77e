"""The actor re-check's look-up (LdapDirectory.check_actor) and its per-process cache, against the real slapd."""

from __future__ import annotations

from fleet.directory import directory_from_config
from fleet.directory.ldap import _shared_suffix
from fleet.services.actor_check import ActorChecks
from tests.fixtures_data import AUDITOR, DISABLED, EMPLOYEE, IT

PEOPLE = "ou=people,dc=example,dc=kr"


def test_the_shared_suffix_of_people_and_groups():
    assert _shared_suffix([PEOPLE, "cn=fleet-it,ou=groups,dc=example,dc=kr"]) == "dc=example,dc=kr"
    assert _shared_suffix([PEOPLE, "cn=x,OU=People,DC=example,DC=kr"]) == PEOPLE
    assert _shared_suffix([PEOPLE, "cn=x,o=acme,c=us"]) is None
    assert _shared_suffix([PEOPLE, "not a dn ,,="]) is None  # a DN the client cannot parse: no shortcut


def test_status_and_roles_in_one_search(directory, ldap_operations):
    directory.get_person(IT)  # this thread's connection is open
    ldap_operations.clear()
    it = directory.check_actor(IT, f"uid={IT},{PEOPLE}")
    auditor = directory.check_actor(AUDITOR, f"uid={AUDITOR},{PEOPLE}")
    employee = directory.check_actor(EMPLOYEE, f"uid={EMPLOYEE},{PEOPLE}")
    assert ldap_operations == ["search_ext"] * 3
    assert (it.active, it.roles) == (True, frozenset({"it", "employee"}))
    assert auditor.roles == frozenset({"auditor", "employee"}) and employee.roles == frozenset({"employee"})


def test_disabled_removed_and_moved_people(directory):
    disabled = directory.check_actor(DISABLED, f"uid={DISABLED},{PEOPLE}")
    assert disabled is not None and not disabled.active and disabled.roles == frozenset()
    assert directory.check_actor("nobody", f"uid=nobody,{PEOPLE}") is None
    assert directory.check_actor("*", "uid=*," + PEOPLE) is None  # a filter character is a value, not a wildcard
    moved = directory.check_actor(IT, f"uid={IT},ou=old,dc=example,dc=kr")  # a DN from before a move
    assert moved.active and moved.roles == frozenset({"it", "employee"})
    assert directory.check_actor(IT).roles == frozenset({"it", "employee"})  # no DN known: as at log-in


def test_the_cache_asks_again_only_after_the_bound(directory, ldap_settings, ldap_operations):
    now = [100.0]
    checks = ActorChecks(60, clock=lambda: now[0])
    dn = f"uid={IT},{PEOPLE}"
    first = checks.check(directory, IT, dn)
    assert checks.fresh(IT) == first and first.roles == frozenset({"it", "employee"})
    now[0] += 59.9
    assert checks.fresh(IT) == first
    now[0] += 0.1
    assert checks.fresh(IT) is None
    down = directory_from_config({**ldap_settings, "FLEET_LDAP_URI": "ldap://127.0.0.1:1", "FLEET_LDAP_TIMEOUT": "1"})
    unknown = checks.check(down, IT, dn)  # the directory cannot answer: remembered as unknown, for the bound
    assert unknown.active is None and checks.fresh(IT) == unknown
    assert checks.check(directory, DISABLED, None).reason == "disabled"
    assert checks.check(directory, "nobody", None).reason == "removed"


def test_a_group_dn_written_another_way_still_grants_its_role(ldap_settings, ldap_operations):
    it_group = "CN=fleet-it, OU=groups, DC=example, DC=kr"  # the same DN, as a person may type it
    spelled = directory_from_config({**ldap_settings, "FLEET_LDAP_IT_GROUP": it_group})
    spelled.get_person(IT)
    ldap_operations.clear()
    assert spelled.check_actor(IT, f"uid={IT},{PEOPLE}").roles == frozenset({"it", "employee"})
    assert ldap_operations == ["search_ext"]
