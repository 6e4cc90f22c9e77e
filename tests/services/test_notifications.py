"""Notifications through the outbox, delivered to a real SMTP server (aiosmtpd on loopback) and parsed back."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import ssl
from collections import Counter
from datetime import timedelta

import pytest

from fleet.db import utcnow
from fleet.extensions import db
from fleet.models import Document, Event, Notification
from fleet.security import get_directory
from fleet.services import mailer
from fleet.services.loans import HandoverOrder, hand_over
from fleet.services.mailer import SmtpSettings
from tests.api.test_loans_api import hand_over as api_hand_over
from tests.api.test_loans_api import stock
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2
from tests.support.smtp import SmtpSink, make_private_ca

ENGLISH = "emp4"
NO_MAIL = "emp5"


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def deliver(app, sink, *, at=None, **kwargs) -> mailer.PassResult:
    settings = kwargs.pop("settings", None) or SmtpSettings.from_url(sink.url)
    with app.app_context():
        return mailer.deliver_pending(settings=settings, now=(lambda: at) if at else utcnow, **kwargs)


def outbox(app) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.execute(db.select(Notification).order_by(Notification.id)).scalars())
        db.session.expunge_all()
        return rows


def events(app, action: str) -> list[dict]:
    with app.app_context():
        return [{"subject": e.subject_id, **json.loads(e.data)} for e in
                db.session.execute(db.select(Event).where(Event.action == action).order_by(Event.seq)).scalars()]


def pdf_of(message):
    return next(part for part in message.iter_attachments() if part.get_content_type() == "application/pdf")


def test_a_hand_over_queues_a_receipt_in_its_transaction_and_the_sender_delivers_it_in_korean(app, client,
                                                                                                it_headers, sink):
    stock(app, "NB-001")
    loan = api_hand_over(client, it_headers, "NB-001", EMPLOYEE).get_json()
    [queued] = outbox(app)
    assert (queued.kind, queued.status, queued.recipient_uid, queued.to_address, queued.language) == \
        ("handover_receipt", "queued", EMPLOYEE, "emp1@example.kr", "ko")
    assert queued.data == {"loan_id": loan["id"]} and queued.document_id == loan["handover_document"]["id"]
    [handed] = events(app, "loan.handed_over")
    assert handed["notification_id"] == queued.id

    result = deliver(app, sink)
    assert (result.sent, result.failed, result.retried) == (1, 0, 0)
    [received] = sink.received
    raw_headers = received.content.split(b"\r\n\r\n", 1)[0].decode("ascii")  # RFC 2047: the headers are ASCII
    assert "=?utf-8?" in raw_headers
    message = received.message
    assert message["Subject"] == f"[대전광역시 유성구청] 장비 인수증: NB-001 ({loan['number']})"
    assert message["To"].addresses[0].display_name == "이지은"
    assert message["To"].addresses[0].addr_spec == "emp1@example.kr"
    assert received.rcpt_tos == ["emp1@example.kr"]
    assert message["Message-ID"] == f"<fleet.notification.{queued.id}.{queued.created_at:%Y%m%d%H%M%S}@localhost>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "이지은님" in text and loan["number"] in text and "반납 예정일" in text
    assert "<table" in html and "이지은" in html
    pdf = pdf_of(message)
    content = pdf.get_content()
    assert content.startswith(b"%PDF") and pdf.get_filename() == f"handover-{loan['number']}.pdf"
    with app.app_context():
        document = db.session.get(Document, loan["handover_document"]["id"])
        assert document.sha256 == hashlib.sha256(content).hexdigest()
    [sent_row] = outbox(app)
    assert sent_row.status == "sent" and sent_row.message_id == message["Message-ID"] and sent_row.sent_at
    [sent] = events(app, "notification.sent")
    assert sent == {"subject": str(queued.id), "after": {"kind": "handover_receipt", "recipient": EMPLOYEE,
                                                         "message_id": message["Message-ID"], "attempts": 1}}
    assert deliver(app, sink).handled == 0 and len(sink.received) == 1


def test_english_to_people_whose_directory_entry_says_so(app, client, it_headers, sink):
    stock(app, "NB-001")
    loan = api_hand_over(client, it_headers, "NB-001", ENGLISH).get_json()
    deliver(app, sink)
    [message] = sink.messages()
    assert message["Subject"] == f"[대전광역시 유성구청] Handover receipt: NB-001 ({loan['number']})"
    assert message["Content-Language"] == "en"
    assert "Dear Jane Smith," in message.get_body(("plain",)).get_content()


def test_a_rolled_back_or_refused_hand_over_queues_nothing(app, client, it_headers):
    stock(app, "NB-001")
    with app.app_context():
        hand_over(get_directory(), HandoverOrder("NB-001", EMPLOYEE), IT_PRINCIPAL)
        assert db.session.execute(db.select(db.func.count()).select_from(Notification)).scalar() == 1
        db.session.rollback()
    assert outbox(app) == []
    assert api_hand_over(client, it_headers, "NB-001", "gone1").status_code == 422
    assert api_hand_over(client, it_headers, "NB-404", EMPLOYEE).status_code == 404
    assert outbox(app) == []


def test_a_person_without_an_address_fails_with_a_clear_reason_and_blocks_nothing(app, client, it_headers, sink):
    stock(app, "NB-001", "NB-002")
    api_hand_over(client, it_headers, "NB-001", NO_MAIL)
    api_hand_over(client, it_headers, "NB-002", EMPLOYEE2)
    result = deliver(app, sink)
    assert (result.sent, result.failed) == (1, 1)
    failed, sent = outbox(app)
    assert failed.status == "failed" and failed.last_error == \
        f"No e-mail address: the directory has none for {NO_MAIL}."
    assert sent.status == "sent" and sink.received[0].rcpt_tos == ["emp2@example.kr"]
    [event] = events(app, "notification.failed")
    assert event["after"] == {"kind": "handover_receipt", "recipient": NO_MAIL, "attempts": 1, "permanent": True}


def test_the_mail_server_down_while_hand_overs_go_on_loses_nothing(app, client, it_headers, sink):
    tags = [f"NB-{i:03d}" for i in range(1, 7)]
    stock(app, *tags)
    sink.stop()
    for i, tag in enumerate(tags):
        assert api_hand_over(client, it_headers, tag, (EMPLOYEE, EMPLOYEE2)[i % 2]).status_code == 201
        result = deliver(app, sink)  # each pass finds the server down
        assert result.sent == 0
    rows = outbox(app)
    assert len(rows) == 6 and {r.status for r in rows} == {"queued"}
    assert all("ConnectionRefusedError" in r.last_error for r in rows)
    assert all(r.next_attempt_at > utcnow() for r in rows)  # backoff: not at once again
    assert deliver(app, sink).handled == 0
    sink.start()  # back, on the same port
    assert deliver(app, sink).handled == 0  # still backing off
    result = deliver(app, sink, at=utcnow() + timedelta(hours=7))
    assert result.sent == 6
    ids = Counter(m["Message-ID"] for m in sink.messages())
    assert len(ids) == 6 and set(ids.values()) == {1}
    assert {r.status for r in outbox(app)} == {"sent"}


def test_a_permanent_refusal_is_failed_with_the_answer_and_can_be_retried(app, client, it_headers, sink):
    stock(app, "NB-001")
    api_hand_over(client, it_headers, "NB-001", EMPLOYEE)
    sink.refuse["emp1@example.kr"] = "550 5.1.1 <emp1@example.kr>: mailbox unavailable"
    assert deliver(app, sink).failed == 1
    [row] = outbox(app)
    assert row.status == "failed" and row.last_error == "550 5.1.1 <emp1@example.kr>: mailbox unavailable"
    sink.refuse["emp1@example.kr"] = "452 4.2.2 mailbox full"  # after the retry: temporary
    response = client.post(f"/api/v1/notifications/{row.id}/retry", headers=it_headers)
    assert response.status_code == 200 and response.get_json()["status"] == "queued"
    assert client.post(f"/api/v1/notifications/{row.id}/retry", headers=it_headers).status_code == 409
    assert deliver(app, sink).retried == 1
    [row] = outbox(app)
    assert row.status == "queued" and row.last_error == "452 4.2.2 mailbox full"
    del sink.refuse["emp1@example.kr"]
    assert deliver(app, sink, at=utcnow() + timedelta(hours=1)).sent == 1
    assert len(sink.received) == 1


def test_starttls_and_auth_against_a_private_ca(app, client, it_headers, tmp_path):
    ca, cert, key = make_private_ca(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpSink(tls_context=context, credentials=("fleet", "s3cret pass")).start()
    try:
        stock(app, "NB-001")
        api_hand_over(client, it_headers, "NB-001", EMPLOYEE)
        url = server.url.replace("s3cret pass", "s3cret%20pass")
        # Without the CA, the certificate is not trusted: a temporary failure, the message waits.
        untrusted = deliver(app, server, settings=SmtpSettings.from_url(url))
        assert untrusted.retried == 1 and "CERTIFICATE_VERIFY_FAILED" in outbox(app)[0].last_error
        trusted = deliver(app, server, at=utcnow() + timedelta(hours=1),
                          settings=SmtpSettings.from_url(url, ca_file=str(ca)))
        assert trusted.sent == 1 and server.logins == ["fleet"]
        assert server.messages()[0]["Subject"].startswith("[대전광역시 유성구청] 장비 인수증")
    finally:
        server.stop()


def test_the_smtp_url_forms(app):
    assert SmtpSettings.from_url("smtp://mail.example.kr").port == 25
    starttls = SmtpSettings.from_url("smtp+starttls://fleet%40x:p%3Aw@mail.example.kr:2587")
    assert (starttls.scheme, starttls.port, starttls.username, starttls.password) == \
        ("smtp+starttls", 2587, "fleet@x", "p:w")
    assert SmtpSettings.from_url("smtps://u:p@mail.example.kr").port == 465
    for bad in ("", "http://mail.example.kr", "smtp://"):
        with pytest.raises(mailer.MailNotConfigured):
            SmtpSettings.from_url(bad)


def test_a_return_receipt_names_the_missing_accessories_and_attaches_the_return_form(app, client, it_headers, sink):
    stock(app, "NB-001")
    loan = api_hand_over(client, it_headers, "NB-001", EMPLOYEE).get_json()
    returned = client.post(f"/api/v1/loans/{loan['id']}/return", headers=it_headers, json={
        "condition": "good", "accessories_returned": ["charger"], "data_wiped": True}).get_json()
    [event] = events(app, "loan.returned")
    assert event["notification_id"] == outbox(app)[1].id
    assert deliver(app, sink).sent == 2
    receipt = next(m for m in sink.messages() if "반납 확인" in m["Subject"])
    assert receipt["Subject"] == f"[대전광역시 유성구청] 장비 반납 확인: NB-001 ({loan['number']})"
    text = receipt.get_body(("plain",)).get_content()
    assert "다음 구성품이 반납되지 않았습니다: bag." in text and "반납되지 않은 구성품: bag" in text
    pdf = pdf_of(receipt).get_content()
    with app.app_context():
        document = db.session.get(Document, returned["return_document"]["id"])
        assert document.kind == "return_form" and document.sha256 == hashlib.sha256(pdf).hexdigest()


def test_request_decisions_go_to_the_requester_only_with_the_note(app, client, login, it_headers, sink):
    from tests.api.test_requests_api import _request

    first = _request(client, login(EMPLOYEE), reason="pregnancy", note="출산 예정").get_json()["id"]
    second = _request(client, login(ENGLISH)).get_json()["id"]
    client.post(f"/api/v1/requests/{first}/reject", json={"note": "재고 없음"}, headers=it_headers)
    client.post(f"/api/v1/requests/{second}/approve", json={"note": "Ready Monday"}, headers=it_headers)
    stock(app, "NB-001")
    api_hand_over(client, it_headers, "NB-001", ENGLISH, request_id=second)
    assert [(n.kind, n.recipient_uid) for n in outbox(app)] == [
        ("request_rejected", EMPLOYEE), ("request_approved", ENGLISH), ("request_fulfilled", ENGLISH),
        ("handover_receipt", ENGLISH)]
    assert events(app, "request.rejected")[0]["notification_id"] == outbox(app)[0].id
    assert deliver(app, sink).sent == 4
    by_subject = {m["Subject"]: m for m in sink.messages()}
    rejected = by_subject[f"[대전광역시 유성구청] 장비 신청 #{first} 반려"]
    assert rejected["To"].addresses[0].addr_spec == "emp1@example.kr"
    text = rejected.get_body(("plain",)).get_content()
    assert "IT 데스크 메모: 재고 없음" in text and "출산 예정" not in text and "임신" not in text
    approved = by_subject[f"[대전광역시 유성구청] Your request #{second} was approved"]
    assert "Note from the IT desk: Ready Monday" in approved.get_body(("plain",)).get_content()
    assert f"[대전광역시 유성구청] Your request #{second} was fulfilled" in by_subject
    for message in sink.messages():  # nobody else hears of a request's reason or note
        assert "출산 예정" not in message.get_body(("plain",)).get_content()


def test_a_korean_address_goes_out_with_smtputf8_or_fails_clearly_without_it(app, client, it_headers):
    """RFC 6532: a non-ASCII address is sent as UTF-8 where the server offers SMTPUTF8, refused for good elsewhere."""
    stock(app, "NB-001", "NB-002")
    for tag in ("NB-001", "NB-002"):
        api_hand_over(client, it_headers, tag, EMPLOYEE)
    with app.app_context():
        db.session.execute(db.update(Notification).values(to_address="이지은@example.kr"))
        db.session.commit()
    plain = SmtpSink().start()
    try:
        assert deliver(app, plain, max_messages=1).failed == 1
    finally:
        plain.stop()
    assert "cannot take this message" in outbox(app)[0].last_error
    utf8 = SmtpSink(smtputf8=True).start()
    try:
        assert deliver(app, utf8).sent == 1
        [received] = utf8.received
        assert received.rcpt_tos == ["이지은@example.kr"]
        # RFC 6532: the headers travel as raw UTF-8 (the stdlib's byte parser would keep them as escapes)
        message = email.message_from_string(received.content.decode("utf-8"), policy=email.policy.default)
        assert message["To"].addresses[0].addr_spec == "이지은@example.kr"
        assert message["Subject"].startswith("[대전광역시 유성구청] 장비 인수증: NB-002")
    finally:
        utf8.stop()


def test_a_malformed_address_fails_that_message_only(app, client, it_headers, sink):
    stock(app, "NB-001", "NB-002")
    api_hand_over(client, it_headers, "NB-001", EMPLOYEE)
    api_hand_over(client, it_headers, "NB-002", EMPLOYEE2)
    with app.app_context():
        first = db.session.execute(db.select(Notification).order_by(Notification.id)).scalars().first()
        first.to_address = "emp1 at example.kr"
        db.session.commit()
    result = deliver(app, sink)
    assert (result.sent, result.failed) == (1, 1)
    failed, sent = outbox(app)
    assert failed.last_error == "'emp1 at example.kr' is not an e-mail address." and sent.status == "sent"


def test_a_message_its_senders_died_with_too_often_fails_instead_of_coming_back(app, client, it_headers, sink):
    stock(app, "NB-001")
    api_hand_over(client, it_headers, "NB-001", EMPLOYEE)
    with app.app_context():
        db.session.execute(db.update(Notification).values(status="sending", attempts=8,
                                                          lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert deliver(app, sink).handled == 0 and sink.received == []
    [row] = outbox(app)
    assert row.status == "failed" and row.last_error.startswith("Given up after 8 attempts")
    assert events(app, "notification.failed")[0]["after"]["permanent"] is False
