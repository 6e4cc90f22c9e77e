"""The incidents report for auditors: the losses, thefts and damage (분실·도난·파손 신고) reported in a period.

Rules enforced here:
- an incident belongs to the period of the day it reached Fleet (`reported_at`), in FLEET_TIMEZONE; it belongs
  to the center that lent the device (the loan's center), as the desk that has to act on it;
- each incident is one row: the device, the person who held it (as the loan's snapshot names them), when it
  happened and was reported (and whether within the 24 hours the handover form asks), and its state: open, or
  closed with what the desk did;
- the place and the description are never printed: they can name other people, and the event log leaves them
  out for the same reason. The person is: the report holds personal data and is downloaded with a reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, case, select

import reports
from fleet.clock import format_local, local_today
from fleet.errors import ValidationFailed
from fleet.extensions import db
from fleet.models import INCIDENT_KINDS, Center, Incident, Loan
from fleet.models.incident import REPORT_WITHIN
from fleet.services.documents import CATEGORY_LABELS
from fleet.services.incidents import report_number
from fleet.services.report_data import STREAM, ReportData, center_by_code, day_start

KIND_LABELS = {"lost": "분실 Lost", "stolen": "도난 Stolen", "damaged": "파손 Damaged"}
STATE_LABELS = {"open": "처리 중 Open", "closed": "종결 Closed"}
RESOLUTION_LABELS = {"marked_lost": "분실 처리 Marked lost", "taken_back": "회수 Taken back",
                     "swapped": "교체 Swapped", "resolved": "해결 Resolved"}
KIND_ORDER = {kind: n for n, kind in enumerate(INCIDENT_KINDS)}  # lost, stolen, damaged: as the form lists them


@dataclass
class _Count:
    incidents: int = 0
    open: int = 0
    within_24h: int = 0
    devices: set[int] = field(default_factory=set)


def _period(from_date: date | None, to_date: date | None) -> tuple[date, date]:
    """The period asked for; by default the last 30 days up to today (in FLEET_TIMEZONE)."""
    to_date = to_date or local_today()
    from_date = from_date or to_date - timedelta(days=30)
    if to_date < from_date:
        raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
    return from_date, to_date


def _in_period(query: Select, from_date: date, to_date: date, center: Center | None) -> Select:
    query = (query.select_from(Incident).join(Loan, Loan.id == Incident.loan_id)
             .join(Center, Center.id == Loan.center_id)
             .where(Incident.reported_at >= day_start(from_date),
                    Incident.reported_at < day_start(to_date + timedelta(days=1))))
    return query.where(Loan.center_id == center.id) if center else query


def incident_people(from_date: date | None = None, to_date: date | None = None,
                    center: str | None = None) -> list[str]:
    """The uids the report names (for its access entry): the assignees of the loans reported on."""
    from_date, to_date = _period(from_date, to_date)
    query = _in_period(select(Loan.assignee_uid), from_date, to_date, center_by_code(center))
    return list(db.session.execute(query.distinct()).scalars())


def _state(incident: Incident) -> str:
    state = STATE_LABELS.get(incident.status, incident.status)
    if incident.resolution:
        state += f" · {RESOLUTION_LABELS.get(incident.resolution, incident.resolution)}"
    return state


def _group_line(code: str, kind: str, count: _Count) -> str:
    return (f"{code} · {KIND_LABELS.get(kind, kind)}: {count.incidents:,}건 incidents, {len(count.devices):,}대 "
            f"devices, 처리 중 open {count.open:,}, 24시간 이내 신고 within 24 hours {count.within_24h:,}")


def incidents_report(from_date: date | None = None, to_date: date | None = None,
                     center: str | None = None) -> ReportData:
    """Incidents reported in a period (default: the last 30 days), per center and kind: how many, on how many
    devices, how many still open and how many reported within 24 hours; then each incident with its device, the
    person who held it, when it happened and was reported, and its state."""
    from_date, to_date = _period(from_date, to_date)
    center_row = center_by_code(center)
    counts: dict[tuple[str, str], _Count] = {}
    for code, kind, status, asset_id, happened_at, reported_at in db.session.execute(_in_period(
            select(Center.code, Incident.kind, Incident.status, Loan.asset_id, Incident.happened_at,
                   Incident.reported_at), from_date, to_date, center_row).execution_options(yield_per=STREAM)):
        count = counts.setdefault((code, kind), _Count())
        count.incidents += 1
        count.open += status == "open"
        count.within_24h += reported_at - happened_at <= REPORT_WITHIN  # as Incident.reported_within_24h
        count.devices.add(asset_id)

    def total(kind: str | None = None) -> _Count:
        chosen = [c for (_, k), c in counts.items() if kind is None or k == kind]
        return _Count(sum(c.incidents for c in chosen), sum(c.open for c in chosen),
                      sum(c.within_24h for c in chosen), set().union(*(c.devices for c in chosen)))

    everything = total()
    groups = sorted(counts.items(), key=lambda item: (item[0][0], KIND_ORDER.get(item[0][1], len(KIND_ORDER))))
    rows_query = _in_period(select(Incident), from_date, to_date, center_row).order_by(
        Center.code, case(KIND_ORDER, value=Incident.kind, else_=len(KIND_ORDER)), Incident.reported_at, Incident.id)

    def rows() -> Iterator[Sequence[str]]:
        for incident in db.session.execute(rows_query.execution_options(yield_per=STREAM)).scalars():
            loan = incident.loan
            yield (loan.center.code, KIND_LABELS.get(incident.kind, incident.kind), report_number(incident),
                   format_local(incident.reported_at), format_local(incident.happened_at),
                   "예 Yes" if incident.reported_within_24h else "아니요 No", loan.asset.asset_tag,
                   CATEGORY_LABELS.get(loan.asset.category, loan.asset.category), loan.number, loan.assignee_name,
                   loan.assignee_uid, loan.assignee_department or "", _state(incident),
                   format_local(incident.resolved_at))

    by_kind = " · ".join(f"{KIND_LABELS[k]} {total(k).incidents:,}" for k in INCIDENT_KINDS)
    devices_by_kind = " · ".join(f"{KIND_LABELS[k]} {len(total(k).devices):,}" for k in INCIDENT_KINDS)
    return ReportData(
        "incidents", "분실·도난·파손 신고 현황", "Incidents",
        [("기간 Period", f"{from_date.isoformat()} ~ {to_date.isoformat()}"),
         ("센터 Center", center_row.name if center_row else "전체 All"),
         ("신고 합계 Incidents", f"{everything.incidents:,} ({by_kind})"),
         ("장비 Devices", f"{len(everything.devices):,} ({devices_by_kind})"),
         ("처리 중 Open / 종결 Closed", f"{everything.open:,} / {everything.incidents - everything.open:,}"),
         ("24시간 이내 신고 Reported within 24 hours", f"{everything.within_24h:,} / {everything.incidents:,}")],
        [reports.Column("center", "센터 Center", 0.5), reports.Column("kind", "구분 Kind", 0.7),
         reports.Column("number", "신고번호 Report", 0.95), reports.Column("reported_at", "신고 Reported", 0.9),
         reports.Column("happened_at", "발생 Happened", 0.9),
         reports.Column("within_24h", "24시간 내 Within 24h", 0.75),
         reports.Column("asset_tag", "자산번호 Asset tag", 0.8), reports.Column("category", "분류 Category", 0.7),
         reports.Column("loan", "대여번호 Loan", 1), reports.Column("name", "성명 Name", 0.6),
         reports.Column("uid", "ID", 0.5), reports.Column("department", "부서 Department", 1.2),
         reports.Column("state", "상태 State", 1.3), reports.Column("closed_at", "종결 Closed", 0.9)],
        rows,
        summary=[(f"{code} · {KIND_LABELS.get(kind, kind)}", c.incidents) for (code, kind), c in groups],
        notes=[_group_line(code, kind, c) for (code, kind), c in groups]
        + ["기간 중 Fleet에 접수된 신고를 셉니다 (FLEET_TIMEZONE 기준). 센터는 장비를 대여한 센터입니다. "
           "Incidents reported to Fleet in the period (days in FLEET_TIMEZONE), at the center that lent the device.",
           "발생 장소와 경위는 싣지 않습니다. No place or description: they can name other people."])
