"""FLEET_LDAP_* settings → an LdapDirectory, with the defaults of FLEET_LDAP_FLAVOR (openldap or ad)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fleet.directory import tls
from fleet.directory.ldap import LdapDirectory

# FLEET_LDAP_FLAVOR: the defaults of one kind of directory; every one can still be set on its own.
FLAVORS: dict[str, dict[str, str]] = {
    "openldap": {
        "FLEET_LDAP_UID_ATTR": "uid",
        "FLEET_LDAP_NAME_ATTR": "cn",
        "FLEET_LDAP_DEPARTMENT_ATTR": "ou",
        "FLEET_LDAP_EMPLOYEE_NUMBER_ATTR": "employeeNumber",
        "FLEET_LDAP_ACTIVE_FILTER": "(!(employeeType=inactive))",
        "FLEET_LDAP_PERSON_FILTER": "(objectClass=inetOrgPerson)",
        "FLEET_LDAP_LOGIN_ATTRS": "",  # the uid attribute alone
        "FLEET_LDAP_NESTED_GROUPS": "false",
    },
    "ad": {
        "FLEET_LDAP_UID_ATTR": "sAMAccountName",
        "FLEET_LDAP_NAME_ATTR": "displayName",
        "FLEET_LDAP_DEPARTMENT_ATTR": "department",
        "FLEET_LDAP_EMPLOYEE_NUMBER_ATTR": "employeeID",
        # userAccountControl bit 2 (ACCOUNTDISABLE), tested with LDAP_MATCHING_RULE_BIT_AND
        "FLEET_LDAP_ACTIVE_FILTER": "(!(userAccountControl:1.2.840.113556.1.4.803:=2))",
        "FLEET_LDAP_PERSON_FILTER": "(&(objectCategory=person)(objectClass=user))",
        "FLEET_LDAP_LOGIN_ATTRS": "sAMAccountName,userPrincipalName",
        "FLEET_LDAP_NESTED_GROUPS": "true",
    },
}



def _flag(value: str, setting: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{setting} must be true or false, not {value!r}.")


def directory_from_config(config: Mapping[str, Any]) -> LdapDirectory:
    """An LdapDirectory from the FLEET_LDAP_* settings (API.md); a missing or empty key takes the
    default of FLEET_LDAP_FLAVOR (openldap unless set)."""

    def get(key: str, default: str = "") -> str:
        value = config.get(key)
        return default if value is None or str(value).strip() == "" else str(value).strip()

    flavor = get("FLEET_LDAP_FLAVOR", "openldap").lower()
    if flavor not in FLAVORS:
        raise ValueError(f"FLEET_LDAP_FLAVOR must be one of {', '.join(FLAVORS)}, not {flavor!r}.")
    preset = FLAVORS[flavor]

    def setting(key: str) -> str:
        return get(key, preset[key])

    def number(key: str, default: str, kind: type = float) -> Any:
        text = get(key, default)
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"{key} must be a number, not {text!r}.") from None

    seconds = number("FLEET_LDAP_TIMEOUT", "3")
    tls_settings = tls.TlsSettings(
        ca_file=get("FLEET_LDAP_CA_FILE") or None,
        starttls=_flag(get("FLEET_LDAP_STARTTLS"), "FLEET_LDAP_STARTTLS"),
        require_cert=get("FLEET_LDAP_TLS_REQUIRE_CERT", "demand").lower(),
        cert_file=get("FLEET_LDAP_TLS_CERT_FILE") or None,
        key_file=get("FLEET_LDAP_TLS_KEY_FILE") or None,
    )
    return LdapDirectory(
        uris=get("FLEET_LDAP_URI").split(),
        people_base=get("FLEET_LDAP_PEOPLE_BASE"),
        bind_dn=get("FLEET_LDAP_BIND_DN") or None,
        bind_password=str(config.get("FLEET_LDAP_BIND_PASSWORD") or "") or None,  # spaces may be part of it
        uid_attr=setting("FLEET_LDAP_UID_ATTR"),
        active_filter=setting("FLEET_LDAP_ACTIVE_FILTER"),
        it_group=get("FLEET_LDAP_IT_GROUP") or None,
        auditor_group=get("FLEET_LDAP_AUDITOR_GROUP") or None,
        privacy_group=get("FLEET_LDAP_PRIVACY_GROUP") or None,
        eligible_group=get("FLEET_LDAP_ELIGIBLE_GROUP") or None,
        name_attr=setting("FLEET_LDAP_NAME_ATTR"),
        department_attr=setting("FLEET_LDAP_DEPARTMENT_ATTR"),
        timeout=seconds,
        tls_settings=tls_settings,
        allow_cleartext=_flag(get("FLEET_LDAP_ALLOW_CLEARTEXT"), "FLEET_LDAP_ALLOW_CLEARTEXT"),
        person_filter=setting("FLEET_LDAP_PERSON_FILTER"),
        employee_number_attr=setting("FLEET_LDAP_EMPLOYEE_NUMBER_ATTR"),
        login_attrs=[a.strip() for a in setting("FLEET_LDAP_LOGIN_ATTRS").split(",") if a.strip()],
        nested_groups=_flag(setting("FLEET_LDAP_NESTED_GROUPS"), "FLEET_LDAP_NESTED_GROUPS"),
        flavor=flavor,
        page_size=number("FLEET_LDAP_PAGE_SIZE", "500", int),
        nesting_depth=number("FLEET_LDAP_NESTING_DEPTH", "8", int),
    )
