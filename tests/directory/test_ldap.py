"""The LDAP adapter against a real slapd: look-ups, roles, passwords, hostile input, op counts."""

from __future__ import annotations

import threading

import ldap
import pytest
from ldap.ldapobject import SimpleLDAPObject

from fleet.directory import ROLE_AUDITOR, ROLE_EMPLOYEE, ROLE_IT, LdapDirectory, Person, directory_from_config
from fleet.errors import DirectoryUnavailable
from tests.fixtures_directory import round_trips
from tests.support.slapd import person_dn

INJECTIONS = [
    "*",
    "*)(uid=*",
    "\\2a",
    "emp1)(|(uid=*",
    "emp1\x00",
    "\x00",
    "x" * 10_000,
    "",
    " emp1",
    "emp1 ",
    "(uid=emp1)",
    "emp*",
    "e*1",
    "emp1\n",
    "\udc80",
    "uid=emp1,ou=people,dc=example,dc=kr",
    "김민수",
]


@pytest.fixture
def fresh_directory(ldap_settings) -> LdapDirectory:
    """A directory object that has not connected yet (its first call pays for the bind)."""
    return directory_from_config(ldap_settings)


def test_look_up_gives_every_attribute_in_korean(directory):
    person = directory.get_person("emp3")
    assert person == Person(
        uid="emp3",
        dn=person_dn("emp3"),
        name="정하늘",
        employee_number="E3003",
        department="스마트워크센터운영및디지털민원서비스혁신추진단",
        email="emp3@example.kr",
        active=True,
        eligible=True,
        roles=frozenset(),
    )
    assert directory.get_person("it1").name == "김민수" and directory.get_person("audit1").department == "감사담당관"


@pytest.mark.parametrize(
    ("uid", "active", "eligible"),
    [("emp1", True, True), ("it2", True, True), ("gone1", False, False), ("outsider1", True, False)],
)
def test_active_and_eligible(directory, uid, active, eligible):
    person = directory.get_person(uid)
    assert (person.uid, person.active, person.eligible) == (uid, active, eligible)


def test_a_disabled_person_is_still_described(directory):
    gone = directory.get_person("gone1")
    assert (gone.name, gone.department, gone.employee_number) == ("한상우", "총무과", "E3004")


def test_unknown_uid_is_none(directory):
    assert directory.get_person("nobody") is None
    assert directory.authenticate("nobody", "nobodypw") is None


def test_uids_match_as_the_directory_matches_them(directory):
    assert directory.get_person("EMP1").uid == "emp1"  # uid is case-insensitive in LDAP; the stored form comes back


@pytest.mark.parametrize(
    ("uid", "roles"),
    [
        ("it1", {ROLE_IT, ROLE_EMPLOYEE}),
        ("it2", {ROLE_IT, ROLE_EMPLOYEE}),
        ("audit1", {ROLE_AUDITOR, ROLE_EMPLOYEE}),
        ("emp1", {ROLE_EMPLOYEE}),
        ("outsider1", {ROLE_EMPLOYEE}),
        ("gone1", set()),
    ],
)
def test_roles_come_from_groups(directory, uid, roles):
    assert directory.get_person(uid, with_roles=True).roles == roles
    assert directory.get_person(uid).roles == frozenset()  # only on request


def test_roles_without_groups_configured(ldap_settings):
    plain = directory_from_config(
        {**ldap_settings, "FLEET_LDAP_IT_GROUP": "", "FLEET_LDAP_AUDITOR_GROUP": "", "FLEET_LDAP_ELIGIBLE_GROUP": ""}
    )
    it1 = plain.get_person("it1", with_roles=True)
    assert it1.roles == {ROLE_EMPLOYEE} and it1.eligible  # no eligible group: every active person may borrow
    assert plain.get_person("outsider1").eligible and not plain.get_person("gone1").eligible


def test_a_group_that_does_not_exist_grants_nothing(ldap_settings):
    missing = directory_from_config(
        {
            **ldap_settings,
            "FLEET_LDAP_IT_GROUP": "cn=nope,ou=groups,dc=example,dc=kr",
            "FLEET_LDAP_ELIGIBLE_GROUP": "cn=nope,ou=groups,dc=example,dc=kr",
        }
    )
    it1 = missing.get_person("it1", with_roles=True)
    assert it1.roles == {ROLE_EMPLOYEE} and not it1.eligible


@pytest.mark.parametrize("uid", INJECTIONS, ids=repr)
def test_hostile_uids_find_nobody_and_raise_nothing(directory, uid):
    assert directory.get_person(uid) is None
    assert directory.get_person(uid, with_roles=True) is None
    assert directory.authenticate(uid, "emp1pw") is None
    assert directory.authenticate(uid, "") is None
    assert directory.get_people([uid]) == {}


