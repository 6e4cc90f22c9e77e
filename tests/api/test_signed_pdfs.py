"""Every kind of PDF Fleet issues, signed with the test organisation's key and checked with outside tools.

poppler's pdfsig (against an NSS database trusting the test CA) and pyHanko's validator must both find each
one intact, trusted and covering the whole file; one changed byte, or an incremental update after the
certification signature, must fail both.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from fleet import signing
from fleet.extensions import db
from fleet.models import Document
from fleet.services import documents as document_service
from fleet.services.auth import Principal
from fleet.signing import SIGNED_LINE_PREFIX
from tests.api.test_loans_api import stock
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT
from tests.reports.helpers import signature_png
from tests.support import pdf
from tests.support.signatures import changed_one_byte, incrementally_updated, pdfsig, pyhanko_valid


def _login(client, uid: str) -> dict:
    response = client.post("/api/v1/auth/token", json={"username": uid, "password": uid + "pw"})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def issued(signed_app):
    """One PDF of every kind, issued by the signed app: {kind: (document id, bytes)}."""
    client = signed_app.test_client()
    it, auditor = _login(client, IT), _login(client, AUDITOR)
    stock(signed_app, "NB-001", "NB-002", "NB-003")
    loan = _ok(client.post("/api/v1/loans", headers=it, json={"asset_tag": "NB-001", "assignee": EMPLOYEE}), 201)
    loan = loan.get_json()
    batch = _ok(client.post("/api/v1/loans/bulk", headers=it, json={"loans": [
        {"asset_tag": "NB-002", "assignee": EMPLOYEE}, {"asset_tag": "NB-003", "assignee": EMPLOYEE2}]}), 201)
    batch = batch.get_json()
    returned = _ok(client.post(f"/api/v1/loans/{loan['id']}/return", headers=it, json={
        "condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": True})).get_json()
    stocktake = _ok(client.post("/api/v1/stocktakes", headers=it, json={"center": "JJ"}), 201).get_json()
    _ok(client.post(f"/api/v1/stocktakes/{stocktake['id']}/close", headers=it))

    out = {}

    def fetch(kind, url, headers=it):
        body = _ok(client.get(url, headers=headers)).data
        with signed_app.app_context():
            digest = hashlib.sha256(body).hexdigest()
            document = db.session.execute(db.select(Document).where(Document.sha256 == digest)).scalar_one()
            out[kind] = (document.id, body)

    fetch("handover_form", loan["handover_document"]["url"])
    fetch("return_form", returned["return_document"]["url"])
    fetch("batch_handover_form", batch["batch_document"]["url"])
    fetch("report", "/api/v1/reports/inventory.pdf", auditor)
    fetch("stocktake_report", f"/api/v1/stocktakes/{stocktake['id']}/report.pdf")
    fetch("labels", "/api/v1/labels.pdf?center=JJ")
    with signed_app.app_context():
        form = db.session.get(Document, loan["handover_document"]["id"])
        signed = document_service.sign_form(form, Principal(IT, "김민수", frozenset({"it"})),
                                            assignee_png=signature_png(), staff_png=signature_png())
        db.session.commit()
        signed_id = signed.id
    fetch("signed_on_screen", f"/api/v1/documents/{signed_id}.pdf")
    return out


def test_every_kind_of_pdf_is_signed_and_validates(issued, signed_app, signing_keys, nssdir):
    assert set(issued) == {"handover_form", "return_form", "batch_handover_form", "report", "stocktake_report",
                           "labels", "signed_on_screen"}
    fingerprint = signing_keys.signing.fingerprint
    for kind, (_, body) in issued.items():
        checked = pdfsig(body, nssdir)
        assert checked.valid, (kind, checked.output)
        assert "Signature Type: ETSI.CAdES.detached" in checked.output, kind  # PAdES
        assert "Signer Certificate Common Name: 대전광역시 유성구청" in checked.output, kind
        assert pyhanko_valid(body, signing_keys.ca_path), kind
        flat = pdf.flat_text(body)
        assert "".join(f"{SIGNED_LINE_PREFIX} 대전광역시 유성구청".split()) in flat, kind
        assert fingerprint.replace(":", "")[:16] in flat.replace(":", ""), kind


def test_a_changed_byte_or_an_incremental_update_fails_both_checks(issued, signing_keys, nssdir):
    for kind in ("handover_form", "report", "labels"):
        body = issued[kind][1]
        for tampered in (changed_one_byte(body), incrementally_updated(body)):
            assert tampered != body
            assert not pdfsig(tampered, nssdir).valid, kind
            assert not pyhanko_valid(tampered, signing_keys.ca_path), kind


def test_the_register_holds_the_signed_bytes_and_they_never_change(issued, signed_app):
    client = signed_app.test_client()
    it = _login(client, IT)
    for kind, (document_id, body) in issued.items():
        again = _ok(client.get(f"/api/v1/documents/{document_id}.pdf", headers=it)).data
        assert again == body, kind
        meta = _ok(client.get(f"/api/v1/documents/{document_id}", headers=it)).get_json()
        assert meta["sha256"] == hashlib.sha256(body).hexdigest(), kind
        verified = _ok(client.post("/api/v1/documents/verify", data=body, content_type="application/pdf",
                                   headers=it)).get_json()
        assert verified["registered"] is True, (kind, verified)


def test_unsigned_fleet_prints_no_signed_line(app, client, it_headers):
    stock(app, "NB-001")
    loan = _ok(client.post("/api/v1/loans", headers=it_headers, json={"asset_tag": "NB-001", "assignee": EMPLOYEE}),
               201).get_json()
    body = _ok(client.get(loan["handover_document"]["url"], headers=it_headers)).data
    assert b"/ByteRange" not in body
    assert "전자서명됨" not in pdf.flat_text(body)


def test_a_certificate_that_expired_while_running_issues_nothing(make_app, tmp_path):
    """Checked at start and again at each signing: a 503, and the form stays unrendered (never half-signed)."""
    now = datetime.now(UTC)
    _, ca, key, cert = signing.make_certificates("대전광역시 유성구청", now, signing_days=30,
                                                 signing_not_before=now - timedelta(days=40))
    pem = serialization.Encoding.PEM
    (tmp_path / "k.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    app = make_app()
    # As if Fleet had started while the certificate was valid.
    app.extensions["fleet_signing_key"] = signing.load_signing_key(
        {"FLEET_SIGNING_KEY": str(tmp_path / "k.pem"), "FLEET_SIGNING_CERT": str(tmp_path / "c.pem")},
        now=now - timedelta(days=20))
    client = app.test_client()
    it = _login(client, IT)
    stock(app, "NB-001")
    loan = _ok(client.post("/api/v1/loans", headers=it, json={"asset_tag": "NB-001", "assignee": EMPLOYEE}),
               201).get_json()  # the hand-over does not wait for (or need) signing
    response = client.get(loan["handover_document"]["url"], headers=it)
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert "expired" in response.get_json()["detail"]
    assert "expired" in client.get("/readyz").get_json()["checks"]["signing"]
    with app.app_context():
        document = db.session.get(Document, loan["handover_document"]["id"])
        assert document.sha256 is None and document.content is None


def test_an_ecdsa_key_signs_too(tmp_path):
    """RSA keys fill a signature container made once; an ECDSA key's container is built by pyHanko each time."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.reports.helpers import handover
    from tests.support.signatures import nss_database

    now = datetime.now(UTC)
    ca_key, ca, _, rsa_cert = signing.make_certificates("대전광역시 유성구청", now)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(rsa_cert.subject).issuer_name(ca.subject)
            .public_key(ec_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(rsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value, critical=True)
            .sign(ca_key, hashes.SHA256()))
    key = signing.SigningKey(ec_key, cert, (ca,))
    assert key.cms_template is None
    from dataclasses import replace

    import reports

    body = signing.sign_pdf(reports.render_handover(replace(handover(), signed_line=key.signed_line)), key)
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    assert pyhanko_valid(body, ca_path)
    assert pdfsig(body, nss_database(ca_path, tmp_path / "nss")).valid


