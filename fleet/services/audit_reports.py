"""Audit reports: gather rows for `reports.render_table_report` and `reports.render_csv`.

Rows are streamed from the database (a fresh query each time the renderer asks for
them), so a report over 100,000 assets never holds every row in memory at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

import reports
from fleet.clock import check_days, format_local, local_today
from fleet.db import utcnow
from fleet.errors import NotFound, ValidationFailed
from fleet.extensions import db
from fleet.models import Asset, Center, Document, Event, LeaverFinding, Loan, Reservation
from fleet.services import incident_reports, upkeep_reports
from fleet.services.auth import Principal
from fleet.services.documents import CATEGORY_LABELS, STATUS_LABELS, register_pdf, rendering_without_the_write_lock
from fleet.services.documents import register_csv as register_csv_document
from fleet.services.events import describe_latest_checkpoint, head_hash, verify_chain
from fleet.services.extensions import approved_by_loan
from fleet.services.loans import days_overdue
from fleet.services.report_data import STREAM, ReportData
from fleet.services.report_data import center_by_code as _center
from fleet.services.report_data import day_start as _day_start
from fleet.services.report_data import money as _money
from fleet.services.requests import request_statistics
from fleet.services.signatures import signed_line


def _statuses_as_of(cutoff: datetime) -> dict[str, str]:
    """Each asset tag's status at `cutoff`, replayed from the event log."""
    statuses: dict[str, str] = {}
    rows = db.session.execute(
        select(Event.action, Event.subject_id, Event.data).where(
            Event.at < cutoff, Event.action.in_(["asset.created", "asset.status_changed", "loan.handed_over",
                                                 "loan.returned", "loan.lost", "repair.opened", "repair.closed"])
        ).order_by(Event.seq).execution_options(yield_per=STREAM)
    )
    for action, subject_id, data in rows:
        after = json.loads(data).get("after") or {}
        if action.startswith(("asset.", "repair.")):
            if "status" in after:
                statuses[subject_id] = after["status"]
            elif action == "asset.created":
                statuses[subject_id] = "in_stock"
        elif "asset_status" in after:
            statuses[after["asset_tag"]] = after["asset_status"]["after"]
    return statuses


def inventory(as_of: date | None = None, center: str | None = None) -> ReportData:
    """Every asset with its status as of a day (today or earlier; a past day is replayed from the event log)."""
    today = local_today()
    as_of = as_of or today
    if as_of > today:
        raise ValidationFailed("The date is in the future.", errors={"as_of": ["Must be today or earlier."]})
    center_row = _center(center)
    query = select(Asset).order_by(Asset.id)
    count_query = select(Asset.status, func.count()).group_by(Asset.status)
    if center_row:
        query = query.where(Asset.center_id == center_row.id)
        count_query = count_query.where(Asset.center_id == center_row.id)
    historic = as_of < today
    if historic:
        cutoff = _day_start(as_of + timedelta(days=1))
        statuses = _statuses_as_of(cutoff)
        query = query.where(Asset.created_at < cutoff)
        counts: dict[str, int] = {}
        for asset in db.session.execute(query.execution_options(yield_per=STREAM)).scalars():
            status = statuses.get(asset.asset_tag, "in_stock")
            counts[status] = counts.get(status, 0) + 1
    else:
        statuses = {}
        counts = dict(db.session.execute(count_query).all())

    if not historic:
        query = query.where(Asset.status != "retired")

    def rows() -> Iterator[Sequence[str]]:
        result = db.session.execute(query.execution_options(yield_per=STREAM)).scalars()
        for asset in result:
            # Every status change is an event: an asset with none before the cutoff was in stock.
            status = statuses.get(asset.asset_tag, "in_stock") if historic else asset.status
            if status == "retired":
                continue  # disposed of (불용 처분) by that day: no longer held
            yield (asset.asset_tag, CATEGORY_LABELS.get(asset.category, asset.category),
                   f"{asset.manufacturer or ''} {asset.model or ''}".strip(), asset.serial_number or "",
                   asset.center.code, STATUS_LABELS.get(status, status),
                   asset.purchase_date.isoformat() if asset.purchase_date else "", _money(asset.purchase_cost),
                   asset.warranty_until.isoformat() if asset.warranty_until else "")

    return ReportData(
        "inventory", "자산 현황", "Inventory",
        [("기준일 As of", as_of.isoformat()), ("센터 Center", center_row.name if center_row else "전체 All")],
        [reports.Column("asset_tag", "자산번호 Asset tag", 1.3), reports.Column("category", "분류 Category", 1.3),
         reports.Column("model", "모델 Model", 2), reports.Column("serial_number", "일련번호 Serial", 1.4),
         reports.Column("center", "센터 Center", 0.9), reports.Column("status", "상태 Status", 1.1),
         reports.Column("purchase_date", "구입일 Purchased", 1), reports.Column("purchase_cost", "취득가 Cost", 1),
         reports.Column("warranty_until", "보증 만료 Warranty", 1)],
        rows, summary=[(STATUS_LABELS[s], counts.get(s, 0)) for s in STATUS_LABELS],
        notes=(["과거 기준일의 상태는 이벤트 로그에서 재구성되었습니다. Past statuses are replayed from the event log."]
               if historic else [])
        + ([f"폐기(불용 처분)된 자산 {counts['retired']:,}대는 목록에 없습니다. "
            f"{counts['retired']:,} retired (disposed) assets are not listed."] if counts.get("retired") else []))