def test_hostile_passwords_bind_nobody(directory):
    for password in ["*", "", "emp1pw\x00", "\x00", "emp1pw*", "EMP1PW", " emp1pw", "x" * 10_000, "\udc80", None]:
        assert directory.authenticate("emp1", password) is None, repr(password)


def test_the_right_password_logs_in_with_roles(directory):
    person = directory.authenticate("it1", "it1pw")
    assert person.uid == "it1" and person.name == "김민수" and person.roles == {ROLE_IT, ROLE_EMPLOYEE}
    assert directory.authenticate("audit1", "audit1pw").roles == {ROLE_AUDITOR, ROLE_EMPLOYEE}
    assert directory.authenticate("outsider1", "outsider1pw").roles == {ROLE_EMPLOYEE}  # may log in, not borrow


def test_wrong_and_empty_passwords(directory):
    assert directory.authenticate("emp1", "emp2pw") is None
    assert directory.authenticate("emp1", "wrong") is None
    assert directory.authenticate("emp1", "") is None


def test_an_empty_password_never_reaches_a_bind(directory, ldap_operations):
    assert directory.authenticate("emp1", "") is None
    assert ldap_operations == []


def test_a_disabled_person_cannot_log_in_even_with_the_right_password(directory, slapd):
    # The server itself accepts the password: the refusal is Fleet's active filter.
    conn = ldap.initialize(slapd.uri)
    conn.simple_bind_s(person_dn("gone1"), "gone1pw")
    conn.unbind_s()
    assert directory.authenticate("gone1", "gone1pw") is None


def test_password_checks_keep_their_own_connection_and_reuse_it(fresh_directory, ldap_operations, monkeypatch):
    # Over TLS a new connection per log-in would be a new handshake per log-in; the password check's
    # connection is kept per thread, and it is not the service connection (which never changes identity).
    unbound = []
    original = SimpleLDAPObject.unbind_ext_s
    monkeypatch.setattr(SimpleLDAPObject, "unbind_ext_s", lambda self, *a: unbound.append(self) or original(self, *a))
    fresh_directory.ping()  # the service connection exists before
    ldap_operations.clear()
    assert fresh_directory.authenticate("emp1", "emp1pw") is not None
    assert fresh_directory.authenticate("emp1", "wrong") is None
    assert fresh_directory.authenticate("it1", "it1pw").roles == {ROLE_IT, ROLE_EMPLOYEE}
    assert ldap_operations.count("simple_bind") == 3 and unbound == []  # one bind per log-in, no new connection
    ldap_operations.clear()
    assert fresh_directory.get_person("emp1", with_roles=True).roles == {ROLE_EMPLOYEE}
    assert "simple_bind" not in ldap_operations  # the service connection is intact, still the service account's


@pytest.mark.parametrize("uid", ["emp1", "gone1", "outsider1", "nobody"])
def test_a_look_up_takes_at_most_three_round_trips_even_on_a_new_connection(fresh_directory, ldap_exchanges, uid):
    fresh_directory.get_person(uid)
    assert ldap_exchanges[0] == "simple_bind"  # the service bind of the new connection counts too
    assert round_trips(ldap_exchanges) <= 3, ldap_exchanges
    # the compare sent with the first search, on the chance that the person is active, is the one request more
    assert len([name for name in ldap_exchanges if name != "result"]) <= 4, ldap_exchanges


def test_an_active_person_takes_one_round_trip(fresh_directory, ldap_exchanges):
    fresh_directory.get_person("emp2")  # the first look-up learns how the directory names people
    fresh_directory.ping()
    ldap_exchanges.clear()
    assert fresh_directory.get_person("emp1").eligible
    assert ldap_exchanges == ["search_ext", "compare_ext", "result", "result"]
    ldap_exchanges.clear()
    assert fresh_directory.get_person("it1", with_roles=True).roles == {ROLE_EMPLOYEE, ROLE_IT}
    assert round_trips(ldap_exchanges) == 1 and ldap_exchanges.count("compare_ext") == 4, ldap_exchanges
    ldap_exchanges.clear()
    assert not fresh_directory.get_person("outsider1").eligible  # the compare that travelled said no
    assert round_trips(ldap_exchanges) == 1, ldap_exchanges


def test_a_person_named_otherwise_is_asked_about_again_by_the_dn_found(fresh_directory, slapd, ldap_exchanges):
    """The compares that travel with the search are for the DN `uid=<uid>,<people base>`: for a person with
    another DN their answers do not count; the groups are asked again for the DN found, and the next look-up
    sends no compare with its search until a person named by uid is found again."""
    odd = "cn=Odd Person,ou=people,dc=example,dc=kr"
    slapd.load(f"dn: {odd}\nobjectClass: inetOrgPerson\nuid: odd1\ncn: Odd Person\nsn: Person\n")
    group = "dn: cn=fleet-eligible,ou=groups,dc=example,dc=kr\nchangetype: modify\n{op}: member\nmember: " + odd
    slapd.modify(group.format(op="add"))
    try:
        fresh_directory.get_person("emp1")
        ldap_exchanges.clear()
        odd1 = fresh_directory.get_person("odd1")
        assert odd1.dn == odd and odd1.eligible  # uid=odd1,... is no member; cn=Odd Person,... is
        assert round_trips(ldap_exchanges) == 2 and ldap_exchanges.count("compare_ext") == 2, ldap_exchanges
        ldap_exchanges.clear()
        assert fresh_directory.get_person("emp2").eligible
        assert ldap_exchanges == ["search_ext", "result", "compare_ext", "result"]  # no guess after odd1
        ldap_exchanges.clear()
        assert fresh_directory.get_person("emp3").eligible
        assert round_trips(ldap_exchanges) == 1  # emp2 is named by uid: the guess is back
    finally:
        slapd.modify(group.format(op="delete"))
        slapd.ldapdelete(odd)