def test_verify_checks_the_signature_as_well_as_the_register(issued, signed_app, signing_keys):
    client = signed_app.test_client()
    auditor = _login(client, AUDITOR)

    def verify(body):
        return _ok(client.post("/api/v1/documents/verify", data=body, content_type="application/pdf",
                               headers=auditor)).get_json()

    body = issued["handover_form"][1]
    genuine = verify(body)
    assert genuine["registered"] and genuine["signature"]["genuine"] and genuine["signature"]["ours"]
    assert genuine["signature"]["signer"] == "대전광역시 유성구청"
    assert genuine["signature"]["fingerprint"] == signing_keys.signing.fingerprint
    assert genuine["signature"]["signed_at"] and genuine["signature"]["trusted"] is True
    appended = verify(incrementally_updated(body))
    assert not appended["registered"] and appended["signature"]["intact"]
    assert not appended["signature"]["whole_document"] and not appended["signature"]["genuine"]
    broken = verify(changed_one_byte(body))
    assert not broken["registered"] and not broken["signature"]["intact"] and not broken["signature"]["genuine"]
    bare = verify(b"%PDF-1.4\n%garbage that is no PDF\n")
    assert bare["signature"]["signed"] is False and bare["signature"]["problem"]


def test_the_auditors_pages_show_signatures_checkpoints_and_the_export(issued, signed_app):
    from tests.web.test_pages import log_in, post, text

    client = signed_app.test_client()
    log_in(client, AUDITOR)
    client.get("/lang/en")
    body = issued["report"][1]
    page = text(post(client, "/audit/verify", {"file": (io.BytesIO(body), "report.pdf")},
                     content_type="multipart/form-data"))
    assert "Genuine." in page and "Signed and intact." in page and "대전광역시 유성구청" in page
    page = text(post(client, "/audit/verify", {"file": (io.BytesIO(incrementally_updated(body)), "r.pdf")},
                     content_type="multipart/form-data"))
    assert "Not registered." in page and "something was added after the signature" in page
    events = text(client.get("/audit/events"))
    assert "Signed checkpoints" in events and 'action="/api/v1/events/export"' in events
    assert client.get("/api/v1/events/export?reason=audit").status_code == 200  # the page's form works with the session
    client.get("/lang/ko")
    assert "서명된 체크포인트" in text(client.get("/audit/events"))


def test_unsigned_fleet_says_so_on_the_auditors_pages(client):
    from tests.web.test_pages import log_in, text

    log_in(client, AUDITOR)
    client.get("/lang/en")
    assert "Unsigned: no signing key is configured" in text(client.get("/audit/events"))


def test_signing_and_checking_work_inside_a_running_event_loop(signing_settings, signing_keys):
    """pyHanko runs coroutines; where a loop already runs (the browser tests' Playwright), asyncio.run() refuses."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    import reports
    from tests.reports.helpers import handover

    key = signing.load_signing_key(signing_settings)
    pdf_bytes = reports.render_handover(replace(handover(), signed_line=key.signed_line))

    async def inside_a_loop():
        return signing.sign_pdf(pdf_bytes, key), pyhanko_valid(signing.sign_pdf(pdf_bytes, key), signing_keys.ca_path)

    # A thread of its own: in the whole suite this thread may already run Playwright's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        body, valid = pool.submit(lambda: asyncio.run(inside_a_loop())).result()
    assert valid and pyhanko_valid(body, signing_keys.ca_path)
