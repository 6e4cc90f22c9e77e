"""Reservations on the pages: an employee books and cancels their own (phone-sized); IT staff book for anyone,
see a center's week as a timeline, and work the desk's day list (today's pick-ups and returns)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import redirect, render_template, request, url_for

from fleet.access_log.recording import note_access
from fleet.clock import local_today, local_zone
from fleet.errors import FleetError, ValidationFailed
from fleet.models import CATEGORIES
from fleet.security import get_directory
from fleet.services import reservations as svc
from fleet.web.views.common import all_centers, bp, page, refused, rerender


def _moment(day_text: str, time_text: str, *, end: bool) -> datetime:
    """A day and an optional time from the form, local; a day alone is its start (as an end: its end)."""
    day = date.fromisoformat(day_text)
    if time_text:
        return datetime.combine(day, time.fromisoformat(time_text), tzinfo=local_zone())
    return svc.local_midnight(day + timedelta(days=1) if end else day)


def _period(form) -> tuple[datetime, datetime]:
    try:
        starts_at = _moment(form.get("starts_day", ""), form.get("starts_time", ""), end=False)
        ends_day = form.get("ends_day") or form.get("starts_day", "")
        ends_at = _moment(ends_day, form.get("ends_time", ""), end=True)
    except (ValueError, OverflowError):
        raise ValidationFailed("Give the days as YYYY-MM-DD and the times as HH:MM.",
                               errors={"starts_day": ["YYYY-MM-DD"]}) from None
    return starts_at, ends_at


def _quantity(form) -> int:
    try:
        return int(form.get("quantity") or 1)
    except ValueError:
        raise ValidationFailed("Give the days as YYYY-MM-DD and the times as HH:MM.",
                               errors={"quantity": ["1 to 500"]}) from None


def _book(principal, form, *, for_anyone: bool):
    starts_at, ends_at = _period(form)
    values = {"starts_at": starts_at, "ends_at": ends_at, "purpose": form.get("purpose") or None,
              "quantity": _quantity(form)}
    tag = (form.get("asset_tag") or "").strip() if for_anyone else ""
    if tag:
        values["asset_tag"] = tag
    else:
        values.update(center=form.get("center") or None, category=form.get("category") or None)
    if for_anyone and (form.get("person") or "").strip():
        values["person"] = form["person"].strip()
    return svc.book(get_directory(), principal, **values)


# An employee's own bookings


def _mine(principal):
    items = svc.list_reservations(principal, person=principal.uid, limit=100).items
    return [r for r in items if r.person_uid == principal.uid]


def _my_context(principal) -> dict:
    return {"bookings": _mine(principal), "centers": all_centers(), "categories": CATEGORIES,
            "today": local_today(), "attention": svc.needs_attention}


@bp.route("/me/bookings", methods=["GET", "POST"])
@page()
def my_bookings(principal):
    if request.method == "GET":
        return render_template("bookings_mine.html", form=request.args, booked=request.args.get("booked"),
                               **_my_context(principal))
    try:
        reservation = _book(principal, request.form, for_anyone=False)
    except FleetError as exc:
        return rerender("bookings_mine.html", exc, lambda: _my_context(principal))
    return redirect(url_for("web.my_bookings", booked=reservation.id))


@bp.route("/me/bookings/<int:reservation_id>/cancel", methods=["POST"])
@page()
def my_booking_cancel(principal, reservation_id: int):
    reservation = svc.get_reservation(reservation_id)
    svc.check_can_read(reservation, principal)
    try:
        svc.cancel(reservation, principal)
    except FleetError as exc:
        status = refused(exc)
        return render_template("bookings_mine.html", form={}, error=exc.detail, field_errors={},
                               **_my_context(principal)), status
    return redirect(url_for("web.my_bookings"))


# The desk: a center's week, booking for anyone


def _center(code: str | None):
    centers = all_centers()
    chosen = next((c for c in centers if c.code == code), None) if code else None
    return chosen or (centers[0] if centers else None), centers


def _first_day(text: str | None) -> date:
    """The timeline's first day: the one asked for, or today, so that what the desk must prepare is in view."""
    try:
        day = date.fromisoformat(text) if text else local_today()
    except ValueError:
        day = local_today()
    return min(max(day, date(1900, 1, 8)), date(9998, 12, 1))


