"""The privacy officer's pages (ko/en): the access log with filters and verification, the monthly review to
download, its sign-off, and whether last month's review is due or late."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import Blueprint, redirect, render_template, request, url_for

from fleet.access_log import chain, review
from fleet.access_log.model import ACTIONS
from fleet.access_log.recording import note_access
from fleet.clock import local_zone
from fleet.errors import FleetError, ValidationFailed
from fleet.web.views.common import page, refused

bp = Blueprint("privacy", __name__, template_folder=str(Path(__file__).resolve().parent / "templates"))
FILTERS = ("actor", "subject", "action", "from", "to")


def _day(name: str) -> datetime | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time.min, local_zone())
    except ValueError:
        raise ValidationFailed("Give the dates as YYYY-MM-DD.", errors={name: ["Not a date (YYYY-MM-DD)."]}) from None


def _log_page(status: int = 200, **context):
    filters = {k: (request.args.get(k) or "").strip() or None for k in FILTERS}
    result, error = None, context.pop("error", None)
    try:
        until = _day("to")  # the whole day
        result = chain.list_entries(
            actor=filters["actor"], subject=filters["subject"],
            action=filters["action"] if filters["action"] in ACTIONS else None, since=_day("from"),
            until=until + timedelta(days=1) if until else None, limit=100, cursor=request.args.get("cursor") or None)
    except FleetError as exc:
        status, error = refused(exc), exc.detail
    items = [chain.entry_view(entry) for entry in result.items] if result else []
    people = {item["actor"] for item in items} | {uid for item in items for uid in item["subjects"]}
    note_access("search", "access-log", people, listing=True, params={k: v for k, v in filters.items() if v})
    check = chain.verify_access_log() if request.args.get("verify") else None
    return render_template("privacy/access_log.html", items=items, filters=filters, actions=ACTIONS,
                           next_cursor=result.next_cursor if result else None, check=check, error=error,
                           next_args={k: v for k, v in filters.items() if v}, status=review.review_status(),
                           **context), status


@bp.route("/privacy")
@page("privacy")
def access_log(principal):
    return _log_page(signed=request.args.get("signed"))


@bp.route("/privacy/reviews", methods=["POST"])
@page("privacy")
def sign_off(principal):
    try:
        signed = review.sign_off(principal.uid, request.form.get("month", "").strip(), request.form.get("note"))
    except FleetError as exc:
        status = refused(exc)
        return _log_page(status, error=exc.detail, form=request.form)
    return redirect(url_for("privacy.access_log", signed=signed["month"]))
