"""The sender: delivers the outbox over SMTP, each message once.

Rules enforced here:
- a sender claims a few queued messages in a short transaction (PostgreSQL: FOR UPDATE SKIP LOCKED, so two
  senders never claim one message; SQLite: BEGIN IMMEDIATE, one writer) and marks them `sending` until a
  lease runs out; it then sends each and records the outcome in its own short transaction. A sender
  killed after the SMTP answer but before that commit leaves the message `sending`: once the lease runs
  out it is sent again, with the same Message-ID, so the one message in flight may arrive twice, no other;
- a temporary failure (a 4xx answer, connection refused, a timeout, the directory down) is retried with
  exponential backoff, up to FLEET_MAIL_MAX_ATTEMPTS; a permanent one (a 5xx answer, no address) is
  marked failed with the server's answer, for the IT desk to see and retry;
- the event log records `notification.sent` and `notification.failed`, never a message's body.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from fleet.clock import local_time
from fleet.db import dialect_name, reading, utcnow, writing
from fleet.directory import get_directory
from fleet.errors import DirectoryUnavailable, FleetError
from fleet.extensions import db
from fleet.models import Document, Notification
from fleet.services import mail_content
from fleet.services.documents import ensure_rendered
from fleet.services.events import append_event
from fleet.services.notifications import DEFAULT_LANGUAGE, IT_DESK, LANGUAGES

SENDER = "mailer"
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
MAX_BACKOFF = timedelta(hours=6)


class MailNotConfigured(FleetError):
    """FLEET_SMTP_URL is missing or not a URL Fleet understands."""


@dataclass(frozen=True)
class SmtpSettings:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None
    ca_file: str | None
    timeout: float

    @classmethod
    def from_url(cls, url: str, *, ca_file: str | None = None, timeout: float = 15) -> SmtpSettings:
        """`smtp://host:25`, `smtp+starttls://user:pass@host:587`, `smtps://user:pass@host:465`."""
        if not url:
            raise MailNotConfigured("FLEET_SMTP_URL is not set: messages wait in the outbox until it is.")
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise MailNotConfigured("FLEET_SMTP_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587 "
                                    "or smtps://user:pass@host:465.")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as exc:
            raise MailNotConfigured(f"FLEET_SMTP_URL has a bad port: {exc}") from exc
        return cls(parts.scheme, parts.hostname, port, unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, ca_file or None, timeout)

    def connect(self) -> smtplib.SMTP:
        """An open, authenticated SMTP session; TLS verified against the system's CAs or `ca_file`."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            client.ehlo()
            if self.scheme == "smtp+starttls":
                client.starttls(context=context)
                client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client


def smtp_settings() -> SmtpSettings:
    config = current_app.config
    return SmtpSettings.from_url(config["FLEET_SMTP_URL"], ca_file=config["FLEET_SMTP_CA_FILE"],
                                 timeout=config["FLEET_SMTP_TIMEOUT"])


# Outcomes of one attempt


class TemporaryFailure(Exception):
    """Try again later. `connection` means the SMTP session is unusable (drop it, and stop this batch)."""

    def __init__(self, answer: str, connection: bool = False):
        super().__init__(answer)
        self.answer = answer
        self.connection = connection


class PermanentFailure(Exception):
    def __init__(self, answer: str):
        super().__init__(answer)
        self.answer = answer


