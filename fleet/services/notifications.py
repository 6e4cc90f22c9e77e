"""The notification outbox: what is to be mailed, decided in the transaction of the change.

Rules enforced here:
- a service that changes something queues its message in the same transaction (one INSERT), so a
  rolled-back change queues nothing and a committed one cannot lose its message;
- a row names the recipient, the template (`kind`), the language and the ids the template needs,
  never the text and never a request's reason or note: the sender renders the text when it sends;
- a reminder carries a `dedupe_key` (kind, loan, local day): the database keeps it unique, so it is
  queued once per loan and day however many workers try;
- the event log records that a message was queued (in the causing event, or a `notification.queued`
  event) and, later, that it was sent or failed; never its body.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fleet.db import MAX_ID, dialect_name, run, utcnow
from fleet.directory.base import Person
from fleet.errors import Conflict, NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import NOTIFICATION_STATUSES, Notification
from fleet.services.auth import Principal
from fleet.services.events import QUEUE_NOTIFICATION, append_event
from fleet.services.pagination import Page, decode_cursor, make_page

DEFAULT_LANGUAGE = "ko"
LANGUAGES = ("ko", "en")
IT_DESK = "it-desk"  # how events and pages name the IT desk's mailbox as a recipient

_NOTIFICATIONS = Notification.__table__
_QUEUE_ONCE = {
    "postgresql": postgresql.insert(_NOTIFICATIONS).on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(_NOTIFICATIONS.c.id),
    "sqlite": sqlite.insert(_NOTIFICATIONS).on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(_NOTIFICATIONS.c.id),
}
_RETRY = (update(_NOTIFICATIONS).where(_NOTIFICATIONS.c.id == bindparam("nid"), _NOTIFICATIONS.c.status == "failed")
          .values(status="queued", attempts=0, next_attempt_at=bindparam("now", type_=_NOTIFICATIONS.c.next_attempt_at
                                                                          .type), lease_until=None))


def language_of(person: Person | None) -> str:
    language = person.language if person is not None else None
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def outbox_row(kind: str, *, now: datetime, recipient_uid: str | None = None, to_address: str | None = None,
               to_name: str | None = None, cc_address: str | None = None, language: str | None = None,
               data: dict | None = None, document_id: int | None = None, dedupe_key: str | None = None) -> dict:
    """The values of one message row, queued: for `queue`, or for the event that names it (append_event's
    `notification`, which writes both in one statement on PostgreSQL)."""
    return {"kind": kind, "recipient_uid": recipient_uid, "to_address": to_address, "to_name": to_name,
            "cc_address": cc_address, "language": language, "data": data or {}, "document_id": document_id,
            "dedupe_key": dedupe_key, "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now}


def queue(kind: str, *, now: datetime, recipient_uid: str | None = None, to_address: str | None = None,
          to_name: str | None = None, cc_address: str | None = None, language: str | None = None,
          data: dict | None = None, document_id: int | None = None, dedupe_key: str | None = None) -> int | None:
    """Write one message row in the caller's transaction; answers its id (None: already queued by its key)."""
    values = outbox_row(kind, now=now, recipient_uid=recipient_uid, to_address=to_address, to_name=to_name,
                        cc_address=cc_address, language=language, data=data, document_id=document_id,
                        dedupe_key=dedupe_key)
    if dedupe_key is None:
        return run(QUEUE_NOTIFICATION, values).scalar_one()
    return run(_QUEUE_ONCE[dialect_name()], values).scalar_one_or_none()


def row_for_person(kind: str, person: Person, *, now: datetime, data: dict, document_id: int | None = None,
                   notification_id: int | None = None) -> dict:
    """The row of a message to a person the caller has just looked up in the directory (address and language
    known), to be written with its event (append_event's `notification`); `notification_id`: drawn already
    (PostgreSQL: the event and the row then go in one statement)."""
    return _with_id(outbox_row(kind, now=now, recipient_uid=person.uid, to_address=person.email, to_name=person.name,
                               language=language_of(person), data=data, document_id=document_id), notification_id)


def _with_id(row: dict, notification_id: int | None) -> dict:
    return row if notification_id is None else {"id": notification_id, **row}


def queue_for_person(kind: str, person: Person, *, now: datetime, data: dict, document_id: int | None = None) -> int:
    """A message to a person the caller has just looked up in the directory (address and language known)."""
    return queue(kind, now=now, recipient_uid=person.uid, to_address=person.email, to_name=person.name,
                 language=language_of(person), data=data, document_id=document_id)


