"""Handover and return forms through the API, read back: registered, identical on re-download, verifiable."""

from __future__ import annotations

import hashlib
import io

from fleet.extensions import db
from fleet.models import Document, Loan
from tests.api.test_auth_api import assert_problem
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT, LONG_DEPARTMENT
from tests.support import pdf


def _loan(app, client, headers, tag="NB-001", assignee=EMPLOYEE, **extra):
    stock(app, tag)
    response = hand_over(client, headers, tag, assignee, note="재택근무", **extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _return(client, headers, loan, **body):
    values = {"condition": "good", "accessories_returned": ["charger", "bag"], "data_wiped": True, **body}
    response = client.post(f"/api/v1/loans/{loan['id']}/return", headers=headers, json=values)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _verify(client, headers, body: bytes):
    return client.post("/api/v1/documents/verify", data=body, content_type="application/pdf", headers=headers)


def assert_readable_form(body: bytes) -> None:
    """One A4 page whose every font is embedded, so any viewer shows the Korean text."""
    assert body.startswith(b"%PDF-")
    assert pdf.page_count(body) == 1
    fonts = pdf.fonts(body)
    assert fonts and all(embedded for _, embedded in fonts), fonts


def test_handover_form_is_registered_and_reads_back(app, client, it_headers):
    loan = _loan(app, client, it_headers)
    url = loan["handover_document"]["url"]
    first = client.get(url, headers=it_headers)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    body = first.data
    assert_readable_form(body)
    flat = pdf.flat_text(body)
    for expected in ["장비인수증", "EquipmentHandoverForm", "이지은", "E3001", "민원여권과", "emp1@example.kr",
                     "NB-001", "SN-NB-001", loan["number"], "진잠도서관스마트워크센터", "대전광역시유성구청", "김민수",
                     loan["due_date"]]:
        assert expected in flat, expected
    assert pdf.qr_codes(body) == [f"fleet:loan:{loan['number']}"]
    # The very same bytes every time, and the register holds their SHA-256.
    assert client.get(url, headers=it_headers).data == body
    meta = client.get(f"/api/v1/documents/{loan['handover_document']['id']}", headers=it_headers)
    assert meta.status_code == 200
    meta = meta.get_json()
    assert meta["sha256"] == hashlib.sha256(body).hexdigest() and meta["size"] == len(body)
    assert meta["kind"] == "handover_form" and meta["subject"] == f"loan:{loan['id']}" and meta["created_by"] == IT
    assert meta["url"] == url and meta["supersedes"] is None


def test_metadata_before_the_first_download_matches_the_bytes(app, client, it_headers):
    """A reserved form is rendered when first asked for, whether for its metadata or its bytes."""
    loan = _loan(app, client, it_headers)
    meta = client.get(f"/api/v1/documents/{loan['handover_document']['id']}", headers=it_headers).get_json()
    body = client.get(loan["handover_document"]["url"], headers=it_headers).data
    assert meta["sha256"] == hashlib.sha256(body).hexdigest()


def test_return_form_reads_back_and_marks_what_is_missing(app, client, it_headers):
    loan = _loan(app, client, it_headers)
    returned = _return(client, it_headers, loan, condition="damaged", accessories_returned=["charger"],
                       damage_notes="힌지 파손", data_wiped=False)
    url = returned["return_document"]["url"]
    response = client.get(url, headers=it_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    body = response.data
    assert_readable_form(body)
    flat = pdf.flat_text(body)
    for expected in ["장비반납확인서", "EquipmentReturnForm", "이지은", "민원여권과", "NB-001", "SN-NB-001",
                     loan["number"], "Missing:bag", "힌지파손", "미완료", "김민수"]:
        assert expected in flat, expected
    assert pdf.qr_codes(body) == [f"fleet:return:{loan['number']}"]
    assert client.get(url, headers=it_headers).data == body
    meta = client.get(f"/api/v1/documents/{returned['return_document']['id']}", headers=it_headers).get_json()
    assert meta["kind"] == "return_form" and meta["sha256"] == hashlib.sha256(body).hexdigest()
    # The handover form is a document of its own and stays as it was.
    assert returned["handover_document"]["id"] != returned["return_document"]["id"]


def test_a_complete_return_marks_nothing_missing(app, client, it_headers):
    loan = _loan(app, client, it_headers)
    returned = _return(client, it_headers, loan)
    flat = pdf.flat_text(client.get(returned["return_document"]["url"], headers=it_headers).data)
    assert "Missing:" not in flat and "장비반납확인서" in flat


def test_wipe_release_appears_on_a_return_form_rendered_later(app, client, it_headers):
    loan = _loan(app, client, it_headers)
    returned = _return(client, it_headers, loan, data_wiped=False)
    client.post("/api/v1/assets/NB-001/status", headers=it_headers,
                json={"status": "in_stock", "reason": "검사", "wipe_method": "보안삭제 DoD"})
    flat = pdf.flat_text(client.get(returned["return_document"]["url"], headers=it_headers).data)
    assert "보안삭제DoD" in flat and "김민수" in flat


def test_a_long_korean_department_is_wrapped_not_cut(app, client, it_headers):
    loan = _loan(app, client, it_headers, assignee=LONG_DEPARTMENT)
    body = client.get(loan["handover_document"]["url"], headers=it_headers).data
    assert_readable_form(body)
    assert "".join(loan["assignee"]["department"].split()) in pdf.flat_text(body)


def test_who_may_download(app, client, login):
    it = login(IT)
    loan = _loan(app, client, it)
    returned = _return(client, it, loan)
    for ref in (loan["handover_document"], returned["return_document"]):
        assert client.get(ref["url"], headers=login(EMPLOYEE)).status_code == 200
        assert client.get(f"/api/v1/documents/{ref['id']}", headers=login(EMPLOYEE)).status_code == 200
        assert client.get(ref["url"], headers=login(AUDITOR)).status_code == 200
        # Someone else's form does not exist, as far as another employee can tell.
        assert_problem(client.get(ref["url"], headers=login(EMPLOYEE2)), 404)
        assert_problem(client.get(f"/api/v1/documents/{ref['id']}", headers=login(EMPLOYEE2)), 404)
        assert_problem(client.get(ref["url"]), 401)


def test_an_employee_sees_no_reports(app, client, login):
    report = client.get("/api/v1/reports/overdue.pdf?reason=audit", headers=login(AUDITOR))
    document_id = report.headers["X-Fleet-Document-Id"]
    assert_problem(client.get(f"/api/v1/documents/{document_id}.pdf", headers=login(EMPLOYEE)), 404)
    assert client.get(f"/api/v1/documents/{document_id}.pdf", headers=login(IT)).data == report.data


def test_unknown_documents_are_404(client, it_headers):
    for path in ["/api/v1/documents/99999.pdf", "/api/v1/documents/99999", "/api/v1/documents/0.pdf",
                 "/api/v1/documents/abc.pdf", "/api/v1/documents/..%2F..%2Fetc%2Fpasswd.pdf",
                 "/api/v1/documents/99999999999999999999.pdf", "/api/v1/documents/4294967296"]:
        assert_problem(client.get(path, headers=it_headers), 404)


def test_verify_genuine_and_altered(app, client, login):
    it, auditor = login(IT), login(AUDITOR)
    loan = _loan(app, client, it)
    body = client.get(loan["handover_document"]["url"], headers=auditor).data
    answer = _verify(client, auditor, body)
    assert answer.status_code == 200
    answer = answer.get_json()
    assert answer["registered"] is True and answer["document"]["id"] == loan["handover_document"]["id"]
    assert answer["document"]["kind"] == "handover_form" and answer["sha256"] == hashlib.sha256(body).hexdigest()
    altered = bytearray(body)
    altered[len(altered) // 2] ^= 0x01
    answer = _verify(client, auditor, bytes(altered)).get_json()
    assert answer["registered"] is False and answer["document"] is None
    assert answer["sha256"] == hashlib.sha256(bytes(altered)).hexdigest()
    # One byte more at the end is another file too.
    assert _verify(client, it, body + b"\n").get_json()["registered"] is False
    multipart = client.post("/api/v1/documents/verify", headers=auditor,
                            data={"file": (io.BytesIO(body), "form.pdf")}, content_type="multipart/form-data")
    assert multipart.get_json()["registered"] is True


def test_verify_refuses_what_is_not_a_pdf(app, client, login):
    auditor = login(AUDITOR)
    assert_problem(_verify(client, auditor, b"hello"), 422)
    assert_problem(_verify(client, auditor, b""), 422)
    assert_problem(client.post("/api/v1/documents/verify", headers=auditor, data={"other": "x"},
                               content_type="multipart/form-data"), 422)
    assert_problem(_verify(client, login(EMPLOYEE), b"%PDF-1.4"), 403)
    assert_problem(_verify(client, {}, b"%PDF-1.4"), 401)


def test_verify_changes_nothing(app, client, login):
    auditor = login(AUDITOR)
    with app.app_context():
        before = db.session.execute(db.select(db.func.count()).select_from(Document)).scalar()
    _verify(client, auditor, b"%PDF-1.4 not registered")
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Document)).scalar() == before


def test_batch_form(app, client, it_headers, login):
    stock(app, "NB-001", "NB-002")
    response = client.post("/api/v1/loans/bulk", headers=it_headers, json={"note": "긴급", "loans": [
        {"asset_tag": "NB-001", "assignee": EMPLOYEE}, {"asset_tag": "NB-002", "assignee": EMPLOYEE2}]})
    assert response.status_code == 201, response.get_json()
    batch = response.get_json()
    body = client.get(batch["batch_document"]["url"], headers=it_headers).data
    flat = pdf.flat_text(body)
    for expected in ["장비일괄인수증", "이지은", "최준호", "NB-001", "NB-002", batch["number"]]:
        assert expected in flat, expected
    assert all(embedded for _, embedded in pdf.fonts(body))
    assert client.get(batch["batch_document"]["url"], headers=login(AUDITOR)).data == body
    # The batch form lists other people: an employee in it does not get it.
    assert_problem(client.get(batch["batch_document"]["url"], headers=login(EMPLOYEE)), 404)


def test_forms_survive_a_change_to_the_loan_snapshot(app, client, it_headers):
    """Stored bytes are served once rendered: a later edit of the data does not change the form."""
    loan = _loan(app, client, it_headers)
    body = client.get(loan["handover_document"]["url"], headers=it_headers).data
    with app.app_context():
        db.session.execute(db.update(Loan).values(assignee_name="바뀐이름"))
        db.session.commit()
    assert client.get(loan["handover_document"]["url"], headers=it_headers).data == body
