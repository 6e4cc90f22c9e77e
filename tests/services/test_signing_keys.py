"""The organisation's signing key: loaded when configured, a clear error when it cannot be used, unsigned without."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from fleet import create_app, signing
from fleet.signing import SigningKeyError
from tests.fixtures_signing import TEST_ORG


def _settings(key, cert=None, password=None) -> dict:
    values = {"FLEET_SIGNING_KEY": str(key)}
    if cert:
        values["FLEET_SIGNING_CERT"] = str(cert)
    if password:
        values["FLEET_SIGNING_PASSWORD"] = password
    return values


def _write(path, *pems: bytes):
    path.write_bytes(b"".join(pems))
    return path


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def test_no_key_means_unsigned():
    assert signing.load_signing_key({}) is None
    assert signing.load_signing_key({"FLEET_SIGNING_KEY": "", "FLEET_SIGNING_CERT": ""}) is None


def test_the_made_keys_load_with_their_chain(signing_keys, signing_settings):
    key = signing.load_signing_key(signing_settings)
    assert key.signer_name == TEST_ORG
    assert key.fingerprint == signing_keys.signing.fingerprint and len(key.fingerprint) == 95
    assert [c.subject for c in key.chain] == [signing_keys.ca_certificate.subject]
    assert key.signed_line == f"전자서명됨 · Digitally signed by {TEST_ORG} · SHA-256 {key.fingerprint}"
    assert signing.verify_bytes(key.certificate, b"head", key.sign_bytes(b"head"))
    assert not signing.verify_bytes(key.certificate, b"head!", key.sign_bytes(b"head"))


def test_a_pkcs12_file_with_its_password(signing_keys, tmp_path):
    key = signing.load_signing_key({"FLEET_SIGNING_KEY": str(signing_keys.key_path),
                                    "FLEET_SIGNING_CERT": str(signing_keys.cert_path)})
    bundle = pkcs12.serialize_key_and_certificates(b"fleet", key.private_key, key.certificate, list(key.chain),
                                                   serialization.BestAvailableEncryption(b"s3cret"))
    path = tmp_path / "org.p12"
    path.write_bytes(bundle)
    loaded = signing.load_signing_key(_settings(path, password="s3cret"))
    assert loaded.fingerprint == key.fingerprint and len(loaded.chain) == 1
    with pytest.raises(SigningKeyError, match="PKCS#12"):
        signing.load_signing_key(_settings(path, password="wrong"))


def test_a_missing_key_or_certificate_is_named(signing_keys, tmp_path):
    with pytest.raises(SigningKeyError, match=r"does not exist.*keys init"):
        signing.load_signing_key(_settings(tmp_path / "nope.pem", signing_keys.cert_path))
    with pytest.raises(SigningKeyError, match="FLEET_SIGNING_CERT.*does not exist"):
        signing.load_signing_key(_settings(signing_keys.key_path, tmp_path / "nope.pem"))
    with pytest.raises(SigningKeyError, match="set FLEET_SIGNING_CERT"):
        signing.load_signing_key(_settings(signing_keys.key_path))
    with pytest.raises(SigningKeyError, match="FLEET_SIGNING_KEY is not"):
        signing.load_signing_key({"FLEET_SIGNING_CERT": str(signing_keys.cert_path)})


def test_an_unreadable_key_is_named(signing_keys, tmp_path):
    with pytest.raises(SigningKeyError, match="cannot be read"):
        signing.load_signing_key(_settings(tmp_path, signing_keys.cert_path))  # a directory
    garbage = _write(tmp_path / "garbage.pem", b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SigningKeyError, match="cannot be read as a PEM private key"):
        signing.load_signing_key(_settings(garbage, signing_keys.cert_path))
    key = signing.load_signing_key(_settings(signing_keys.key_path, signing_keys.cert_path))
    locked = _write(tmp_path / "locked.pem", _key_pem(key.private_key, b"pw"))
    with pytest.raises(SigningKeyError, match="encrypted: set FLEET_SIGNING_PASSWORD"):
        signing.load_signing_key(_settings(locked, signing_keys.cert_path))
    assert signing.load_signing_key(_settings(locked, signing_keys.cert_path, "pw")).fingerprint == key.fingerprint


def test_a_key_that_is_not_its_certificates_is_refused(signing_keys, tmp_path):
    _, _, other_key, _ = signing.make_certificates("다른 기관", datetime.now(UTC))
    other = _write(tmp_path / "other.pem", _key_pem(other_key))
    with pytest.raises(SigningKeyError, match="does not match its certificate"):
        signing.load_signing_key(_settings(other, signing_keys.cert_path))


def test_an_expired_or_not_yet_valid_certificate_is_refused(tmp_path):
    now = datetime.now(UTC)
    _, ca, key, cert = signing.make_certificates(TEST_ORG, now, signing_not_before=now - timedelta(days=40),
                                                 signing_days=30)
    key_path, cert_path = _write(tmp_path / "k.pem", _key_pem(key)), _write(tmp_path / "c.pem", _pem(cert), _pem(ca))
    with pytest.raises(SigningKeyError, match="expired on"):
        signing.load_signing_key(_settings(key_path, cert_path))
    # The same key was good while it lasted; at signing time the certificate is checked again.
    loaded = signing.load_signing_key(_settings(key_path, cert_path), now=now - timedelta(days=20))
    with pytest.raises(SigningKeyError, match="expired on"):
        signing.sign_pdf(b"%PDF-1.4", loaded, now=now)
    with pytest.raises(SigningKeyError, match="not valid before"):
        signing.load_signing_key(_settings(key_path, cert_path), now=now - timedelta(days=50))


def test_fleet_does_not_start_with_a_key_it_cannot_use(signing_keys, tmp_path):
    base = {"FLEET_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "FLEET_SECRET_KEY": "t"}
    with pytest.raises(SigningKeyError, match="does not exist"):
        create_app({**base, **_settings(tmp_path / "missing.pem", signing_keys.cert_path)})
    app = create_app({**base, **_settings(signing_keys.key_path, signing_keys.cert_path)})
    assert app.extensions["fleet_signing_key"].fingerprint == signing_keys.signing.fingerprint
    assert create_app(base).extensions["fleet_signing_key"] is None


def test_made_files_are_private_and_never_overwritten(tmp_path):
    made = signing.make_keys(tmp_path / "keys", TEST_ORG, datetime.now(UTC))
    files = sorted(p.name for p in made.directory.iterdir())
    assert files == sorted(signing.KEY_FILES)
    for name in files:
        assert os.stat(made.directory / name).st_mode & 0o777 == 0o600, name
    before = {name: (made.directory / name).read_bytes() for name in files}
    with pytest.raises(SigningKeyError, match="never overwritten"):
        signing.make_keys(tmp_path / "keys", TEST_ORG, datetime.now(UTC))
    assert {name: (made.directory / name).read_bytes() for name in files} == before
    (made.directory / "org-ca.pem").unlink()  # one file gone: still nothing is made over the others
    with pytest.raises(SigningKeyError, match="org-ca-key.pem"):
        signing.make_keys(tmp_path / "keys", TEST_ORG, datetime.now(UTC))
    assert not (made.directory / "org-ca.pem").exists()
