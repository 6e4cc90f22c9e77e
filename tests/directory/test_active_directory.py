"""Fleet against a real Active Directory domain controller (Samba, tests/support/samba.py), over ldaps://.

The settings are what an administrator would write: FLEET_LDAP_FLAVOR=ad, the DC's URI and
CA file, a service account that is an ordinary domain user, and the groups' DNs.
"""

from __future__ import annotations

import pytest

from fleet.directory import ROLE_AUDITOR, ROLE_EMPLOYEE, ROLE_IT, LdapDirectory, directory_from_config
from fleet.errors import DirectoryUnavailable
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.support.samba import (
    ALL_STAFF_GROUP,
    BULK_USERS,
    DOMAIN_USERS,
    PASSWORD,
    USERS,
    SambaDC,
    ad_settings,
)

JIEUN, MINSU, SORA, JUNHO, SANGWOO = USERS


@pytest.fixture(scope="module")
def ad(samba_dc: SambaDC) -> LdapDirectory:
    return directory_from_config(ad_settings(samba_dc))


@pytest.mark.parametrize("login", ["jieun", "JIEUN", "jieun@example.kr", "EXAMPLE\\jieun", "example\\Jieun"])
def test_log_in_by_account_name_upn_or_domain_name(ad, login):
    person = ad.authenticate(login, PASSWORD)
    assert person is not None and person.uid == "jieun"  # one uid, however it was typed
    assert (person.name, person.department, person.employee_number, person.email) == (
        "김지은", "민원봉사과", "E1001", "jieun@example.kr",  # displayName, not cn ("지은 김")
    )
    assert ad.authenticate(login, "Wrong-Pass-1!") is None


def test_roles_and_eligibility_through_nested_groups(ad):
    assert ad.authenticate("minsu", PASSWORD).roles == {ROLE_IT, ROLE_EMPLOYEE}  # IT-Helpdesk ⊂ fleet-it
    assert ad.authenticate("sora", PASSWORD).roles == {ROLE_AUDITOR, ROLE_EMPLOYEE}  # directly
    assert ad.get_person("jieun").eligible  # Seoul-Staff ⊂ fleet-eligible
    assert not ad.get_person("minsu").eligible and not ad.get_person("junho").eligible
    people = ad.get_people(["jieun", "minsu", "sangwoo", "Desk-Seoul"])
    assert {uid: (p.active, p.eligible) for uid, p in people.items()} == {
        "jieun": (True, True), "minsu": (True, False), "sangwoo": (False, False),
    }


def test_without_nesting_only_direct_members_count(samba_dc):
    flat = directory_from_config(ad_settings(samba_dc, FLEET_LDAP_NESTED_GROUPS="false"))
    assert flat.get_person("minsu", with_roles=True).roles == {ROLE_EMPLOYEE}
    assert not flat.get_person("jieun").eligible
    assert flat.get_person("sora", with_roles=True).roles == {ROLE_AUDITOR, ROLE_EMPLOYEE}


def test_membership_through_the_primary_group(samba_dc):
    # Domain Users lists nobody in `member`: everyone is in it through primaryGroupID 513.
    domain_users = directory_from_config(ad_settings(samba_dc, FLEET_LDAP_ELIGIBLE_GROUP=DOMAIN_USERS))
    assert domain_users.get_person("junho").eligible
    assert domain_users.get_people(["junho", "u0001"])["u0001"].eligible
    # All-Staff holds Domain Users: through the primary group, then nesting.
    all_staff = directory_from_config(ad_settings(samba_dc, FLEET_LDAP_ELIGIBLE_GROUP=ALL_STAFF_GROUP))
    assert all_staff.get_person("junho").eligible and all_staff.get_people(["junho"])["junho"].eligible
    flat = directory_from_config(
        ad_settings(samba_dc, FLEET_LDAP_ELIGIBLE_GROUP=ALL_STAFF_GROUP, FLEET_LDAP_NESTED_GROUPS="false")
    )
    assert not flat.get_person("junho").eligible