def _answer(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def classify(exc: smtplib.SMTPException | OSError) -> TemporaryFailure | PermanentFailure:
    """What an SMTP error means for the message: 4xx and network trouble are temporary, 5xx permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()))
        answer = _answer(code, message)
        return TemporaryFailure(answer) if 400 <= code < 500 else PermanentFailure(answer)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # The server refuses Fleet, not the message: keep every message and retry once the setting is fixed.
        return TemporaryFailure(_answer(exc.smtp_code, exc.smtp_error), connection=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = _answer(exc.smtp_code, exc.smtp_error)
        if 400 <= exc.smtp_code < 500 or exc.smtp_code < 0:
            return TemporaryFailure(answer, connection=exc.smtp_code in (421, -1))
        return PermanentFailure(answer)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentFailure(f"The mail server cannot take this message: {exc}")
    return TemporaryFailure(f"{type(exc).__name__}: {exc}", connection=True)


# Composing


def message_id(notification: Notification, domain: str) -> str:
    """The same for every attempt at one message, so a resend after a crash is recognisable."""
    stamp = notification.created_at.strftime("%Y%m%d%H%M%S")
    return f"<fleet.notification.{notification.id}.{stamp}@{domain}>"


def _from_address() -> Address:
    name, address = parseaddr(current_app.config["FLEET_MAIL_FROM"])
    return Address(display_name=name or current_app.config["FLEET_ORG_NAME"], addr_spec=address or "fleet@localhost")


def _address(name: str | None, address: str) -> Address:
    """An address as the directory gave it, Korean local parts included (RFC 6532: sent where the server offers
    SMTPUTF8); PermanentFailure for what is no address at all."""
    username, at, domain = address.strip().rpartition("@")
    if not at or not username or not domain or any(c.isspace() or c in '<>(),;:"[]\\' for c in address.strip()):
        raise PermanentFailure(f"{address!r} is not an e-mail address.")
    try:
        return Address(display_name=name or "", username=username, domain=domain)
    except (ValueError, TypeError) as exc:
        raise PermanentFailure(f"{address!r} is not an e-mail address: {exc}") from exc


@dataclass
class Prepared:
    notification_id: int
    message: EmailMessage
    recipients: list[str]
    message_id: str
    subject: str


def _resolve_recipient(notification: Notification) -> tuple[str, str | None, str]:
    """Address, name and language: as queued, else from the directory now (PermanentFailure without an address)."""
    address, name, language = notification.to_address, notification.to_name, notification.language
    if notification.recipient_uid and (address is None or language is None):
        try:
            person = get_directory().get_person(notification.recipient_uid)
        except DirectoryUnavailable as exc:
            raise TemporaryFailure(f"The directory cannot be reached: {exc.detail}") from exc
        if person is not None:
            address = address or person.email
            name = name or person.name
            language = language or person.language
        if address is None:
            raise PermanentFailure(f"No e-mail address: the directory has none for {notification.recipient_uid}"
                                   + ("" if person else " (the person is not in the directory)") + ".")
    if address is None:
        raise PermanentFailure("No e-mail address for this message.")
    return address, name, language if language in LANGUAGES else DEFAULT_LANGUAGE


def compose(notification: Notification) -> Prepared:
    """The whole message: headers (RFC 2047 for Korean), text and HTML parts, the registered PDF attached."""
    address, name, language = _resolve_recipient(notification)
    try:
        content = mail_content.gather(notification, language)
    except mail_content.ContentMissing as exc:
        raise PermanentFailure(str(exc)) from exc
    text, html = mail_content.render(content)
    sender = _from_address()
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Subject"] = content.subject
    msg["From"] = sender
    msg["To"] = _address(name, address)
    recipients = [address.strip()]
    if notification.cc_address:
        msg["Cc"] = _address(None, notification.cc_address)
        recipients.append(notification.cc_address.strip())
    msg["Date"] = format_datetime(local_time(notification.created_at))
    mid = message_id(notification, sender.domain or "localhost")
    msg["Message-ID"] = mid
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Fleet-Notification"] = f"{notification.kind}; id={notification.id}"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if notification.document_id is not None:
        document = ensure_rendered(db.session.get(Document, notification.document_id))
        content_bytes = db.session.execute(select(Document.content).where(Document.id == document.id)).scalar_one()
        if hashlib.sha256(content_bytes).hexdigest() != document.sha256:
            raise PermanentFailure(f"Document {document.id} does not match its registered SHA-256.")
        msg.add_attachment(content_bytes, maintype="application", subtype="pdf",
                           filename=content.attachment_name or document.filename)
    msg["Content-Language"] = language  # after the body: set_content and add_alternative move Content-* headers
    return Prepared(notification.id, msg, recipients, mid, content.subject)


# Claiming and recording


def _claimable(now: datetime):
    return or_(and_(Notification.status == "queued", Notification.next_attempt_at <= now),
               and_(Notification.status == "sending", Notification.lease_until < now))


def _give_up_on_abandoned(now: datetime) -> None:
    """A message whose senders died with it FLEET_MAIL_MAX_ATTEMPTS times fails, rather than stopping every
    sender in turn (a message that crashes the sender would otherwise come back forever)."""
    query = select(Notification).where(Notification.status == "sending", Notification.lease_until < now,
                                       Notification.attempts >= current_app.config["FLEET_MAIL_MAX_ATTEMPTS"])
    if dialect_name() == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for notification in db.session.execute(query.limit(100)).scalars():
        notification.status, notification.lease_until = "failed", None
        notification.last_error = f"Given up after {notification.attempts} attempts: the sender stopped while " \
                                  "sending it each time."
        db.session.flush()
        append_event(SENDER, "notification.failed", "notification", notification.id, at=now, after={
            "kind": notification.kind, "recipient": notification.recipient_uid or IT_DESK,
            "attempts": notification.attempts, "permanent": False})


def claim(limit: int, now: datetime) -> list[int]:
    """Take up to `limit` due messages for this sender, in one short transaction."""
    lease = timedelta(seconds=current_app.config["FLEET_MAIL_LEASE_SECONDS"])
    with writing():
        _give_up_on_abandoned(now)
        query = select(Notification.id).where(_claimable(now)).order_by(Notification.id).limit(limit)
        if dialect_name() == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(db.session.execute(query).scalars())
        if ids:
            db.session.execute(update(Notification).where(Notification.id.in_(ids))
                               .values(status="sending", lease_until=now + lease, attempts=Notification.attempts + 1)
                               .execution_options(synchronize_session=False))
        db.session.commit()
    return ids


@dataclass(frozen=True)
class Claimed:
    """What the sender keeps of a claimed message between its short transactions (no ORM object)."""

    id: int
    kind: str
    attempts: int
    recipient: str

    @classmethod
    def of(cls, notification: Notification) -> Claimed:
        return cls(notification.id, notification.kind, notification.attempts, notification.recipient_uid or IT_DESK)


def _finish(notification_id: int, values: dict, event: str | None, event_data: dict, now: datetime) -> None:
    with writing():
        done = db.session.execute(update(Notification).where(Notification.id == notification_id,
                                                             Notification.status == "sending")
                                  .values(lease_until=None, **values)
                                  .execution_options(synchronize_session=False)).rowcount
        if done and event:
            append_event(SENDER, event, "notification", notification_id, at=now, after=event_data)
        db.session.commit()


def record_sent(claimed: Claimed, prepared: Prepared, now: datetime, refused: dict) -> None:
    note = "; ".join(f"{addr}: {_answer(code, msg)}" for addr, (code, msg) in refused.items()) or None
    _finish(claimed.id, {"status": "sent", "sent_at": now, "message_id": prepared.message_id,
                         "subject": prepared.subject[:300], "last_error": note},
            "notification.sent", {"kind": claimed.kind, "recipient": claimed.recipient,
                                  "message_id": prepared.message_id, "attempts": claimed.attempts}, now)


def record_failure(claimed: Claimed, failure: TemporaryFailure | PermanentFailure, now: datetime) -> str:
    """Back to the queue with backoff, or failed for good; answers the new status."""
    config = current_app.config
    if isinstance(failure, TemporaryFailure) and claimed.attempts < config["FLEET_MAIL_MAX_ATTEMPTS"]:
        delay = min(timedelta(seconds=config["FLEET_MAIL_RETRY_SECONDS"] * 2 ** (claimed.attempts - 1)), MAX_BACKOFF)
        _finish(claimed.id, {"status": "queued", "next_attempt_at": now + delay, "last_error": failure.answer[:2000]},
                None, {}, now)
        return "queued"
    _finish(claimed.id, {"status": "failed", "last_error": failure.answer[:2000]}, "notification.failed",
            {"kind": claimed.kind, "recipient": claimed.recipient, "attempts": claimed.attempts,
             "permanent": isinstance(failure, PermanentFailure)}, now)
    return "failed"


# The pass


@dataclass
class PassResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    message_ids: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def _compose(notification: Notification) -> Prepared | TemporaryFailure | PermanentFailure:
    try:
        return compose(notification)
    except (TemporaryFailure, PermanentFailure) as failure:
        return failure


def _prepare(notification_id: int, compose_it: bool = True
             ) -> tuple[Claimed, Prepared | TemporaryFailure | PermanentFailure | None]:
    """Load and compose one claimed message, in a read-only transaction: the directory look-up and the
    rendering hold no write lock (SQLite has one). A form not yet rendered is rendered and registered
    first, in a short write of its own."""
    outcome: Prepared | TemporaryFailure | PermanentFailure | None = None
    with reading():
        notification = db.session.get(Notification, notification_id)
        claimed = Claimed.of(notification)
        document_id = notification.document_id if compose_it else None
        unrendered = document_id is not None and db.session.execute(
            select(Document.sha256).where(Document.id == document_id)).scalar_one_or_none() is None
        try:
            if compose_it and not unrendered:
                outcome = _compose(notification)
        finally:
            db.session.rollback()
    if unrendered:
        with writing():
            ensure_rendered(db.session.get(Document, document_id))
            db.session.commit()
        with reading():
            try:
                outcome = _compose(db.session.get(Notification, notification_id))
            finally:
                db.session.rollback()
    return claimed, outcome


def deliver_pending(*, now: Callable[[], datetime] = utcnow, batch: int = 20, max_messages: int | None = None,
                    settings: SmtpSettings | None = None) -> PassResult:
    """One pass over the outbox: send what is due until nothing is (or `max_messages` are handled).

    One SMTP session serves the pass; it is opened on the first message and reopened after a failure.
    When the server cannot be reached, the claimed messages go back to the queue with backoff and the
    pass ends.
    """
    settings = settings or smtp_settings()
    result = PassResult()
    client: smtplib.SMTP | None = None
    try:
        while max_messages is None or result.handled < max_messages:
            size = batch if max_messages is None else min(batch, max_messages - result.handled)
            ids = claim(size, now())
            if not ids:
                break
            unreachable: TemporaryFailure | None = None
            for notification_id in ids:
                claimed, outcome = _prepare(notification_id, compose_it=unreachable is None)
                if unreachable is not None:
                    outcome = unreachable  # the server is down: back to the queue without trying
                elif isinstance(outcome, Prepared):
                    try:
                        if client is None:
                            client = settings.connect()
                        refused = client.send_message(outcome.message, to_addrs=outcome.recipients)
                    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError and timeouts are OSErrors
                        failure = classify(exc)
                        if isinstance(failure, TemporaryFailure) and failure.connection:
                            _close(client)
                            client = None
                            unreachable = failure
                        outcome = failure
                    else:
                        record_sent(claimed, outcome, now(), refused)
                        result.sent += 1
                        result.message_ids.append(outcome.message_id)
                        continue
                if record_failure(claimed, outcome, now()) == "failed":
                    result.failed += 1
                else:
                    result.retried += 1
            if unreachable is not None:
                break
    finally:
        _close(client)
    return result


def _close(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def waiting_count(now: datetime | None = None) -> int:
    """Messages due now (queued, or claimed by a sender whose lease ran out)."""
    with reading():
        count = db.session.execute(select(func.count()).select_from(Notification)
                                   .where(_claimable(now or utcnow()))).scalar_one()
        db.session.rollback()
    return count