def test_a_look_up_on_an_open_connection_takes_two_operations(fresh_directory, ldap_operations):
    fresh_directory.ping()
    ldap_operations.clear()
    fresh_directory.get_person("emp1")
    assert ldap_operations == ["search_ext", "compare_ext"]  # the active search, then the eligible group
    ldap_operations.clear()
    fresh_directory.get_person("emp1", with_roles=True)
    # eligible, IT, auditors, privacy officers: one compare each, never a read of a group's members
    assert ldap_operations == ["search_ext"] + ["compare_ext"] * 4


def test_absurd_uids_cost_no_operation(directory, ldap_operations):
    for uid in ["", "x" * 257, "a\x00b", None, 42]:
        assert directory.get_person(uid) is None
    assert ldap_operations == []


def test_get_people_for_a_sync(directory, ldap_operations):
    people = directory.get_people(["emp1", "gone1", "outsider1", "nobody", "*", "EMP2", "emp1", "it1"])
    assert set(people) == {"emp1", "gone1", "outsider1", "EMP2", "it1"}
    assert people["EMP2"].uid == "emp2" and people["EMP2"].name == "최준호"
    assert (people["emp1"].active, people["emp1"].eligible) == (True, True)
    assert (people["gone1"].active, people["gone1"].eligible) == (False, False)
    assert (people["outsider1"].active, people["outsider1"].eligible) == (True, False)
    assert all(p.roles == frozenset() for p in people.values())
    assert ldap_operations.count("search_ext") == 2


def test_get_people_batches_thousands(directory, ldap_operations):
    real = ["it1", "it2", "audit1", "emp1", "emp2", "emp3", "gone1", "outsider1"]
    uids = [f"leaver{i:04d}" for i in range(1000)] + real
    people = directory.get_people(uids)
    assert set(people) == set(real)
    assert ldap_operations.count("search_ext") == 2 * 11  # 1,008 uids: 11 batches of at most 100, two searches each
    assert ldap_operations.count("compare_ext") == 7  # eligibility of the active people found, pipelined
    assert directory.get_people([]) == {}


def test_a_uid_held_by_two_entries_is_nobody(directory, slapd):
    twin = "uid=emp2,ou=twins,ou=people,dc=example,dc=kr"
    slapd.load(
        "dn: ou=twins,ou=people,dc=example,dc=kr\nobjectClass: organizationalUnit\nou: twins\n\n"
        f"dn: {twin}\nobjectClass: inetOrgPerson\nuid: emp2\ncn: 최준호\nsn: 최\nuserPassword: twinpw\n"
    )
    try:
        assert directory.get_person("emp2") is None
        assert directory.authenticate("emp2", "twinpw") is None and directory.authenticate("emp2", "emp2pw") is None
        assert directory.get_people(["emp2", "emp1"]).keys() == {"emp1"}
    finally:
        slapd.ldapdelete("ou=twins,ou=people,dc=example,dc=kr", recursive=True)
    assert directory.get_person("emp2").name == "최준호"


def test_a_change_in_the_directory_counts_at_the_next_look_up(directory, slapd):
    change = "dn: {dn}\nchangetype: modify\n{op}: employeeType\n{value}"
    slapd.modify(change.format(dn=person_dn("emp2"), op="add", value="employeeType: inactive\n"))
    try:
        assert directory.get_person("emp2").active is False
        assert directory.authenticate("emp2", "emp2pw") is None
        assert directory.get_people(["emp2"])["emp2"].active is False
    finally:
        slapd.modify(change.format(dn=person_dn("emp2"), op="delete", value=""))
    assert directory.get_person("emp2").active is True


def test_each_thread_has_its_own_connection(fresh_directory, ldap_operations):
    names: list[str] = []
    errors: list[BaseException] = []

    def look_up() -> None:
        try:
            for _ in range(5):
                names.append(fresh_directory.get_person("emp1").name)
        except DirectoryUnavailable as exc:  # pragma: no cover - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=look_up) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors and names == ["이지은"] * 30
    assert ldap_operations.count("simple_bind") == 6  # one service bind per thread, then reused
