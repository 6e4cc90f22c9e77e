"""The hand-over's and the return's statements: counted, so that a feature joining their path shows what it adds."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from fleet.extensions import db
from fleet.models import Document, Event, Loan, Notification
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2

# The token's look-up (on SQLite read alone, with no transaction; on PostgreSQL the first statement of the request's
# transaction), then: the asset read, the asset's move with the booked-asset check (PostgreSQL: drawing the ids
# of the loan, its form and its receipt), the form registered, the loan, the form named (PostgreSQL: the form and the
# loan in one statement, under their final names), the event with its outbox row (PostgreSQL: one statement that
# takes the head, hashes the event and inserts both; SQLite: the outbox row, the head's UPDATE that hashes the event,
# the event), and the access record of the person's data entered (PostgreSQL: one statement; SQLite: the access
# head's UPDATE that hashes the entry, the entry). SQLite's count has its BEGIN IMMEDIATE; psycopg's are not
# statements of their own.
HAND_OVER = {"postgresql": 6, "sqlite": 12}
# The return: the token, the loan read (on SQLite read alone too, before the BEGIN IMMEDIATE), the form registered,
# the loan closed (naming its booking), the asset moved, the leaver findings resolved, the pending extension
# cancelled (PostgreSQL: these five in one statement, which also draws the receipt's id), the event with its outbox
# row, and the access record.
RETURN = {"postgresql": 5, "sqlite": 13}


@contextmanager
def statements(app):
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.split()[0].upper() not in ("COMMIT", "ROLLBACK"):
            sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_hand_over_and_a_return_send_no_more_statements_than_counted(app, client, it_headers):
    stock(app, "NB-001", "NB-002")
    assert hand_over(client, it_headers, tag="NB-002", assignee=EMPLOYEE2).status_code == 201  # compiles statements
    with statements(app) as sent:
        response = hand_over(client, it_headers)
    assert response.status_code == 201, response.get_json()
    loan = response.get_json()
    with app.app_context():
        dialect = db.engine.dialect.name
    assert len(sent) == HAND_OVER[dialect], "\n".join(sent)
    reads_of_the_asset = [s for s in sent if s.lstrip().upper().startswith("SELECT") and "FROM assets" in s]
    assert len(reads_of_the_asset) == 1, "the answer read the asset back:\n" + "\n".join(sent)
    with statements(app) as sent:
        back = client.post(f"/api/v1/loans/{loan['id']}/return", headers=it_headers,
                           json={"condition": "good", "accessories_returned": [], "data_wiped": True})
    assert back.status_code == 200, back.get_json()
    assert len(sent) == RETURN[dialect], "\n".join(sent)
    if dialect == "sqlite":  # the write lock is not held while the loan is read and checked
        loan_read = next(i for i, s in enumerate(sent) if s.lstrip().upper().startswith("SELECT") and "FROM loans" in s)
        assert loan_read < sent.index("BEGIN IMMEDIATE"), "\n".join(sent)
    with app.app_context():  # what the fewer statements wrote is all there
        stored = db.session.get(Loan, loan["id"])
        assert stored.status == "returned"
        form = db.session.get(Document, stored.handover_document_id)  # registered under its final name
        assert (form.kind, form.subject, form.filename) == ("handover_form", f"loan:{loan['id']}",
                                                             f"handover-{loan['number']}.pdf")
        receipts = db.session.execute(db.select(Notification).where(Notification.recipient_uid == EMPLOYEE)
                                      .order_by(Notification.id)).scalars().all()
        assert [n.kind for n in receipts] == ["handover_receipt", "return_receipt"]
        named = [e.data for e in db.session.execute(db.select(Event).where(Event.subject_id == str(loan["id"]),
                                                                           Event.subject_type == "loan")).scalars()]
        assert [f'"notification_id":{n.id}' in data for n, data in zip(receipts, named, strict=True)] == [True, True]
