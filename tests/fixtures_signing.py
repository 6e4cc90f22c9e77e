"""The test organisation's CA and signing key (made once per session by `fleet.signing.make_keys`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleet import signing
from tests.support.signatures import nss_database

TEST_ORG = "대전광역시 유성구청"


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory) -> signing.MadeKeys:
    return signing.make_keys(tmp_path_factory.mktemp("keys") / "keys", TEST_ORG, datetime.now(UTC))


@pytest.fixture(scope="session")
def signing_settings(signing_keys) -> dict:
    return {"FLEET_SIGNING_KEY": str(signing_keys.key_path), "FLEET_SIGNING_CERT": str(signing_keys.cert_path)}


@pytest.fixture(scope="session")
def nssdir(signing_keys, tmp_path_factory) -> str:
    """An NSS database trusting the test CA, for pdfsig."""
    return nss_database(signing_keys.ca_path, tmp_path_factory.mktemp("nss"))


@pytest.fixture
def signed_app(make_app, signing_settings):
    """The app with the test organisation's signing key, on the same (emptied) database."""
    return make_app(**signing_settings)
