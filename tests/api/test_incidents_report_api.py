"""The incidents report (분실·도난·파손 신고 현황) for a fixed period: per center and kind, each incident with its
device, the person who held it, when it was reported and its state, and the totals; PDF read back and CSV, ko and
en, registered like every report, and never without a reason (it names people)."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime

from fleet.access_log.chain import entry_view
from fleet.access_log.model import AccessEntry
from fleet.extensions import db
from fleet.models import Document, Incident
from fleet.security import get_directory
from fleet.services import incidents as incident_service
from fleet.services.auth import Principal
from fleet.services.loans import HandoverOrder, hand_over
from tests.api.test_auth_api import assert_problem
from tests.factories import IT_PRINCIPAL, create_asset, create_center
from tests.fixtures_data import AUDITOR, EMPLOYEE, EMPLOYEE2, IT, LONG_DEPARTMENT
from tests.support import pdf
from tests.support.clock import FLEET_ZONE
from tests.web.test_pages import EN, KO, log_in

NOVEMBER = "from=2026-11-01&to=2026-11-30"  # a fixed period, not the machine's
HANDED_OVER = datetime(2026, 10, 30, 9, tzinfo=FLEET_ZONE)
HEADER = ["센터 Center", "구분 Kind", "신고번호 Report", "신고 Reported", "발생 Happened", "24시간 내 Within 24h",
          "자산번호 Asset tag", "분류 Category", "대여번호 Loan", "성명 Name", "ID", "부서 Department", "상태 State",
          "종결 Closed"]


def seoul(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=FLEET_ZONE)


def _report(loan, kind: str, happened: datetime, reported: datetime) -> Incident:
    holder = Principal(loan.assignee_uid, loan.assignee_name, frozenset({"employee"}))
    return incident_service.report_incident(holder, loan, kind=kind, happened_at=happened, place="대전역 대합실",
                                            description="가방째 없어졌습니다", now=reported)


def _incidents(app) -> dict[str, int]:
    """Five incidents reported in November 2026 (Seoul) at two centers, two of them on one device, and one reported
    ten minutes after November ended in Seoul (still 30 November in UTC)."""
    with app.app_context():
        create_center(code="JJ", name="진잠도서관 스마트워크센터")
        create_center(code="NO", name="노은도서관 스마트워크센터")
        for tag in ("NB-1", "NB-2", "NB-3", "NB-4"):
            create_asset("JJ", asset_tag=tag)
        create_asset("NO", asset_tag="NB-6")
        loans = {}
        for tag, uid in (("NB-1", EMPLOYEE), ("NB-2", EMPLOYEE2), ("NB-3", LONG_DEPARTMENT), ("NB-4", EMPLOYEE2),
                         ("NB-6", EMPLOYEE)):
            loans[tag] = hand_over(get_directory(), HandoverOrder(asset_tag=tag, assignee=uid), IT_PRINCIPAL)
            loans[tag].checked_out_at = HANDED_OVER
        db.session.commit()
        # 1 November 00:10 in Seoul is still 31 October in UTC: in the period.
        first = _report(loans["NB-3"], "lost", seoul(10, 31, 22), seoul(11, 1, 0, 10))
        stolen = _report(loans["NB-1"], "stolen", seoul(11, 3, 20), seoul(11, 3, 21))
        incident_service.mark_lost(stolen, IT_PRINCIPAL, "경찰 신고 접수", now=seoul(11, 4, 10))
        _report(loans["NB-2"], "damaged", seoul(11, 10, 10), seoul(11, 12, 9))  # 47 hours later: late
        _report(loans["NB-2"], "lost", seoul(11, 15, 8), seoul(11, 15, 9))
        resolved = _report(loans["NB-6"], "damaged", seoul(11, 20, 10), seoul(11, 20, 11))
        incident_service.resolve(resolved, IT_PRINCIPAL, "현장에서 수리 완료", now=seoul(11, 21, 15))
        # 1 December 00:10 in Seoul is 30 November 15:10 in UTC: not in the period.
        after = _report(loans["NB-4"], "damaged", seoul(11, 30, 23), seoul(12, 1, 0, 10))
        db.session.commit()
        return {"first": first.id, "stolen": stolen.id, "after": after.id}


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _entries(app) -> list[dict]:
    with app.app_context():
        return [entry_view(row) for row in db.session.execute(db.select(AccessEntry).order_by(AccessEntry.seq))
                .scalars()]


def test_the_csv_lists_each_incident_of_the_period_per_center_and_kind(app, client, auditor_headers):
    ids = _incidents(app)
    rows = _csv(client.get(f"/api/v1/reports/incidents.csv?{NOVEMBER}&reason=분기 감사", headers=auditor_headers))
    assert rows[0] == HEADER
    body = [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]
    # Per center, then kind (lost, stolen, damaged, as the form lists them), then the moment it was reported.
    assert [(r["센터 Center"], r["구분 Kind"], r["자산번호 Asset tag"], r["ID"], r["상태 State"]) for r in body] == [
        ("JJ", "분실 Lost", "NB-3", LONG_DEPARTMENT, "처리 중 Open"),
        ("JJ", "분실 Lost", "NB-2", EMPLOYEE2, "처리 중 Open"),
        ("JJ", "도난 Stolen", "NB-1", EMPLOYEE, "종결 Closed · 분실 처리 Marked lost"),
        ("JJ", "파손 Damaged", "NB-2", EMPLOYEE2, "처리 중 Open"),
        ("NO", "파손 Damaged", "NB-6", EMPLOYEE, "종결 Closed · 해결 Resolved"),
    ]
    first = body[0]
    assert first["신고번호 Report"] == f"I-2026-{ids['first']:06d}" and first["성명 Name"] == "정하늘"
    assert first["신고 Reported"] == "2026-11-01 00:10 KST" and first["발생 Happened"] == "2026-10-31 22:00 KST"
    assert first["24시간 내 Within 24h"] == "예 Yes" and first["종결 Closed"] == ""
    assert first["부서 Department"].startswith("스마트워크센터운영") and first["대여번호 Loan"].startswith("L-2026-")
    assert body[3]["24시간 내 Within 24h"] == "아니요 No"  # reported 47 hours after it happened
    assert body[2]["종결 Closed"] == "2026-11-04 10:00 KST" and body[2]["분류 Category"] == "노트북 Laptop"
    # Never the place nor the description.
    assert not [cell for row in rows for cell in row if "대합실" in cell or "가방째" in cell]
    # The days are Seoul's: the report reaching Fleet at 00:10 on 1 December is December's, and the one at 00:10
    # on 1 November is not October's.
    assert _csv(client.get("/api/v1/reports/incidents.csv?from=2026-10-01&to=2026-10-31&reason=감사",
                           headers=auditor_headers))[1:] == []
    december = _csv(client.get("/api/v1/reports/incidents.csv?from=2026-12-01&to=2026-12-01&reason=감사",
                               headers=auditor_headers))
    assert [row[2] for row in december[1:]] == [f"I-2026-{ids['after']:06d}"]
    # One center.
    only_no = _csv(client.get(f"/api/v1/reports/incidents.csv?{NOVEMBER}&center=NO&reason=감사",
                              headers=auditor_headers))
    assert [row[6] for row in only_no[1:]] == ["NB-6"]


def test_the_pdf_prints_the_totals_in_korean_and_english_with_its_fonts_embedded(app, client, auditor_headers):
    _incidents(app)
    response = client.get(f"/api/v1/reports/incidents.pdf?{NOVEMBER}&reason=분기 감사", headers=auditor_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    body = response.data
    text = pdf.text(body)
    flat = "".join(text.split())
    assert "분실·도난·파손 신고 현황" in text and "Incidents" in text
    assert "2026-11-01~2026-11-30" in flat and "정하늘" in flat and "이지은" in flat and "최준호" in flat
    # The totals: five incidents on four devices (NB-2 twice), three open, four reported within 24 hours.
    assert "5(분실Lost2·도난Stolen1·파손Damaged2)" in flat
    assert "4(분실Lost2·도난Stolen1·파손Damaged2)" in flat
    assert "3/2" in flat and "4/5" in flat
    # Per center and kind.
    assert "JJ·분실Lost:2건incidents,2대devices,처리중open2,24시간이내신고within24hours2" in flat
    assert "JJ·파손Damaged:1건incidents,1대devices,처리중open1,24시간이내신고within24hours0" in flat
    assert "NO·파손Damaged:1건incidents,1대devices,처리중open0,24시간이내신고within24hours1" in flat
    assert "대합실" not in flat and "가방째" not in flat
    fonts = pdf.fonts(body)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    pages = pdf.page_count(body)
    assert pages == 1 and "1 / 1" in text


def test_the_report_is_registered_and_its_download_recorded_with_the_reason(app, client, auditor_headers):
    _incidents(app)
    response = client.get(f"/api/v1/reports/incidents.pdf?{NOVEMBER}&center=JJ&reason=분기 감사",
                          headers=auditor_headers)
    assert response.status_code == 200
    entry = _entries(app)[-1]
    assert (entry["actor"], entry["action"], entry["target"], entry["reason"]) == (
        AUDITOR, "download", "report:incidents", "분기 감사")
    # JJ's holders of the devices reported on in November (emp2's NB-4 was reported in December)
    assert sorted(entry["subjects"]) == [EMPLOYEE, EMPLOYEE2, LONG_DEPARTMENT] and entry["subject_count"] == 3
    assert entry["params"] == {"from_date": "2026-11-01", "to_date": "2026-11-30", "center": "JJ", "format": "pdf"}
    document_id = int(response.headers["X-Fleet-Document-Id"])
    meta = client.get(f"/api/v1/documents/{document_id}", headers=auditor_headers).get_json()
    assert meta["kind"] == "report" and meta["subject"] == "report:incidents" and meta["created_by"] == AUDITOR
    assert meta["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert client.get(meta["url"], headers=auditor_headers).data == response.data
    csv_response = client.get(f"/api/v1/reports/incidents.csv?{NOVEMBER}&center=NO&reason=점검",
                              headers=auditor_headers)
    assert csv_response.status_code == 200 and int(csv_response.headers["X-Fleet-Document-Id"]) > document_id
    entry = _entries(app)[-1]
    assert entry["subjects"] == [EMPLOYEE] and entry["reason"] == "점검"


def test_without_a_reason_it_is_422_and_nothing_is_issued(app, client, auditor_headers, login):
    _incidents(app)
    with app.app_context():
        documents = db.session.query(Document).count()
    for fmt in ("pdf", "csv"):
        for reason in ("", "&reason=%20%20"):
            problem = assert_problem(client.get(f"/api/v1/reports/incidents.{fmt}?{NOVEMBER}{reason}",
                                                headers=auditor_headers), 422)
            assert "reason" in problem["errors"]
    with app.app_context():
        assert db.session.query(Document).count() == documents
    assert _entries(app) == []
    # Nor with parameters it does not take, a period that ends before it starts, an unknown center; nor for an
    # employee.
    for query, field in (("as_of=2026-11-30", "as_of"), ("days=30", "days"), ("from=2026-11-30&to=2026-11-01", "to"),
                         ("center=NOPE", "center")):
        problem = assert_problem(client.get(f"/api/v1/reports/incidents.pdf?{query}&reason=감사",
                                            headers=auditor_headers), 422)
        assert field in problem["errors"], problem
    assert_problem(client.get(f"/api/v1/reports/incidents.pdf?{NOVEMBER}&reason=감사", headers=login(EMPLOYEE)),
                   403)
    assert client.get(f"/api/v1/reports/incidents.csv?{NOVEMBER}&reason=감사", headers=login(IT)).status_code == 200


def test_the_reports_page_offers_it_in_korean_and_english_with_a_reason(app, client):
    _incidents(app)
    log_in(client, AUDITOR)
    korean = client.get("/audit", headers=KO).get_data(as_text=True)
    assert 'id="report-incidents"' in korean and "분실·도난·파손 신고" in korean
    card = korean.partition('id="report-incidents"')[2].partition("</form>")[0]
    assert 'name="reason" required' in card and 'name="center"' in card and 'name="from"' in card
    english = client.get("/audit", headers=EN).get_data(as_text=True)
    assert "Losses, thefts and damage reported in a period" in english
    refused = client.get(f"/audit/reports/incidents.csv?{NOVEMBER}", headers=KO)
    assert refused.status_code == 422 and "사유" in refused.get_data(as_text=True)
    assert _entries(app) == []
    rows = _csv(client.get(f"/audit/reports/incidents.csv?{NOVEMBER}&center=JJ&reason=감사", headers=EN))
    assert rows[0] == HEADER and len(rows) == 5
    entry = _entries(app)[-1]
    assert (entry["target"], entry["reason"], entry["params"]["center"], entry["params"]["format"]) == (
        "report:incidents", "감사", "JJ", "csv")
    response = client.get(f"/audit/reports/incidents.pdf?{NOVEMBER}&reason=감사", headers=KO)
    assert response.status_code == 200 and pdf.page_count(response.data) == 1


def test_the_openapi_document_names_the_report_and_its_parameters(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for fmt in ("pdf", "csv"):
        item = spec["paths"][f"/api/v1/reports/{{name}}.{fmt}"]
        assert "incidents" in item["parameters"][0]["schema"]["enum"]
    query = {p["name"]: p for p in spec["paths"]["/api/v1/reports/{name}.pdf"]["get"]["parameters"]}
    assert "incidents" in query["reason"]["description"] and "incidents" in query["center"]["description"]