def test_a_disabled_account_is_refused(ad):
    assert ad.authenticate("sangwoo", PASSWORD) is None
    gone = ad.get_person("sangwoo")
    assert (gone.active, gone.eligible, gone.name) == (False, False, "한상우")


@pytest.mark.parametrize("name", ["Desk-Seoul", "fleet-it", "LAPTOP-SEOUL01$", "Domain Users"])
def test_groups_and_computers_are_no_people(ad, name):
    assert ad.get_person(name) is None  # not found, not "disabled"
    assert ad.get_people([name]) == {}


def test_plain_ldap_is_refused_by_ad_and_said_so_starttls_works(samba_dc):
    plain = directory_from_config(ad_settings(samba_dc, FLEET_LDAP_URI=samba_dc.ldap_uri))
    with pytest.raises(DirectoryUnavailable, match="requires an encrypted connection"):
        plain.get_person("jieun")
    starttls = directory_from_config(
        ad_settings(samba_dc, FLEET_LDAP_URI=samba_dc.ldap_uri, FLEET_LDAP_STARTTLS="true")
    )
    assert starttls.authenticate("EXAMPLE\\minsu", PASSWORD).roles == {ROLE_IT, ROLE_EMPLOYEE}


def test_the_dcs_certificate_without_the_ca_file_is_not_trusted(samba_dc):
    untrusted = directory_from_config(ad_settings(samba_dc, FLEET_LDAP_CA_FILE=""))
    with pytest.raises(DirectoryUnavailable, match="not trusted"):
        untrusted.ping()


def test_more_people_than_one_page_of_ad(ad, ldap_operations):
    # A real AD answers at most 1,000 entries to one search (MaxPageSize); Fleet asks in pages of 500.
    ad.ping()
    ldap_operations.clear()
    everyone = ad._search_people("(sAMAccountName=u*)", ["displayName"])
    # pages of 500 (Samba closes with an empty one): never one search that the server would cut off
    assert len(everyone) == BULK_USERS and set(ldap_operations) == {"search_ext"} and len(ldap_operations) >= 3
    uids = [f"u{i:04d}" for i in range(1, BULK_USERS + 1)]
    people = ad.get_people(uids)
    assert len(people) == BULK_USERS and people["u1500"].name == "직원1500" and people["u0001"].active


def test_hand_over_refusals_and_sync_against_ad(samba_dc, make_app):
    directory = directory_from_config(ad_settings(samba_dc))
    app = make_app(FLEET_DIRECTORY=directory)
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "minsu@example.kr", "password": PASSWORD})
    assert token.status_code == 201, token.get_json()
    assert token.get_json()["uid"] == "minsu" and set(token.get_json()["roles"]) == {"it", "employee"}
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    stock(app, "NB-001", "NB-002")
    for assignee, phrase in [("Desk-Seoul", "does not exist"), ("LAPTOP-SEOUL01$", "does not exist"),
                             ("sangwoo", "disabled"), ("junho", "not eligible")]:
        assert phrase in assert_problem(hand_over(client, headers, "NB-001", assignee), 422)["detail"], assignee
    loan = hand_over(client, headers, "NB-001", "jieun")
    assert loan.status_code == 201, loan.get_json()
    assert loan.get_json()["assignee"] == {"uid": "jieun", "name": "김지은", "employee_number": "E1001",
                                           "department": "민원봉사과", "email": "jieun@example.kr"}
    assert client.post("/api/v1/directory/sync", headers=headers).get_json()["leavers"] == []
    samba_dc.set_enabled(JIEUN.dn, False)
    try:
        leavers = client.post("/api/v1/directory/sync", headers=headers).get_json()["leavers"]
        assert [(x["uid"], x["reason"], x["asset_tag"]) for x in leavers] == [("jieun", "disabled", "NB-001")]
    finally:
        samba_dc.set_enabled(JIEUN.dn, True)
