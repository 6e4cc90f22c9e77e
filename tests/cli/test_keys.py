"""`flask --app wsgi fleet keys init`, and how Fleet says whether it signs (/readyz)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509

from fleet import signing

ROOT = Path(__file__).resolve().parents[2]


def _flask(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    env.update(FLEET_DATABASE_URL=f"sqlite:///{tmp_path / 'fleet.sqlite'}", FLEET_ORG_NAME="대전광역시 유성구청")
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "fleet", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_keys_init_makes_a_ca_and_a_signing_certificate_once(tmp_path):
    directory = tmp_path / "keys"
    made = _flask("keys", "init", "--dir", str(directory), tmp_path=tmp_path)
    assert made.returncode == 0, made.stderr
    for name in signing.KEY_FILES:
        assert (directory / name).stat().st_mode & 0o777 == 0o600, name
    chain = x509.load_pem_x509_certificates((directory / "signing-cert.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((directory / "org-ca.pem").read_bytes())
    assert chain[1] == ca and chain[0].issuer == ca.subject
    assert f"Signing fingerprint  SHA-256 {signing.fingerprint(chain[0])}" in made.stdout
    assert f"CA fingerprint       SHA-256 {signing.fingerprint(ca)}" in made.stdout
    assert f"export FLEET_SIGNING_KEY={directory / 'signing-key.pem'}" in made.stdout
    key = signing.load_signing_key({"FLEET_SIGNING_KEY": str(directory / "signing-key.pem"),
                                    "FLEET_SIGNING_CERT": str(directory / "signing-cert.pem")})
    assert key.signer_name == "대전광역시 유성구청"

    before = {name: (directory / name).read_bytes() for name in signing.KEY_FILES}
    again = _flask("keys", "init", "--dir", str(directory), tmp_path=tmp_path)
    assert again.returncode == 1 and "never overwritten" in again.stderr
    assert {name: (directory / name).read_bytes() for name in signing.KEY_FILES} == before


def test_readyz_says_whether_fleet_signs(client, make_app, signing_settings, signing_keys):
    unsigned = client.get("/readyz")
    assert unsigned.status_code == 200
    assert unsigned.get_json()["checks"]["signing"].startswith("unsigned: no FLEET_SIGNING_KEY")
    signed = make_app(**signing_settings).test_client().get("/readyz")
    assert signed.status_code == 200
    state = signed.get_json()["checks"]["signing"]
    assert state.startswith("signing as 대전광역시 유성구청") and signing_keys.signing.fingerprint in state