def row_for_uid(kind: str, uid: str, *, now: datetime, data: dict, name: str | None = None,
                address: str | None = None, document_id: int | None = None,
                notification_id: int | None = None) -> dict:
    """The row of a message to a person known by uid only (see queue_for_uid), to be written with its event;
    `notification_id`: drawn already, as for row_for_person."""
    return _with_id(outbox_row(kind, now=now, recipient_uid=uid, to_address=address, to_name=name, data=data,
                               document_id=document_id), notification_id)


def queue_for_uid(kind: str, uid: str, *, now: datetime, data: dict, name: str | None = None,
                  address: str | None = None, cc_address: str | None = None, document_id: int | None = None,
                  dedupe_key: str | None = None) -> int | None:
    """A message to a person known by uid only: the sender asks the directory for the language (and the
    address, when `address` is None) when it sends."""
    return queue(kind, now=now, recipient_uid=uid, to_address=address, to_name=name, cc_address=cc_address,
                 data=data, document_id=document_id, dedupe_key=dedupe_key)


def it_desk_address() -> str | None:
    return current_app.config["FLEET_MAIL_IT_DESK"] or None


def queue_for_it_desk(kind: str, *, now: datetime, data: dict, actor: str,
                      dedupe_key: str | None = None) -> int | None:
    """A message to the IT desk's mailbox (FLEET_MAIL_IT_DESK); nothing when no mailbox is set."""
    address = it_desk_address()
    if address is None:
        return None
    nid = queue(kind, now=now, to_address=address, language=DEFAULT_LANGUAGE, data=data, dedupe_key=dedupe_key)
    if nid is not None:
        record_queued(nid, kind, IT_DESK, actor, now)
    return nid


def record_queued(nid: int, kind: str, recipient: str, actor: str, now: datetime) -> None:
    """The event of a message that no other event names (reminders, desk mails)."""
    append_event(actor, "notification.queued", "notification", nid, at=now,
                 after={"kind": kind, "recipient": recipient})


# Reading and retrying


def get_notification(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id) if 0 < notification_id <= MAX_ID else None
    if notification is None:
        raise NotFound(f"There is no notification {notification_id}.")
    return notification


def check_can_read(notification: Notification, principal: Principal) -> None:
    """IT staff read every message; anyone else only the ones sent to them (others look like they don't exist)."""
    if not principal.has("it") and notification.recipient_uid != principal.uid:
        raise NotFound(f"There is no notification {notification.id}.")


def list_notifications(principal: Principal, *, status: str | None = None, recipient: str | None = None,
                       limit: int = 50, cursor: str | None = None) -> Page:
    """The outbox, newest first, keyset-paginated on id. IT staff see all; anyone else their own."""
    if status is not None and status not in NOTIFICATION_STATUSES:
        raise ValidationFailed("Some fields are not valid; see errors.",
                               errors={"status": [f"Must be one of: {', '.join(NOTIFICATION_STATUSES)}."]})
    query = select(Notification)
    if not principal.has("it"):
        query = query.where(Notification.recipient_uid == principal.uid)
    elif recipient:
        query = query.where(Notification.recipient_uid == recipient)
    if status:
        query = query.where(Notification.status == status)
    key = decode_cursor(cursor)
    if key:
        query = query.where(Notification.id < key[0])
    rows = list(db.session.execute(query.order_by(Notification.id.desc()).limit(limit + 1)).scalars())
    return make_page(rows, limit, lambda n: [n.id])


def count_with_status(status: str) -> int:
    """How many e-mails are in one state: a range of the (status, next attempt) index, not a pass over every
    e-mail as `count_by_status` makes (the dashboard's tile needs only the failed ones)."""
    return db.session.execute(select(func.count()).select_from(Notification)
                              .where(Notification.status == status)).scalar_one()


def count_by_status() -> dict[str, int]:
    counts = dict.fromkeys(NOTIFICATION_STATUSES, 0)
    counts.update(db.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
    return counts


def retry(notification: Notification, actor: Principal, now: datetime | None = None) -> Notification:
    """Queue a failed message again, from its first attempt (Conflict unless it failed)."""
    now = now or utcnow()
    if run(_RETRY, {"nid": notification.id, "now": now}).rowcount != 1:
        db.session.refresh(notification)
        raise Conflict(f"Notification {notification.id} is {notification.status}; only a failed one can be retried.",
                       code="notification-status", errors={"status": [f"The notification is {notification.status}."]})
    db.session.refresh(notification)
    append_event(actor.uid, "notification.retried", "notification", notification.id, at=now,
                 before={"status": "failed"}, after={"status": "queued", "kind": notification.kind})
    return notification
