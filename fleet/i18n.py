"""The codes of the domain (statuses, categories, reasons, event actions) in the reader's words.

Pages, mails and forms share these labels, so they belong to none of them: any layer may import this module.
"""

from __future__ import annotations

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a message for extraction (pybabel), translated later by `say`."""
    return message


# The codes of the domain (statuses, categories, reasons) in words, inside sentences and on pages.
VALUES = {
    "in_stock": N_("In stock"), "on_loan": N_("On loan"), "quarantine": N_("Quarantine"),
    "in_repair": N_("In repair"), "lost": N_("Lost"), "retired": N_("Retired"),
    "active": N_("Out on loan"), "returned": N_("Returned"),
    "pending": N_("Pending"), "approved": N_("Approved"), "rejected": N_("Rejected"), "cancelled": N_("Cancelled"),
    "fulfilled": N_("Fulfilled"),
    "booked": N_("Booked"), "picked_up": N_("Picked up"), "no_show": N_("No-show"),
    "laptop": N_("Laptop"), "monitor": N_("Monitor"), "dock": N_("Dock"), "webcam": N_("Webcam"),
    "headset": N_("Headset"), "vc_kit": N_("Video-conference kit"), "router": N_("LTE router"), "other": N_("Other"),
    "emergency": N_("Emergency"), "pregnancy": N_("Pregnancy"), "childcare": N_("Childcare"),
    "remote_work": N_("Remote work"), "business_trip": N_("Business trip"),
    "good": N_("Good"), "damaged": N_("Damaged"),
    "fixed": N_("Fixed"), "beyond_repair": N_("Beyond repair"), "open": N_("Open"), "closed": N_("Closed"),
    "ok": N_("OK"), "needs_repair": N_("Needs repair"),
    # e-mails in the outbox: their kinds and statuses
    "handover_receipt": N_("Handover receipt"), "return_receipt": N_("Return receipt"), "due_soon": N_("Due soon"),
    "overdue": N_("Overdue reminder"), "request_approved": N_("Request approved"),
    "request_rejected": N_("Request rejected"), "request_fulfilled": N_("Request fulfilled"),
    "leavers": N_("Leavers found"), "weekly_summary": N_("Weekly summary"),
    "booking_reminder": N_("Booking reminder"), "booking_released": N_("Booking released"),
    "inspection_due": N_("Inspection due"),
    "extension_approved": N_("Extension approved"), "extension_rejected": N_("Extension rejected"),
    "incident_reported": N_("Incident reported"), "swap_receipt": N_("Swap receipt"),
    "stolen": N_("Stolen"),
    "marked_lost": N_("Marked lost"), "taken_back": N_("Taken back"), "swapped": N_("Swapped"),
    "resolved": N_("Resolved"),
    "queued": N_("Queued"), "sending": N_("Sending"), "sent": N_("Sent"), "failed": N_("Failed"),
}


def label(code: str | None) -> str:
    """A code of the domain in the reader's words (the code itself when it is new)."""
    if not code:
        return ""
    return gettext(VALUES[code]) if code in VALUES else code


ACTIONS = {
    "center.created": N_("Center registered"),
    "center.updated": N_("Center changed"),
    "asset.created": N_("Asset registered"),
    "asset.updated": N_("Asset changed"),
    "asset.status_changed": N_("Status changed"),
    "request.created": N_("Request made"),
    "request.approved": N_("Request approved"),
    "request.rejected": N_("Request rejected"),
    "request.cancelled": N_("Request cancelled"),
    "request.fulfilled": N_("Request fulfilled"),
    "loan.handed_over": N_("Handed over"),
    "loan.returned": N_("Returned"),
    "loan.lost": N_("Reported lost"),
    "document.signed": N_("Form signed"),
    "directory.leaver_found": N_("Leaver found"),
    "stocktake.started": N_("Stocktake started"),
    "stocktake.scanned": N_("Tag scanned"),
    "stocktake.closed": N_("Stocktake closed"),
    "repair.opened": N_("Sent to repair"),
    "repair.closed": N_("Back from repair"),
    "disposal.decided": N_("Disposal list decided"),
    "asset.inspected": N_("Inspected"),
    "extension.requested": N_("Extension asked for"),
    "extension.rejected": N_("Extension rejected"),
    "extension.cancelled": N_("Extension cancelled"),
    "loan.extended": N_("Due date extended"),
    "loan.swapped": N_("Device swapped"),
    "incident.reported": N_("Incident reported"),
    "incident.closed": N_("Incident closed"),
    "document.issued": N_("Document issued"),
}


def action_label(action: str) -> str:
    """An event's action in words (the code itself when it is new)."""
    return gettext(ACTIONS[action]) if action in ACTIONS else action