def _loan_row(loan: Loan) -> tuple[str, ...]:
    return (loan.number, loan.asset.asset_tag, loan.assignee_name, loan.assignee_uid, loan.assignee_department or "",
            format_local(loan.checked_out_at), loan.due_date.isoformat(), format_local(loan.returned_at),
            loan.status, str(days_overdue(loan)))


LOAN_COLUMNS = [
    reports.Column("number", "대여번호 Loan", 1.3), reports.Column("asset_tag", "자산번호 Asset tag", 1.1),
    reports.Column("name", "성명 Name", 0.9), reports.Column("uid", "ID", 0.8),
    reports.Column("department", "부서 Department", 1.6), reports.Column("checked_out_at", "인수 Handed over", 1.3),
    reports.Column("due_date", "반납 예정 Due", 0.9), reports.Column("returned_at", "반납 Returned", 1.3),
    reports.Column("status", "상태 Status", 0.7), reports.Column("days_overdue", "연체일 Days late", 0.6),
]


def _extension_history(extensions) -> str:
    """A loan's approved extensions as the register prints them: each due date move, oldest first."""
    return " · ".join(f"{e.due_from.isoformat()}→{e.until.isoformat()}" for e in extensions)


def loans(from_date: date | None = None, to_date: date | None = None) -> ReportData:
    """The loan register: loans handed over in a period (default: the last 30 days) that ends after it starts,
    each with the history of its due date (approved extensions; never their reasons)."""
    to_date = to_date or local_today()
    from_date = from_date or to_date - timedelta(days=30)
    if to_date < from_date:
        raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
    query = select(Loan).where(Loan.checked_out_at >= _day_start(from_date),
                               Loan.checked_out_at < _day_start(to_date + timedelta(days=1))).order_by(Loan.id)
    counts = dict(db.session.execute(
        select(Loan.status, func.count()).where(query.whereclause).group_by(Loan.status)).all())

    def rows() -> Iterator[Sequence[str]]:
        chunk: list[Loan] = []

        def flush() -> Iterator[Sequence[str]]:
            # one query of extensions per chunk of loans, never one per loan
            history = approved_by_loan([loan.id for loan in chunk])
            for loan in chunk:
                yield (*_loan_row(loan), _extension_history(history.get(loan.id, [])))
            chunk.clear()

        for loan in db.session.execute(query.execution_options(yield_per=STREAM)).scalars():
            chunk.append(loan)
            if len(chunk) == STREAM:
                yield from flush()
        yield from flush()

    return ReportData("loans", "대여 대장", "Loan register",
                      [("기간 Period", f"{from_date.isoformat()} ~ {to_date.isoformat()}")],
                      [*LOAN_COLUMNS, reports.Column("extensions", "연장 Extensions", 1.4)], rows,
                      summary=[("대여 중 Active", counts.get("active", 0)),
                               ("반납 Returned", counts.get("returned", 0)),
                               ("분실 Lost", counts.get("lost", 0))])


