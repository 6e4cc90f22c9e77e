"""The privacy officer's monthly review of the access log, its sign-off, and when it is due.

One pass over the month's entries in order of seq (a stream: memory holds one local day's people per account,
not the month), counting accesses per account and action, listing every download and export with its reason,
and flagging what article 8 asks the officer to look at: an account that handled more than
FLEET_ACCESS_ALERT_PEOPLE_PER_DAY people in a day, accesses outside FLEET_WORKING_HOURS, bulk exports (an
export, or a download of more than 100 people), and views of sensitive request reasons.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

import reports
from fleet.access_log.chain import SUBJECTS_SHOWN, verify_access_log
from fleet.access_log.model import AccessEntry
from fleet.clock import format_local, local_time, local_today, local_zone, parse_working_hours
from fleet.errors import Conflict, ValidationFailed
from fleet.extensions import db
from fleet.models import Event
from fleet.services.audit_reports import ReportData
from fleet.services.events import append_event

REVIEWED = "access_log.reviewed"
DUE_DAY = 10  # last month's review is due by the 10th of this month, late after
DOWNLOADS = ("download", "export")


def month_bounds(month: str) -> tuple[date, datetime, datetime]:
    """The first day of `YYYY-MM` and the month's start and end in FLEET_TIMEZONE; a 422 naming `month`."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 9998:
        raise ValidationFailed("Give the month as YYYY-MM.", errors={"month": ["Not a month (YYYY-MM)."]})
    first = date(int(match.group(1)), int(match.group(2)), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    zone = local_zone()
    return first, datetime.combine(first, time.min, zone), datetime.combine(following, time.min, zone)


@dataclass
class Flag:
    kind: str  # people_per_day, outside_hours, bulk_export, sensitive_reason
    actor: str
    day: str
    count: int
    detail: str = ""


@dataclass
class Review:
    month: str
    entries: int = 0
    per_account: Counter = field(default_factory=Counter)  # (actor, role, action) -> count
    downloads: list[tuple[str, str, str, str, int | None, str]] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


FLAG_LABELS = {"people_per_day": "하루 다수 열람 Many people in a day",
               "outside_hours": "근무시간 외 접근 Outside working hours",
               "bulk_export": "대량 내려받기 Bulk export",
               "sensitive_reason": "민감한 신청 사유 열람 Sensitive reason viewed"}


def gather_review(month: str) -> Review:
    """The month's figures and flags (see the module's docstring).

    The counts per account and action are one GROUP BY; downloads and sensitive reasons are few rows, read with
    their details; the people per day and the hours come from one pass over (time, account, people) with the
    driver's own cursor, one local day held at a time: flat memory, and no JSON parsed for a named entry.
    """
    _, start, end = month_bounds(month)
    limit = current_app.config["FLEET_ACCESS_ALERT_PEOPLE_PER_DAY"]
    hours = parse_working_hours(current_app.config["FLEET_WORKING_HOURS"])
    zone = local_zone()
    review = Review(month)
    entries = AccessEntry.__table__.c
    in_month = (entries.at >= start, entries.at < end)
    for actor, role, action, count in db.session.execute(
            select(entries.actor, entries.role, entries.action, func.count()).where(*in_month)
            .group_by(entries.actor, entries.role, entries.action)):
        review.per_account[(actor, role, action)] = count
    review.entries = sum(review.per_account.values())

    for at, actor, action, target_type, target_id, data in db.session.execute(
            select(entries.at, entries.actor, entries.action, entries.target_type, entries.target_id, entries.data)
            .where(*in_month, entries.action.in_(DOWNLOADS)).order_by(entries.seq)):
        details, moment = json.loads(data), local_time(at)
        target = f"{target_type}:{target_id}" if target_id else target_type
        count = details.get("subject_count") or 0
        review.downloads.append((format_local(moment, with_seconds=True), actor, action, target, count,
                                 details.get("reason") or ""))
        if action == "export" or count > SUBJECTS_SHOWN:
            review.flags.append(Flag("bulk_export", actor, moment.date().isoformat(), count, target))

    day: date | None = None
    people: dict[str, set[str]] = {}
    unnamed: Counter = Counter()
    outside: Counter = Counter()

    def close_day() -> None:
        for actor in sorted(set(people) | set(unnamed)):
            count = len(people.get(actor, ())) + unnamed[actor]
            if count > limit:
                review.flags.append(Flag("people_per_day", actor, day.isoformat(), count, f"> {limit}"))
        for actor, count in sorted(outside.items()):
            review.flags.append(Flag("outside_hours", actor, day.isoformat(), count))
        people.clear(), unnamed.clear(), outside.clear()

    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"

    def stored(moment: datetime):
        """A moment as the driver gives stored times back (SQLite: UTC text), so rows compare without parsing."""
        utc = moment.astimezone(UTC)
        return utc.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else utc

    # Each local day of the month: where it starts, and its working hours (none on a day off), as stored times.
    first_day = start.date()
    days = [first_day + timedelta(days=i) for i in range((end.date() - first_day).days)]
    starts = [stored(datetime.combine(d, time.min, zone)) for d in days]
    work = [(stored(datetime.combine(d, hours.start, zone)), stored(datetime.combine(d, hours.end, zone)))
            if d.weekday() in hours.weekdays else None for d in days]
    mark = "?" if sqlite else "%s"
    cursor = connection.connection.driver_connection.cursor()
    # The details only of an entry that names nobody (a list of more than 100 people, an export: its count) or
    # that showed a sensitive request reason. In order of time, as the index on (at, seq) gives them: no sort.
    cursor.execute(f"SELECT at, actor, subjects, CASE WHEN subjects = '' OR data LIKE {mark} THEN data END, "
                   "target_type, target_id FROM access_entries "
                   f"WHERE at >= {mark} AND at < {mark} ORDER BY at, seq",
                   ('%"sensitive_reasons":[%', stored(start), stored(end)))
    current = -1
    while rows := cursor.fetchmany(10_000):
        for at, actor, subjects, data, target_type, target_id in rows:
            index = bisect_right(starts, at) - 1
            if index != current:
                if day is not None:
                    close_day()
                current, day = index, days[index]
            if subjects:
                named = people.get(actor)
                if named is None:
                    named = people[actor] = set()
                named.update(subjects[1:-1].split(","))
            if data:
                details = json.loads(data)
                if not subjects:
                    unnamed[actor] += details.get("subject_count") or 0
                sensitive = (details.get("params") or {}).get("sensitive_reasons")
                if sensitive:
                    target = f"{target_type}:{target_id}" if target_id else target_type
                    review.flags.append(Flag("sensitive_reason", actor, day.isoformat(), 1,
                                             f"{target} ({', '.join(sensitive)})"))
            hours_of_day = work[index]
            if hours_of_day is None or not hours_of_day[0] <= at < hours_of_day[1]:
                outside[actor] += 1
    cursor.close()
    if day is not None:
        close_day()
    order = list(FLAG_LABELS)
    review.flags.sort(key=lambda f: (order.index(f.kind), f.day, f.actor))
    return review


COLUMNS = [reports.Column("section", "구분 Section", 1.1), reports.Column("account", "계정 Account", 0.8),
           reports.Column("item", "항목 Item", 1.6), reports.Column("count", "건수 Count", 0.5),
           reports.Column("detail", "내용 Detail", 2.4)]


def review_rows(review: Review) -> Iterator[Sequence[str]]:
    for (actor, role, action), count in sorted(review.per_account.items()):
        yield ("접근 Accesses", actor, f"{role} · {action}", str(count), "")
    for at, actor, action, target, count, reason in review.downloads:
        yield ("내려받기 Download", actor, f"{at} · {action}", str(count or 0), f"{target} · 사유 Reason: {reason}")
    for flag in review.flags:
        yield ("점검 Flag", flag.actor, f"{flag.day} · {FLAG_LABELS[flag.kind]}", str(flag.count), flag.detail)


def review_report(month: str):
    """The review as audit-report data (fleet.services.audit_reports.ReportData): rendered as PDF or CSV and
    registered like every other report."""
    review = gather_review(month)
    check = verify_access_log()
    verdict = (f"접속기록 체인 검증: 정상 ({check.count}건) Access log verified: valid, {check.count} entries"
               if check.valid else f"접속기록 체인 변조 발견 (seq {check.first_bad_seq}) Access log BROKEN at seq "
                                   f"{check.first_bad_seq}")
    rows = list(review_rows(review))
    kinds = Counter(flag.kind for flag in review.flags)
    return ReportData(
        "access-review", "개인정보 접속기록 월간 점검", "Monthly access-log review",
        [("월 Month", month),
         ("하루 열람 한도 People a day", str(current_app.config["FLEET_ACCESS_ALERT_PEOPLE_PER_DAY"])),
         ("근무시간 Working hours", current_app.config["FLEET_WORKING_HOURS"])],
        COLUMNS, lambda: iter(rows),
        summary=[("접근 Accesses", review.entries), ("내려받기 Downloads", len(review.downloads)),
                 *[(FLAG_LABELS[k], kinds.get(k, 0)) for k in FLAG_LABELS]],
        notes=[verdict])


# ---- sign-off and due date ---------------------------------------------------------------------------------------

def last_review_month() -> str | None:
    row = db.session.execute(select(Event.subject_id).where(Event.action == REVIEWED)
                             .order_by(Event.subject_id.desc()).limit(1)).scalar_one_or_none()
    return row


def sign_off(actor: str, month: str, note: str | None) -> dict:
    """The privacy officer signs a finished month off: an event in the event log (chained, kept). A month not yet
    over, or one signed off already, is refused."""
    first, _, _ = month_bounds(month)
    today = local_today()
    if first > today.replace(day=1) or first == today.replace(day=1):
        raise ValidationFailed("Only a month that is over can be signed off.",
                               errors={"month": ["Must be a past month."]})
    signed = db.session.execute(select(Event.seq).where(Event.action == REVIEWED, Event.subject_id == month)
                                .limit(1)).scalar_one_or_none()
    if signed is not None:
        raise Conflict(f"The review of {month} was signed off already (event {signed}).")
    review = gather_review(month)
    event = append_event(actor, REVIEWED, "access_review", month, after={
        "month": month, "note": note or "", "entries": review.entries, "downloads": len(review.downloads),
        "flags": len(review.flags)})
    return {"month": month, "note": note or "", "signed_by": actor, "signed_at": event.at, "event_seq": event.seq,
            "entries": review.entries, "downloads": len(review.downloads), "flags": len(review.flags)}


@dataclass(frozen=True)
class ReviewStatus:
    month: str  # last month
    state: str  # done, due, late
    due_by: date


def review_status(today: date | None = None) -> ReviewStatus:
    """Last month's review: done (signed off), due (until the DUE_DAY-th of this month), or late."""
    today = today or local_today()
    last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    due_by = today.replace(day=DUE_DAY)
    done = db.session.execute(select(Event.seq).where(Event.action == REVIEWED, Event.subject_id == last)
                              .limit(1)).scalar_one_or_none()
    state = "done" if done is not None else ("due" if today <= due_by else "late")
    return ReviewStatus(last, state, due_by)