def _week_context(center_code: str | None, week: str | None) -> dict:
    """Seven days from the first day (today unless another is asked for) at one center, and how many bookings the
    other centers hold in the same days (so none is out of view without a word)."""
    center, centers = _center(center_code)
    first = _first_day(week)
    days = [first + timedelta(days=i) for i in range(7)]
    rows: list[dict] = []
    elsewhere: list[tuple] = []
    if center is not None:
        start, end = svc.local_midnight(days[0]), svc.local_midnight(days[-1] + timedelta(days=1))
        by_row: dict[str, dict] = {}
        for r in svc.bookings_between(center, start, end):
            key = r.asset.asset_tag if r.asset else f"{r.category}#{r.id}"
            row = by_row.setdefault(key, {"asset": r.asset, "category": r.category, "quantity": r.quantity,
                                          "cells": [[] for _ in days]})
            for i, day in enumerate(days):
                if r.starts_at < svc.local_midnight(day + timedelta(days=1)) and r.ends_at > svc.local_midnight(day):
                    row["cells"][i].append(r)
        rows = [by_row[k] for k in sorted(by_row)]
        note_access("search", "reservations", [r.person_uid for row in rows for cell in row["cells"] for r in cell],
                    listing=True, params={"center": center.code, "week": days[0].isoformat()})
        counts = svc.count_bookings_by_center(start, end)
        elsewhere = [(c, counts[c.id]) for c in centers if c.id != center.id and counts.get(c.id)]
    return {"center": center, "centers": centers, "days": days, "rows": rows, "today": local_today(),
            "previous": days[0] - timedelta(days=7), "next": days[0] + timedelta(days=7), "categories": CATEGORIES,
            "attention": svc.needs_attention, "elsewhere": elsewhere}


@bp.route("/desk/bookings", methods=["GET", "POST"])
@page("it")
def desk_bookings(principal):
    if request.method == "GET":
        return render_template("desk/bookings.html", form=request.args, booked=request.args.get("booked"),
                               **_week_context(request.args.get("center"), request.args.get("week")))
    form = request.form
    try:
        reservation = _book(principal, form, for_anyone=True)
    except FleetError as exc:
        return rerender("desk/bookings.html", exc, lambda: _week_context(form.get("center"), form.get("starts_day")))
    note_access("create", f"reservation:{reservation.id}", [reservation.person_uid])
    local_start = reservation.starts_at.astimezone(local_zone()).date()
    return redirect(url_for("web.desk_bookings", center=reservation.center.code, week=local_start.isoformat(),
                            booked=reservation.id))


# The desk's day list


def _people_of_day(*lists) -> list[str]:
    """The people a day list names (each entry is a booking)."""
    return [reservation.person_uid for items in lists for reservation in items]


def _day_context(center_code: str | None, day_text: str | None) -> dict:
    center, centers = _center(center_code)
    try:
        day = date.fromisoformat(day_text) if day_text else local_today()
    except ValueError:
        day = local_today()
    day = min(max(day, date(1900, 1, 2)), date(9998, 12, 1))
    pick_ups, returns = svc.day_list(center, day) if center is not None else ([], [])
    if center is not None:
        note_access("search", "reservations", _people_of_day(pick_ups, returns), listing=True,
                    params={"center": center.code, "day": day.isoformat()})
    return {"center": center, "centers": centers, "day": day, "pick_ups": pick_ups, "returns": returns,
            "today": local_today(), "attention": svc.needs_attention}


@bp.route("/desk/bookings/day")
@page("it")
def desk_day(principal):
    return render_template("desk/bookings_day.html", form=request.args, done=request.args.get("done"),
                           **_day_context(request.args.get("center"), request.args.get("day")))


@bp.route("/desk/bookings/<int:reservation_id>/pick-up", methods=["POST"])
@page("it")
def desk_pick_up(principal, reservation_id: int):
    reservation = svc.get_reservation(reservation_id)
    center_code = reservation.center.code
    tags = request.form.get("asset_tags", "").replace(",", " ").split()
    try:
        loans = svc.pick_up(get_directory(), reservation, principal, asset_tags=tags)
    except FleetError as exc:
        return rerender("desk/bookings_day.html", exc, lambda: _day_context(center_code, None), form=request.form,
                        failed=reservation_id)
    note_access("create", f"reservation:{reservation.id}", [reservation.person_uid])
    if len(loans) == 1:
        return redirect(url_for("web.loan_page", loan_id=loans[0].id, done="handover"))
    return redirect(url_for("web.batch_page", batch_id=loans[0].batch_id))


@bp.route("/desk/bookings/<int:reservation_id>/cancel", methods=["POST"])
@page("it")
def desk_booking_cancel(principal, reservation_id: int):
    reservation = svc.get_reservation(reservation_id)
    center_code = reservation.center.code
    try:
        svc.cancel(reservation, principal)
    except FleetError as exc:
        return rerender("desk/bookings_day.html", exc, lambda: _day_context(center_code, None))
    note_access("change", f"reservation:{reservation.id}", [reservation.person_uid])
    return redirect(url_for("web.desk_day", center=center_code, done="cancelled"))