def overdue() -> ReportData:
    """Active loans past their due date, judged in FLEET_TIMEZONE, oldest due first."""
    today = local_today()
    query = select(Loan).where(Loan.status == "active", Loan.due_date < today).order_by(Loan.due_date, Loan.id)

    def rows() -> Iterator[Sequence[str]]:
        for loan in db.session.execute(query.execution_options(yield_per=STREAM)).scalars():
            yield _loan_row(loan)

    return ReportData("overdue", "연체 대여", "Overdue loans", [("기준일 As of", today.isoformat())],
                      LOAN_COLUMNS, rows)


def leavers() -> ReportData:
    """People who left or were disabled in the directory and still hold a device (unresolved findings)."""
    query = select(LeaverFinding).where(LeaverFinding.resolved_at.is_(None)).order_by(LeaverFinding.id)

    def rows() -> Iterator[Sequence[str]]:
        for finding in db.session.execute(query).scalars():
            loan = finding.loan
            yield (finding.uid, loan.assignee_name, loan.assignee_department or "",
                   {"disabled": "비활성 Disabled", "not_found": "퇴직 Left"}.get(finding.reason, finding.reason),
                   format_local(finding.found_at), loan.number, loan.asset.asset_tag, loan.due_date.isoformat())

    return ReportData("leavers", "퇴직·비활성 사용자 보유 장비", "Leavers holding devices", [], [
        reports.Column("uid", "ID", 0.8), reports.Column("name", "성명 Name", 0.9),
        reports.Column("department", "부서 Department", 1.6), reports.Column("reason", "사유 Reason", 1),
        reports.Column("found_at", "발견 Found", 1.3), reports.Column("loan", "대여번호 Loan", 1.3),
        reports.Column("asset_tag", "자산번호 Asset tag", 1.1), reports.Column("due_date", "반납 예정 Due", 0.9)], rows)


def requests_report(from_date: date | None = None, to_date: date | None = None) -> ReportData:
    """Request counts by reason and outcome: never names, never notes (reasons such as pregnancy are personal)."""
    if from_date and to_date and to_date < from_date:
        raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
    stats = request_statistics(from_date=from_date, to_date=to_date)
    table = [(reason, status, str(count)) for (reason, status), count in sorted(_pairs(stats))]
    period = f"{from_date.isoformat() if from_date else '…'} ~ {to_date.isoformat() if to_date else '…'}"
    return ReportData("requests", "대여 신청 통계", "Request statistics", [("기간 Period", period)],
                      [reports.Column("reason", "사유 Reason", 1), reports.Column("status", "결과 Outcome", 1),
                       reports.Column("count", "건수 Count", 0.6)], lambda: iter(table),
                      summary=sorted(_by_reason(stats).items()),
                      notes=["개인정보 보호를 위해 이름과 메모는 싣지 않습니다. No names or notes, by design."])


def _pairs(stats: dict) -> Iterable[tuple[tuple[str, str], int]]:
    for key, count in (stats.get("by_reason_and_status") or {}).items():
        reason, _, status = key.partition(":") if isinstance(key, str) else (key[0], "", key[1])
        yield (reason, status), count


def _by_reason(stats: dict) -> dict[str, int]:
    return {k: int(v) for k, v in (stats.get("by_reason") or {}).items()}


def events_report(from_date: date | None = None, to_date: date | None = None) -> ReportData:
    """The event log of a period, with the whole chain's verification result and head hash."""
    to_date = to_date or local_today()
    from_date = from_date or to_date - timedelta(days=30)
    if to_date < from_date:
        raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
    query = select(Event).where(Event.at >= _day_start(from_date),
                                Event.at < _day_start(to_date + timedelta(days=1))).order_by(Event.seq)
    check = verify_chain()
    verdict = (f"체인 검증: 정상 ({check.count}건) Chain verified: valid, {check.count} events" if check.valid else
               f"체인 검증: 변조 발견 (seq {check.first_bad_seq}) Chain BROKEN at seq {check.first_bad_seq}")

    def rows() -> Iterator[Sequence[str]]:
        for event in db.session.execute(query.execution_options(yield_per=STREAM)).scalars():
            yield (str(event.seq), format_local(event.at, with_seconds=True), event.actor, event.action,
                   f"{event.subject_type}:{event.subject_id}", event.hash[:16])

    return ReportData("events", "이벤트 로그", "Event log",
                      [("기간 Period", f"{from_date.isoformat()} ~ {to_date.isoformat()}")],
                      [reports.Column("seq", "순번 Seq", 0.6), reports.Column("at", "일시 At", 1.5),
                       reports.Column("actor", "처리자 Actor", 0.8), reports.Column("action", "작업 Action", 1.4),
                       reports.Column("subject", "대상 Subject", 1.2), reports.Column("hash", "해시 Hash", 1.2)],
                      rows, notes=[verdict, f"Head hash: {check.head}"])


