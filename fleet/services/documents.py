"""The register of issued documents, and the gathering of forms for rendering.

Gather, then render: these functions turn loans into the plain dataclasses of
`reports`, which knows nothing of the database. Forms are reserved at hand-over and
rendered on first download from the stored loan, deterministically (the creation date
is the reservation time), and from then on the stored bytes are served.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

import reports
from fleet.clock import format_local
from fleet.db import MAX_ID, reading, utcnow
from fleet.errors import NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import Document, Event, Incident, Loan, LoanBatch
from fleet.services.auth import Principal
from fleet.services.events import append_event
from fleet.services.loans import days_overdue
from fleet.services.signatures import sign_pdf, signed_line

CATEGORY_LABELS = {
    "laptop": "노트북 Laptop", "monitor": "모니터 Monitor", "dock": "도킹 스테이션 Dock", "webcam": "웹캠 Webcam",
    "headset": "헤드셋 Headset", "vc_kit": "화상회의 키트 VC kit", "router": "LTE 라우터 Router", "other": "기타 Other",
}
STATUS_LABELS = {"in_stock": "재고 In stock", "on_loan": "대여 중 On loan", "quarantine": "격리 Quarantine",
                 "in_repair": "수리 중 In repair", "lost": "분실 Lost", "retired": "폐기 Retired"}


def _org() -> str:
    return current_app.config["FLEET_ORG_NAME"]


def _party(loan: Loan) -> reports.Party:
    return reports.Party(name=loan.assignee_name, employee_number=loan.assignee_employee_number or "",
                         department=loan.assignee_department or "", email=loan.assignee_email or "",
                         uid=loan.assignee_uid)


def _asset_line(loan: Loan) -> reports.AssetLine:
    asset = loan.asset
    return reports.AssetLine(asset_tag=asset.asset_tag, category=CATEGORY_LABELS.get(asset.category, asset.category),
                             manufacturer=asset.manufacturer or "", model=asset.model or "",
                             serial_number=asset.serial_number or "", accessories=list(loan.accessories_out or []),
                             condition=loan.condition_out)


def _request_ref(loan: Loan) -> str | None:
    return f"R-{loan.request_id:06d}" if loan.request_id else None


def gather_handover_form(loan: Loan, document: Document) -> reports.HandoverForm:
    """The handover form of a loan, from its stored snapshot only: rendering it again gives the same bytes."""
    return reports.HandoverForm(
        org_name=_org(), form_number=loan.number, issued_at=format_local(loan.checked_out_at),
        due_date=loan.due_date.isoformat(), center_name=loan.center.name, request_ref=_request_ref(loan),
        issued_by=loan.issued_by_name or loan.issued_by, assignee=_party(loan), asset=_asset_line(loan),
        note=loan.note, qr_payload=f"fleet:loan:{loan.number}", created_at=document.created_at.isoformat(),
        signed_line=signed_line(),
    )


def _wipe_release(loan: Loan) -> str | None:
    """How and by whom a quarantined laptop was released, read from the event log."""
    if loan.returned_at is None:
        return None
    events = db.session.execute(
        select(Event).where(Event.subject_type == "asset", Event.subject_id == loan.asset.asset_tag,
                            Event.action == "asset.status_changed", Event.at >= loan.returned_at).order_by(Event.seq)
    ).scalars()
    for event in events:
        wipe = json.loads(event.data).get("wipe")
        if wipe:
            at = datetime.fromisoformat(wipe["at"]) if wipe.get("at") else event.at
            return f"{format_local(at)} · {wipe.get('method', '')} · {wipe.get('by', event.actor)}"
        break
    return None


def gather_return_form(loan: Loan, document: Document) -> reports.ReturnForm:
    """The return form of a closed loan: what came back against what was handed over."""
    return reports.ReturnForm(
        org_name=_org(), form_number=loan.number, returned_at=format_local(loan.returned_at),
        received_by=loan.received_by_name or loan.received_by or "", issued_at=format_local(loan.checked_out_at),
        due_date=loan.due_date.isoformat(), center_name=loan.center.name, assignee=_party(loan),
        asset=_asset_line(loan), accessories_handed_over=list(loan.accessories_out or []),
        accessories_returned=list(loan.accessories_returned or []), condition=loan.return_condition or "good",
        damage_notes=loan.damage_notes, data_wiped=bool(loan.data_wiped), wipe_release=_wipe_release(loan),
        days_overdue=days_overdue(loan), qr_payload=f"fleet:return:{loan.number}",
        created_at=document.created_at.isoformat(), signed_line=signed_line(),
    )


def gather_batch_form(batch: LoanBatch, document: Document) -> reports.BatchHandoverForm:
    """One form for a bulk hand-over, listing every device and person."""
    loans = db.session.execute(select(Loan).where(Loan.batch_id == batch.id).order_by(Loan.id)).scalars()
    return reports.BatchHandoverForm(
        org_name=_org(), batch_number=batch.number, issued_at=format_local(batch.created_at),
        issued_by=batch.issued_by_name or batch.issued_by, note=batch.note,
        lines=[reports.BatchLine(form_number=loan.number, assignee=_party(loan), asset=_asset_line(loan),
                                 due_date=loan.due_date.isoformat()) for loan in loans],
        qr_payload=f"fleet:batch:{batch.number}", created_at=document.created_at.isoformat(),
        signed_line=signed_line(),
    )


def _render_reserved(document: Document) -> bytes:
    kind, _, ref = (document.subject or "").partition(":")
    if document.kind == "handover_form" and kind == "loan":
        return reports.render_handover(gather_handover_form(db.session.get(Loan, int(ref)), document))
    if document.kind == "return_form" and kind == "loan":
        return reports.render_return(gather_return_form(db.session.get(Loan, int(ref)), document))
    if document.kind == "batch_handover_form" and kind == "batch":
        return reports.render_batch_handover(gather_batch_form(db.session.get(LoanBatch, int(ref)), document))
    raise NotFound(f"Document {document.id} has no content.")


# Ids are 32-bit integers in PostgreSQL: a larger id in a URL is simply unknown.


def get_document(document_id: int) -> Document:
    """A registered document, or NotFound (ids beyond the database's range are unknown too)."""
    document = db.session.get(Document, document_id) if 0 < document_id <= MAX_ID else None
    if document is None:
        raise NotFound(f"There is no document {document_id}.")
    return document


def ensure_rendered(document: Document) -> Document:
    """Render (and sign) a reserved form once; later calls serve the stored bytes unchanged.

    Two first downloads at once may both render; the conditional UPDATE keeps the first, and both serve it.
    """
    if document.sha256 is None:
        content = sign_pdf(_render_reserved(document))
        digest = hashlib.sha256(content).hexdigest()
        db.session.execute(update(Document).where(Document.id == document.id, Document.sha256.is_(None))
                           .values(content=content, sha256=digest, size=len(content))
                           .execution_options(synchronize_session=False))
        db.session.flush()
        db.session.refresh(document)
    return document


def people_of(document: Document) -> list[str]:
    """The people a form names (its loan's assignee, a batch's assignees); none for other documents."""
    kind, _, ref = (document.subject or "").partition(":")
    if not ref.isdigit() or int(ref) > MAX_ID:
        return []
    if kind == "loan":
        return list(db.session.execute(select(Loan.assignee_uid).where(Loan.id == int(ref))).scalars())
    if kind == "batch":
        return list(db.session.execute(select(Loan.assignee_uid).where(Loan.batch_id == int(ref))).scalars())
    return []


def check_can_read(document: Document, principal: Principal) -> None:
    """IT staff and auditors read every document; an employee only their own loan's forms and incident reports."""
    if principal.has("it", "auditor"):
        return
    kind, _, ref = (document.subject or "").partition(":")
    if kind == "loan" and ref.isdigit():
        loan = db.session.get(Loan, int(ref))
        if loan is not None and loan.assignee_uid == principal.uid:
            return
    if kind == "incident" and ref.isdigit():
        incident = db.session.get(Incident, int(ref))
        if incident is not None and incident.reported_by == principal.uid:
            return
    raise NotFound(f"There is no document {document.id}.")


def register_pdf(kind: str, subject: str | None, title: str, filename: str, content: bytes, actor: str,
                 now: datetime | None = None, supersedes: Document | None = None) -> Document:
    """Register a PDF Fleet issued (a report, a signed form) with the SHA-256 of its signed bytes.

    `content` was rendered with `signed_line()`; it is signed here when Fleet has a key.
    """
    content = sign_pdf(content)
    document = Document(kind=kind, subject=subject, title=title, filename=filename, content=content,
                        sha256=hashlib.sha256(content).hexdigest(), size=len(content), created_at=now or utcnow(),
                        created_by=actor, supersedes_id=supersedes.id if supersedes else None)
    db.session.add(document)
    db.session.flush()
    return document


def register_csv(kind: str, subject: str | None, title: str, filename: str, content: bytes, actor: str,
                 now: datetime | None = None) -> Document:
    """Register a CSV Fleet issued (a report with personal data): like a PDF, with its SHA-256, so that a
    download can be traced and the file checked later; a CSV carries no signature."""
    document = Document(kind=kind, subject=subject, title=title, filename=filename, content=content,
                        media_type="text/csv", sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                        created_at=now or utcnow(), created_by=actor)
    db.session.add(document)
    db.session.flush()
    return document


@contextmanager
def rendering_without_the_write_lock() -> Iterator[None]:
    """Gather and render in a read-only transaction that ends with the block.

    A large report takes about a minute (100,000 assets): on SQLite, a transaction that
    declared write intent would hold the one write lock all that time and every hand-over
    would wait. Read here, leave the block, then register the PDF: only the insert writes.
    Inside a transaction that is already open (it may hold changes), nothing is ended.
    """
    if db.session().in_transaction():
        yield
        return
    with reading():
        try:
            yield
        finally:
            db.session.rollback()  # ends the read-only snapshot; it changed nothing


MAX_VERIFY_BYTES = 50 * 1024 * 1024


def verify_pdf(content: bytes) -> Document | None:
    """The registered document with exactly these bytes, or None."""
    if not content:
        raise ValidationFailed("Upload a PDF file.", errors={"file": ["Empty upload."]})
    if not content.startswith(b"%PDF-"):
        raise ValidationFailed("The upload is not a PDF.", errors={"file": ["Not a PDF."]})
    digest = hashlib.sha256(content).hexdigest()
    return db.session.execute(select(Document).where(Document.sha256 == digest).order_by(Document.id).limit(1)
                              ).scalar_one_or_none()


def signed_versions(loan: Loan) -> list[Document]:
    """Signed copies of a loan's forms, newest first (the unsigned originals stay registered)."""
    return list(db.session.execute(select(Document).where(Document.subject == f"loan:{loan.id}",
                                                          Document.supersedes_id.is_not(None))
                                   .order_by(Document.id.desc())).scalars())


def _same_name(typed: str, name: str) -> bool:
    return " ".join(typed.split()).casefold() == " ".join((name or "").split()).casefold()


def sign_form(document: Document, principal: Principal, *, assignee_png: bytes | None,
              staff_png: bytes | None, assignee_typed: str | None = None, staff_typed: str | None = None) -> Document:
    """Place signatures drawn on screen into a handover or return form, registered as a new document.

    Who cannot draw (keyboard alone, a screen reader) confirms by typing their name instead: it must be the name
    printed on the form (the assignee's from the loan's snapshot, the IT staff's own), and the form says that it
    was typed. A drawn signature takes precedence over a typed name for the same signer.

    The unsigned form stays in the register; the signed copy names it as the one it supersedes. The event log
    records the signing (`document.signed`: the loan, the new document's id and SHA-256, who signed as IT staff,
    whether each signature was drawn or typed) in the same transaction; never the drawn images.
    """
    if document.kind not in ("handover_form", "return_form"):
        raise ValidationFailed("Only handover and return forms are signed.", errors={"document": ["Not a form."]})
    assignee_typed = None if assignee_png else (assignee_typed or "").strip() or None
    staff_typed = None if staff_png else (staff_typed or "").strip() or None
    if not assignee_png and not staff_png and not assignee_typed and not staff_typed:
        raise ValidationFailed("Draw at least one signature.", errors={"signature": ["Empty."]})
    original = document
    while original.supersedes_id is not None:
        original = db.session.get(Document, original.supersedes_id)
    loan = db.session.get(Loan, int(original.subject.split(":")[1]))
    wrong = {}
    if assignee_typed and not _same_name(assignee_typed, loan.assignee_name):
        wrong["assignee_typed_name"] = ["Type the name as printed on the form."]
    if staff_typed and not _same_name(staff_typed, principal.name):
        wrong["staff_typed_name"] = ["Type the name as printed on the form."]
    if wrong:
        raise ValidationFailed("A typed name is not the name on the form.", errors=wrong)
    ensure_rendered(original)
    now = utcnow()
    signatures = {"signature_assignee_png": assignee_png, "signature_staff_png": staff_png,
                  "signature_assignee_typed": assignee_typed, "signature_staff_typed": staff_typed,
                  "created_at": now.isoformat()}
    if original.kind == "handover_form":
        form = gather_handover_form(loan, original)
        content = reports.render_handover(replace(form, **signatures))
    else:
        form = gather_return_form(loan, original)
        content = reports.render_return(replace(form, **signatures))
    filename = original.filename.replace(".pdf", "-signed.pdf")
    signed = register_pdf(original.kind, original.subject, f"{original.kind} (signed)", filename, content,
                          principal.uid, now=now, supersedes=original)
    append_event(principal.uid, "document.signed", "loan", loan.id, at=now, after={
        "number": loan.number, "kind": original.kind, "document_id": signed.id, "sha256": signed.sha256,
        "supersedes": original.id, "signed_by": {"assignee": bool(assignee_png or assignee_typed),
                                                 "it_staff": principal.uid if staff_png or staff_typed else None},
        "typed": [who for who, typed in (("assignee", assignee_typed), ("it_staff", staff_typed)) if typed]})
    return signed
