"""What each notification says: gathered from the database when it is sent, in the recipient's language.

Gather, then render: `gather(notification)` turns an outbox row into a plain `MailContent`
(subject, lines, facts, a table) in the recipient's language; the Jinja templates
`mail/message.txt` and `mail/message.html` render the text and HTML parts from it. A message
to anyone but the requester never carries a request's reason or note, and no booking mail carries
a booking's purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale, format_date, format_datetime, gettext
from sqlalchemy import func, select

from fleet.clock import local_time, local_today
from fleet.extensions import db
from fleet.i18n import label
from fleet.models import Asset, Incident, LeaverFinding, Loan, LoanExtension, LoanRequest, Notification, Reservation
from fleet.services.requests import count_pending

MOMENT_FORMATS = {"ko": "y. M. d. aaaa h:mm", "en": "MMM d, y, h:mm a"}


@dataclass
class MailContent:
    subject: str
    greeting: str
    lines: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    table_header: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)
    closing: str = ""
    org_name: str = ""
    language: str = "ko"
    attachment_name: str | None = None


class ContentMissing(Exception):
    """The loan or request a message is about is gone (it cannot be, unless rows were deleted by hand)."""


def _day(day: date | None) -> str:
    return format_date(day, "medium") if day else ""


def _when(moment: datetime | None, language: str) -> str:
    return format_datetime(local_time(moment), MOMENT_FORMATS[language]) if moment else ""


def _device(loan: Loan) -> str:
    asset = loan.asset
    model = " ".join(p for p in (asset.manufacturer, asset.model) if p)
    return f"{label(asset.category)} {model}".strip()


def _loan_facts(loan: Loan, language: str) -> list[tuple[str, str]]:
    facts = [(gettext("Loan number"), loan.number), (gettext("Asset tag"), loan.asset.asset_tag),
             (gettext("Device"), _device(loan))]
    if loan.asset.serial_number:
        facts.append((gettext("Serial number"), loan.asset.serial_number))
    facts += [(gettext("Handed over"), _when(loan.checked_out_at, language)),
              (gettext("Due date"), _day(loan.due_date)), (gettext("Center"), loan.center.name)]
    return facts


def _loan(notification: Notification) -> Loan:
    loan = db.session.get(Loan, int(notification.data.get("loan_id", 0)))
    if loan is None:
        raise ContentMissing(f"The loan of notification {notification.id} does not exist.")
    return loan


def _request(notification: Notification) -> LoanRequest:
    req = db.session.get(LoanRequest, int(notification.data.get("request_id", 0)))
    if req is None:
        raise ContentMissing(f"The request of notification {notification.id} does not exist.")
    return req


def _handover_receipt(n: Notification, org: str, language: str) -> MailContent:
    loan = _loan(n)
    accessories = ", ".join(loan.accessories_out or []) or gettext("none")
    content = MailContent(
        subject=gettext("[%(org)s] Handover receipt: %(tag)s (%(number)s)", org=org, tag=loan.asset.asset_tag,
                        number=loan.number),
        greeting=gettext("Dear %(name)s,", name=loan.assignee_name),
        lines=[gettext("You have received the device below from the IT desk. Please return it by %(due)s.",
                       due=_day(loan.due_date))],
        facts=_loan_facts(loan, language) + [(gettext("Accessories"), accessories)],
    )
    if n.document_id is not None:
        content.lines.append(gettext("The handover form is attached as a PDF; the IT desk keeps the registered "
                                     "copy."))
        content.attachment_name = f"handover-{loan.number}.pdf"
    elif loan.batch_id is not None:
        content.lines.append(gettext("The device was handed over in batch %(batch)s; the IT desk keeps its form.",
                                     batch=loan.batch.number))
    return content


def _return_receipt(n: Notification, org: str, language: str) -> MailContent:
    loan = _loan(n)
    missing = [a for a in (loan.accessories_out or []) if a not in (loan.accessories_returned or [])]
    late = max(0, (local_today(loan.returned_at) - loan.due_date).days) if loan.returned_at else 0
    content = MailContent(
        subject=gettext("[%(org)s] Return receipt: %(tag)s (%(number)s)", org=org, tag=loan.asset.asset_tag,
                        number=loan.number),
        greeting=gettext("Dear %(name)s,", name=loan.assignee_name),
        lines=[gettext("The IT desk has taken back the device below.")],
        facts=_loan_facts(loan, language) + [
            (gettext("Returned"), _when(loan.returned_at, language)),
            (gettext("Condition"), label(loan.return_condition)),
            (gettext("Missing accessories"), ", ".join(missing) or gettext("none")),
            (gettext("Days late"), str(late)),
        ],
    )
    if missing:
        content.lines.append(gettext("These accessories did not come back: %(missing)s. Please bring them to the "
                                     "IT desk.", missing=", ".join(missing)))
    if n.document_id is not None:
        content.lines.append(gettext("The return form is attached as a PDF."))
        content.attachment_name = f"return-{loan.number}.pdf"
    return content


def _due_soon(n: Notification, org: str, language: str) -> MailContent:
    loan = _loan(n)
    return MailContent(
        subject=gettext("[%(org)s] %(tag)s is due back on %(due)s", org=org, tag=loan.asset.asset_tag,
                        due=_day(loan.due_date)),
        greeting=gettext("Dear %(name)s,", name=loan.assignee_name),
        lines=[gettext("The device below is due back in %(days)s day(s), on %(due)s. Please return it to the IT "
                       "desk, or ask the IT desk for more time.", days=n.data.get("days", ""),
                       due=_day(loan.due_date))],
        facts=_loan_facts(loan, language),
    )


def _overdue(n: Notification, org: str, language: str) -> MailContent:
    loan = _loan(n)
    return MailContent(
        subject=gettext("[%(org)s] Overdue: %(tag)s (%(days)s days)", org=org, tag=loan.asset.asset_tag,
                        days=n.data.get("days", "")),
        greeting=gettext("Dear %(name)s,", name=loan.assignee_name),
        lines=[gettext("The device below was due back on %(due)s and is %(days)s day(s) overdue. Please return it "
                       "to the IT desk as soon as you can.", due=_day(loan.due_date), days=n.data.get("days", "")),
               gettext("A copy of this message goes to the IT desk.")],
        facts=_loan_facts(loan, language),
    )


def _request_facts(req: LoanRequest) -> list[tuple[str, str]]:
    facts = [(gettext("Request"), f"#{req.id}"), (gettext("Category"), label(req.category)),
             (gettext("Needed from"), _day(req.needed_from))]
    if req.needed_until:
        facts.append((gettext("Needed until"), _day(req.needed_until)))
    if req.center is not None:
        facts.append((gettext("Pickup center"), req.center.name))
    return facts


def _request_decided(n: Notification, org: str, language: str) -> MailContent:
    req = _request(n)
    approved = n.kind == "request_approved"
    content = MailContent(
        subject=(gettext("[%(org)s] Your request #%(id)s was approved", org=org, id=req.id) if approved else
                 gettext("[%(org)s] Your request #%(id)s was rejected", org=org, id=req.id)),
        greeting=gettext("Dear %(name)s,", name=req.requester_name or req.requester_uid),
        lines=[gettext("The IT desk approved your request. It will tell you when the device is ready at the pickup "
                       "center.") if approved else gettext("The IT desk rejected your request.")],
        facts=_request_facts(req),
    )
    if req.decision_note:  # the requester's own mail: the decision note is theirs to read
        content.facts.append((gettext("Note from the IT desk"), req.decision_note))
    return content


def _request_fulfilled(n: Notification, org: str, language: str) -> MailContent:
    req = _request(n)
    loan = db.session.execute(select(Loan).where(Loan.request_id == req.id).order_by(Loan.id.desc())
                              .limit(1)).scalar_one_or_none()
    content = MailContent(
        subject=gettext("[%(org)s] Your request #%(id)s was fulfilled", org=org, id=req.id),
        greeting=gettext("Dear %(name)s,", name=req.requester_name or req.requester_uid),
        lines=[gettext("Your request has been fulfilled: a device was handed over to you.")],
        facts=_request_facts(req),
    )
    if loan is not None:
        content.facts += [(gettext("Loan number"), loan.number), (gettext("Asset tag"), loan.asset.asset_tag)]
    return content


def _leavers(n: Notification, org: str, language: str) -> MailContent:
    ids = [int(i) for i in n.data.get("finding_ids", [])]
    findings = list(db.session.execute(select(LeaverFinding).where(LeaverFinding.id.in_(ids))
                                       .order_by(LeaverFinding.id)).scalars()) if ids else []
    reasons = {"not_found": gettext("left the directory"), "disabled": gettext("disabled")}
    return MailContent(
        subject=gettext("[%(org)s] %(count)s leaver(s) still hold a device", org=org, count=len(findings)),
        greeting=gettext("To the IT desk,"),
        lines=[gettext("The directory sync found people who left or were disabled while holding a device.")],
        table_header=[gettext("User name"), gettext("Name"), gettext("Why"), gettext("Asset tag"),
                      gettext("Loan number"), gettext("Due date")],
        table=[[f.uid, f.loan.assignee_name, reasons.get(f.reason, f.reason), f.loan.asset.asset_tag, f.loan.number,
                _day(f.loan.due_date)] for f in findings],
    )


def _weekly_summary(n: Notification, org: str, language: str) -> MailContent:
    today = date.fromisoformat(n.data["day"]) if n.data.get("day") else local_today()
    overdue = list(db.session.execute(select(Loan).where(Loan.status == "active", Loan.due_date < today)
                                      .order_by(Loan.due_date, Loan.id).limit(200)).scalars())
    count = db.session.execute(select(func.count()).select_from(Loan)
                               .where(Loan.status == "active", Loan.due_date < today)).scalar_one()
    quarantine = db.session.execute(select(func.count()).select_from(Asset)
                                    .where(Asset.status == "quarantine")).scalar_one()
    pending = count_pending()
    content = MailContent(
        subject=gettext("[%(org)s] Weekly summary for the week of %(day)s", org=org, day=_day(today)),
        greeting=gettext("To the IT desk,"),
        lines=[gettext("What needs attention this week:")],
        facts=[(gettext("Overdue loans"), str(count)),
               (gettext("Devices in quarantine waiting for a wipe"), str(quarantine)),
               (gettext("Pending requests"), str(pending))],
        table_header=[gettext("Loan number"), gettext("Asset tag"), gettext("Name"), gettext("Due date"),
                      gettext("Days late")] if overdue else [],
        table=[[loan.number, loan.asset.asset_tag, loan.assignee_name, _day(loan.due_date),
                str((today - loan.due_date).days)] for loan in overdue],
    )
    if count > len(overdue):
        content.lines.append(gettext("The first %(shown)s overdue loans are listed; the overdue report has all.",
                                     shown=len(overdue)))
    return content


def _reservation(notification: Notification) -> Reservation:
    reservation = db.session.get(Reservation, int(notification.data.get("reservation_id", 0)))
    if reservation is None:
        raise ContentMissing(f"The reservation of notification {notification.id} does not exist.")
    return reservation


def _booked_what(reservation: Reservation) -> str:
    if reservation.asset is not None:
        asset = reservation.asset
        model = " ".join(p for p in (asset.manufacturer, asset.model) if p)
        return f"{asset.asset_tag} ({label(asset.category)} {model})".replace(" )", ")")
    return gettext("%(count)s × %(category)s", count=reservation.quantity, category=label(reservation.category))


def _booking_facts(reservation: Reservation, language: str) -> list[tuple[str, str]]:
    """What, where and when; never the purpose (a booking's purpose stays between the person and the desk)."""
    return [(gettext("Booking"), f"#{reservation.id}"), (gettext("Equipment"), _booked_what(reservation)),
            (gettext("Center"), reservation.center.name), (gettext("Start"), _when(reservation.starts_at, language)),
            (gettext("End"), _when(reservation.ends_at, language))]


def _booking_reminder(n: Notification, org: str, language: str) -> MailContent:
    reservation = _reservation(n)
    return MailContent(
        subject=gettext("[%(org)s] Your booking starts tomorrow: %(when)s", org=org,
                        when=_when(reservation.starts_at, language)),
        greeting=gettext("Dear %(name)s,", name=reservation.person_name),
        lines=[gettext("Your booking below starts tomorrow. Please pick the equipment up at the IT desk of the "
                       "center; a booking not picked up within %(hours)s hours of its start is released.",
                       hours=f"{current_app.config['FLEET_NO_SHOW_HOURS']:g}"),
               gettext("If you no longer need it, please cancel the booking so that others can use it.")],
        facts=_booking_facts(reservation, language),
    )


def _booking_released(n: Notification, org: str, language: str) -> MailContent:
    reservation = _reservation(n)
    return MailContent(
        subject=gettext("[%(org)s] Your booking #%(id)s was released (not picked up)", org=org, id=reservation.id),
        greeting=gettext("Dear %(name)s,", name=reservation.person_name),
        lines=[gettext("The equipment of your booking below was not picked up in time, so the booking was "
                       "released and others may now book it. If you still need it, please book again.")],
        facts=_booking_facts(reservation, language),
    )


def _inspection_due(n: Notification, org: str, language: str) -> MailContent:
    loan = _loan(n)
    due = date.fromisoformat(n.data["due_on"]) if n.data.get("due_on") else None
    return MailContent(
        subject=gettext("[%(org)s] Please bring %(tag)s in for its inspection", org=org, tag=loan.asset.asset_tag),
        greeting=gettext("Dear %(name)s,", name=loan.assignee_name),
        lines=[gettext("The device below is due for its periodic inspection (battery, updates, condition) since "
                       "%(due)s. Please bring it to the IT desk; the check takes a few minutes, and a device that "
                       "needs repair is swapped for a working one at once.", due=_day(due))],
        facts=_loan_facts(loan, language) + [(gettext("Inspection due"), _day(due))],
    )
def _extension(notification: Notification) -> LoanExtension:
    ext = db.session.get(LoanExtension, int(notification.data.get("extension_id", 0)))
    if ext is None:
        raise ContentMissing(f"The extension of notification {notification.id} does not exist.")
    return ext


def _extension_decided(n: Notification, org: str, language: str) -> MailContent:
    """To the assignee only: the decision note is theirs to read."""
    ext = _extension(n)
    loan = ext.loan
    approved = n.kind == "extension_approved"
    content = MailContent(
        subject=(gettext("[%(org)s] Your loan %(number)s is extended to %(until)s", org=org, number=loan.number,
                         until=_day(ext.until)) if approved else
                 gettext("[%(org)s] Your extension of %(number)s was rejected", org=org, number=loan.number)),
        greeting=gettext("Dear %(name)s,", name=loan.assignee_name),
        lines=[gettext("The IT desk approved the extension: please return the device by %(until)s.",
                       until=_day(ext.until)) if approved else
               gettext("The IT desk rejected the extension: the due date stays %(due)s.", due=_day(loan.due_date))],
        facts=_loan_facts(loan, language) + [(gettext("Due date before"), _day(ext.due_from)),
                                             (gettext("Extension asked until"), _day(ext.until))],
    )
    if ext.decision_note:
        content.facts.append((gettext("Note from the IT desk"), ext.decision_note))
    return content


def _incident(notification: Notification) -> Incident:
    incident = db.session.get(Incident, int(notification.data.get("incident_id", 0)))
    if incident is None:
        raise ContentMissing(f"The incident of notification {notification.id} does not exist.")
    return incident


def _incident_reported(n: Notification, org: str, language: str) -> MailContent:
    """To the IT desk: what the assignee reported, as reported."""
    incident = _incident(n)
    loan = incident.loan
    content = MailContent(
        subject=gettext("[%(org)s] %(kind)s reported: %(tag)s (%(number)s)", org=org, kind=label(incident.kind),
                        tag=loan.asset.asset_tag, number=loan.number),
        greeting=gettext("To the IT desk,"),
        lines=[gettext("%(name)s reported the device below as %(kind)s.", name=loan.assignee_name,
                       kind=label(incident.kind).lower() if language == "en" else label(incident.kind))],
        facts=_loan_facts(loan, language) + [
            (gettext("Assignee"), f"{loan.assignee_name} ({loan.assignee_uid})"),
            (gettext("Happened"), _when(incident.happened_at, language)),
            (gettext("Place"), incident.place), (gettext("Description"), incident.description),
            (gettext("Reported"), _when(incident.reported_at, language)),
            (gettext("Reported within 24 hours"), gettext("yes") if incident.reported_within_24h else gettext("no")),
        ],
    )
    return content


def _swap_receipt(n: Notification, org: str, language: str) -> MailContent:
    """One mail for a swap: the device taken back and the one handed over in its place."""
    old = db.session.get(Loan, int(n.data.get("returned_loan_id", 0)))
    new = _loan(n)
    if old is None:
        raise ContentMissing(f"The returned loan of notification {n.id} does not exist.")
    content = MailContent(
        subject=gettext("[%(org)s] Device swapped: %(old)s → %(new)s", org=org, old=old.asset.asset_tag,
                        new=new.asset.asset_tag),
        greeting=gettext("Dear %(name)s,", name=new.assignee_name),
        lines=[gettext("The IT desk took back %(old)s and handed over %(new)s in its place. Please return it by "
                       "%(due)s.", old=old.asset.asset_tag, new=new.asset.asset_tag, due=_day(new.due_date))],
        facts=_loan_facts(new, language) + [(gettext("Taken back"), f"{old.asset.asset_tag} ({old.number})"),
                                            (gettext("Condition"), label(old.return_condition))],
    )
    if n.document_id is not None:
        content.lines.append(gettext("The handover form is attached as a PDF; the IT desk keeps the registered "
                                     "copy."))
        content.attachment_name = f"handover-{new.number}.pdf"
    return content


GATHER = {
    "handover_receipt": _handover_receipt, "return_receipt": _return_receipt, "due_soon": _due_soon,
    "overdue": _overdue, "request_approved": _request_decided, "request_rejected": _request_decided,
    "request_fulfilled": _request_fulfilled, "leavers": _leavers, "weekly_summary": _weekly_summary,
    "booking_reminder": _booking_reminder, "booking_released": _booking_released,
    "inspection_due": _inspection_due,
    "extension_approved": _extension_decided, "extension_rejected": _extension_decided,
    "incident_reported": _incident_reported, "swap_receipt": _swap_receipt,
}


def gather(notification: Notification, language: str) -> MailContent:
    """The message's content in `language` (ko or en)."""
    org = current_app.config["FLEET_ORG_NAME"]
    with force_locale(language):
        content = GATHER[notification.kind](notification, org, language)
        content.closing = gettext("This message was sent by %(org)s's device inventory (Fleet). Replies reach the "
                                  "IT desk only if it reads this mailbox.", org=org)
    content.org_name = org
    content.language = language
    return content


def render(content: MailContent) -> tuple[str, str]:
    """The text and HTML parts, from the Jinja templates, in the content's language."""
    env = current_app.jinja_env
    with force_locale(content.language):
        return (env.get_template("mail/message.txt").render(mail=content),
                env.get_template("mail/message.html").render(mail=content))

