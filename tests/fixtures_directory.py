"""The real directory for the test session: one slapd, shared by every test."""

from __future__ import annotations

import pytest

from fleet.directory import LdapDirectory, directory_from_config
from tests.support.slapd import directory_settings, start_test_directory


@pytest.fixture(scope="session")
def slapd():
    server = start_test_directory()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ldap_settings(slapd) -> dict[str, str]:
    return directory_settings(slapd)


@pytest.fixture(scope="session")
def directory(ldap_settings) -> LdapDirectory:
    return directory_from_config(ldap_settings)