def utilisation(from_date: date | None = None, to_date: date | None = None) -> ReportData:
    """Bookings per center and category in a period (default: the last 30 days): units, hours booked (booked,
    picked up or returned, clipped to the period, times the units), their share of the units' hours, and how
    many bookings were cancelled or not picked up. Counts only: no names, no purposes."""
    to_date = to_date or local_today()
    from_date = from_date or to_date - timedelta(days=30)
    if to_date < from_date:
        raise ValidationFailed("The period ends before it starts.", errors={"to": ["Must not be before from."]})
    start, end = _day_start(from_date), _day_start(to_date + timedelta(days=1))
    hours = (end - start).total_seconds() / 3600
    places: dict[tuple[str, str], dict] = {}
    for code, name, category, count in db.session.execute(
            select(Center.code, Center.name, Asset.category, func.count()).join(Asset, Asset.center_id == Center.id)
            .where(Asset.status.not_in(("retired", "lost"))).group_by(Center.code, Center.name, Asset.category)):
        places[(code, category)] = {"name": name, "units": count, "hours": 0.0, "bookings": 0, "cancelled": 0,
                                    "no_show": 0}
    query = (select(Center.code, Center.name, Reservation.category, Reservation.status, Reservation.starts_at,
                    Reservation.ends_at, Reservation.quantity).join(Center, Center.id == Reservation.center_id)
             .where(Reservation.starts_at < end, Reservation.ends_at > start))
    for code, name, category, status, starts_at, ends_at, quantity in db.session.execute(
            query.execution_options(yield_per=STREAM)):
        place = places.setdefault((code, category), {"name": name, "units": 0, "hours": 0.0, "bookings": 0,
                                                     "cancelled": 0, "no_show": 0})
        place["bookings"] += 1
        if status in ("cancelled", "no_show"):
            place[status] += 1
            continue
        overlap = (min(ends_at, end) - max(starts_at, start)).total_seconds() / 3600
        place["hours"] += overlap * quantity
    table = []
    summary = []
    for (code, category), place in sorted(places.items()):
        if not place["bookings"]:
            continue
        share = 100 * place["hours"] / (place["units"] * hours) if place["units"] else 0.0
        table.append((code, place["name"], category, str(place["units"]), f"{place['hours']:,.1f}", f"{share:.1f}",
                      str(place["bookings"]), str(place["cancelled"]), str(place["no_show"])))
        summary.append((f"{code} · {CATEGORY_LABELS.get(category, category)} (%)", round(share)))
    return ReportData("utilisation", "예약 이용률", "Booking utilisation",
                      [("기간 Period", f"{from_date.isoformat()} ~ {to_date.isoformat()}"),
                       ("기간 시간 Hours in period", f"{hours:,.0f}")],
                      [reports.Column("center", "센터 Center", 0.8), reports.Column("center_name", "센터명 Name", 1.6),
                       reports.Column("category", "분류 Category", 0.8), reports.Column("units", "보유 Units", 0.6),
                       reports.Column("hours", "예약 시간 Unit-hours booked", 1),
                       reports.Column("utilisation", "이용률 Utilisation %", 0.8),
                       reports.Column("bookings", "예약 Bookings", 0.6),
                       reports.Column("cancelled", "취소 Cancelled", 0.6),
                       reports.Column("no_show", "미수령 No-shows", 0.6)],
                      lambda: iter(table), summary=summary,
                      notes=["이용률 = 예약된 장비·시간 ÷ (보유 대수 × 기간 시간). 취소·미수령은 제외. "
                             "Utilisation = unit-hours booked ÷ (units × hours in the period); cancelled and "
                             "no-show bookings not counted. 이름과 용도는 싣지 않습니다. No names or purposes."])


REPORTS: dict[str, Callable[..., ReportData]] = {
    "inventory": inventory, "loans": loans, "overdue": overdue, "leavers": leavers, "requests": requests_report,
    "events": events_report, "utilisation": utilisation, "replacement": upkeep_reports.replacement,
    "repairs": upkeep_reports.repairs_report, "incidents": incident_reports.incidents_report,
}


def _period(from_date: date | None, to_date: date | None) -> tuple[datetime, datetime]:
    to_date = to_date or local_today()
    from_date = from_date or to_date - timedelta(days=30)
    return _day_start(from_date), _day_start(to_date + timedelta(days=1))


def report_people(name: str, from_date: date | None = None, to_date: date | None = None, center: str | None = None,
                  **_params) -> list[str]:
    """The uids a report names (for its access entry): the loans' assignees, the leavers, the event log's actors,
    the holders of the devices reported lost, stolen or damaged; none for the reports that count without names."""
    if name == "incidents":
        return incident_reports.incident_people(from_date, to_date, center)
    if name == "loans":
        start, end = _period(from_date, to_date)
        query = select(Loan.assignee_uid).where(Loan.checked_out_at >= start, Loan.checked_out_at < end)
    elif name == "overdue":
        query = select(Loan.assignee_uid).where(Loan.status == "active", Loan.due_date < local_today())
    elif name == "leavers":
        query = select(LeaverFinding.uid).where(LeaverFinding.resolved_at.is_(None))
    elif name == "events":
        start, end = _period(from_date, to_date)
        query = select(Event.actor).where(Event.at >= start, Event.at < end)
    else:
        return []
    return list(db.session.execute(query.distinct()).scalars())


def gather(name: str, **params) -> ReportData:
    """The named report's data; an unknown name is NotFound, bad parameters ValidationFailed."""
    if name not in REPORTS:
        raise NotFound(f"There is no report {name!r}. Reports: {', '.join(REPORTS)}.")
    check_days(as_of=params.get("as_of"), **{"from": params.get("from_date"), "to": params.get("to_date")})
    return REPORTS[name](**params)


def _table_report(data: ReportData, principal: Principal, now: datetime) -> reports.TableReport:
    return reports.TableReport(
        title=f"{data.title} {data.title_en}", org_name=current_app.config["FLEET_ORG_NAME"],
        parameters=data.parameters, generated_at=format_local(now), generated_by=f"{principal.name} ({principal.uid})",
        head_hash=head_hash(), columns=data.columns, rows=data.rows, summary=data.summary, notes=data.notes,
        created_at=now.isoformat(), checkpoint=describe_latest_checkpoint(), signed_line=signed_line(),
        sign_off=data.sign_off)


def _register(data: ReportData, title: str, content: bytes, principal: Principal, now: datetime) -> Document:
    stamp = format_local(now).replace(" ", "_").replace(":", "")
    return register_pdf("report", f"report:{data.name}", title, f"{data.name}-{stamp}.pdf", content, principal.uid,
                        now=now)


def render_pdf(data: ReportData, principal: Principal, now: datetime | None = None) -> Document:
    """Render gathered report data and register the PDF (in the caller's transaction)."""
    now = now or utcnow()
    report = _table_report(data, principal, now)
    return _register(data, report.title, reports.render_table_report(report), principal, now)


def issue_pdf(name: str, principal: Principal, now: datetime | None = None, **params) -> Document:
    """Gather, render and register a report; every PDF issued is registered.

    Reading and rendering run in a read-only transaction (one snapshot: rows, counts and
    head hash agree); only registering the PDF writes, so writers never wait for a render.
    """
    with rendering_without_the_write_lock():
        data = gather(name, **params)
        now = now or utcnow()
        report = _table_report(data, principal, now)
        content = reports.render_table_report(report)
    return _register(data, report.title, content, principal, now)


def render_csv(data: ReportData) -> bytes:
    """The report as CSV (UTF-8 with a BOM, so that spreadsheet programs read Korean); not registered."""
    return reports.render_csv(data.columns, data.rows())


def issue_csv(data: ReportData, principal: Principal, now: datetime | None = None) -> Document:
    """Render the report as CSV and register it like a PDF (its SHA-256, who, when), in the caller's
    transaction."""
    now = now or utcnow()
    stamp = format_local(now).replace(" ", "_").replace(":", "")
    return register_csv_document("report", f"report:{data.name}", f"{data.title} {data.title_en}",
                                 f"{data.name}-{stamp}.csv", render_csv(data), principal.uid, now=now)
