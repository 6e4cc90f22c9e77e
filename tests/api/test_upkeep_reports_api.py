"""The replacement and repairs reports, at fixed dates: who is past the useful life (an asset turning five on the
report date is in), warranties ending, totals to the won; PDF read back and CSV, registered like the others."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from fleet.extensions import db
from fleet.models import Repair
from fleet.services import repairs as repair_service
from fleet.services.assets import get_asset, move_status
from tests.api.test_auth_api import assert_problem
from tests.factories import IT_PRINCIPAL, create_asset, create_center
from tests.fixtures_data import AUDITOR
from tests.support import pdf
from tests.support.clock import FLEET_ZONE, fleet_today
from tests.web.test_pages import EN, KO, log_in

AS_OF = date(2031, 3, 10)  # a fixed report date, not the machine's


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _fleet(app):
    """Laptops (5 years) and monitors (7 years) around the report date, at two centers."""
    with app.app_context():
        jj = create_center(code="JJ", name="진잠도서관 스마트워크센터")
        create_center(code="NO", name="노은도서관 스마트워크센터")
        made = {
            "TURNS-5-TODAY": dict(center=jj, purchase_date=date(2026, 3, 10), purchase_cost=Decimal("1490000.10")),
            "TURNS-5-TOMORROW": dict(center=jj, purchase_date=date(2026, 3, 11), purchase_cost=Decimal("1490000")),
            "OLD-LAPTOP": dict(center="NO", purchase_date=date(2024, 1, 2), purchase_cost=Decimal("1200000.20")),
            "LEAP-DAY": dict(center="NO", purchase_date=date(2024, 2, 29), purchase_cost=Decimal("1000000")),
            "MONITOR-6Y": dict(center=jj, category="monitor", purchase_date=date(2025, 3, 1),
                               purchase_cost=Decimal("300000")),
            "MONITOR-7Y": dict(center=jj, category="monitor", purchase_date=date(2024, 3, 10),
                               purchase_cost=Decimal("310000.70")),
            "WARRANTY-ENDS": dict(center=jj, purchase_date=date(2029, 1, 5), purchase_cost=Decimal("1500000"),
                                  warranty_until=AS_OF + timedelta(days=90)),
            "WARRANTY-LATER": dict(center=jj, purchase_date=date(2029, 1, 5),
                                   warranty_until=AS_OF + timedelta(days=91)),
            "NO-DATE": dict(center=jj),
            "RETIRED-OLD": dict(center=jj, purchase_date=date(2020, 1, 1), purchase_cost=Decimal("999")),
        }
        for tag, values in made.items():
            create_asset(asset_tag=tag, **values)
        move_status(get_asset("RETIRED-OLD"), IT_PRINCIPAL, "retired", "불용 처분")
        db.session.commit()


def test_replacement_at_a_fixed_date_takes_the_asset_turning_five_that_day(app, client, auditor_headers):
    _fleet(app)
    rows = _csv(client.get(f"/api/v1/reports/replacement.csv?as_of={AS_OF}", headers=auditor_headers))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["센터 Center", "분류 Category", "자산번호 Asset tag"]
    tags = [row[2] for row in body]
    # Per center, then category, then purchase date. Bought on 29 February 2024, a laptop is past its five years
    # from 28 February 2029 (no 29 February that year).
    assert tags == ["TURNS-5-TODAY", "WARRANTY-ENDS", "MONITOR-7Y", "OLD-LAPTOP", "LEAP-DAY"]
    today = dict(zip(header, body[0], strict=True))
    assert today["구입일 Purchased"] == "2026-03-10" and today["취득가 Cost"] == "1,490,000"
    assert today["사용 기간 Age"] == "5년 0개월 (5y 0m)" and today["내용연수 만료 End of life"] == "2031-03-10"
    assert today["사유 Reason"] == "내용연수 경과 Past useful life"
    assert dict(zip(header, body[1], strict=True))["사유 Reason"] == "보증 만료 임박 Warranty ends"
    # The day before, the five-year-old is not yet in.
    earlier = _csv(client.get(f"/api/v1/reports/replacement.csv?as_of={AS_OF - timedelta(days=1)}&days=0",
                              headers=auditor_headers))
    assert "TURNS-5-TODAY" not in [row[2] for row in earlier[1:]]


def test_replacement_pdf_totals_and_is_registered(app, client, auditor_headers):
    _fleet(app)
    response = client.get(f"/api/v1/reports/replacement.pdf?as_of={AS_OF}&center=JJ", headers=auditor_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf.text(response.data)
    flat = "".join(text.split())
    assert "교체 대상 장비" in text and "Replacement plan" in text
    # JJ: 1,490,000.10 + 1,500,000 + 310,000.70 = 3,300,000.80 → printed in whole won
    assert "3,300,001" in flat and "TURNS-5-TODAY" in flat and "OLD-LAPTOP" not in flat
    assert "JJ·노트북Laptop:2대assets,2,990,000원KRW" in flat
    assert all(embedded for _, embedded in pdf.fonts(response.data))
    meta = client.get(f"/api/v1/documents/{response.headers['X-Fleet-Document-Id']}",
                      headers=auditor_headers).get_json()
    assert meta["subject"] == "report:replacement" and meta["sha256"] == hashlib.sha256(response.data).hexdigest()


def test_replacement_refuses_bad_parameters(app, client, it_headers):
    assert_problem(client.get("/api/v1/reports/replacement.csv?days=-1", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/reports/replacement.csv?center=NOPE", headers=it_headers), 422)
    assert_problem(client.get("/api/v1/reports/replacement.csv?as_of=yesterday", headers=it_headers), 422)


def _repair(tag, sent_days_ago, *, warranty, result=None, cost=None):
    sent = datetime.combine(fleet_today() - timedelta(days=sent_days_ago), time(10), tzinfo=FLEET_ZONE)
    repair = repair_service.open_repair(IT_PRINCIPAL, asset_tag=tag, vendor="LG전자 서비스센터", fault="고장",
                                        sent_at=sent, under_warranty=warranty)
    if result:
        repair_service.close_repair(repair, IT_PRINCIPAL, result=result, cost=cost, data_wiped=True,
                                    returned_at=sent + timedelta(days=2))
    db.session.commit()
    return repair


def test_the_repairs_report_counts_and_costs_per_center_category_and_warranty(app, client, auditor_headers):
    with app.app_context():
        create_center(code="JJ", name="진잠도서관 스마트워크센터")
        for tag in ("NB-1", "NB-2", "NB-3", "NB-4", "NB-5"):
            create_asset("JJ", asset_tag=tag)
        create_asset("JJ", asset_tag="MON-1", category="monitor")
        _repair("NB-1", 10, warranty=False, result="fixed", cost="0.10")
        _repair("NB-1", 5, warranty=False, result="fixed", cost="0.20")
        _repair("NB-2", 9, warranty=False, result="beyond_repair", cost="0.10")
        _repair("NB-3", 45, warranty=True)  # open longer than the limit, sent within a 60-day period
        _repair("NB-4", 3, warranty=True)
        _repair("MON-1", 4, warranty=False, result="fixed", cost="120000")
        _repair("NB-5", 100, warranty=False, result="fixed", cost="5")  # before the period
        assert db.session.execute(db.select(db.func.count()).select_from(Repair)).scalar_one() == 7
    period = f"from={fleet_today() - timedelta(days=60)}&to={fleet_today()}"
    rows = _csv(client.get(f"/api/v1/reports/repairs.csv?{period}", headers=auditor_headers))
    header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header[:4] == ["센터 Center", "센터명 Name", "분류 Category", "보증 Warranty"]
    got = {(r["분류 Category"], r["보증 Warranty"]): (r["건수 Repairs"], r["수리 완료 Fixed"],
                                                     r["수리 불가 Beyond repair"], r["진행 중 Open"],
                                                     r["30일 초과 Over 30 days"], r["비용 Cost (KRW)"]) for r in body}
    assert got == {("노트북 Laptop", "보증 Warranty"): ("2", "0", "0", "2", "1", "0"),
                   ("노트북 Laptop", "유상 Paid"): ("3", "2", "1", "0", "0", "0"),
                   ("모니터 Monitor", "유상 Paid"): ("1", "1", "0", "0", "0", "120,000")}
    response = client.get(f"/api/v1/reports/repairs.pdf?{period}&center=JJ", headers=auditor_headers)
    assert response.status_code == 200
    flat = "".join(pdf.text(response.data).split())
    assert "수리현황" in flat and "Repairs" in flat and "120,000" in flat
    with app.app_context():
        exact = sum(r.cost for r in db.session.execute(db.select(Repair)).scalars() if r.cost is not None)
        assert exact == Decimal("120005.40")


def test_reports_page_offers_the_new_reports(app, client):
    log_in(client, AUDITOR)
    assert "교체 대상 장비" in client.get("/audit", headers=KO).get_data(as_text=True)
    page = client.get("/audit", headers=EN).get_data(as_text=True)
    assert "Replacement plan" in page and 'id="report-repairs"' in page
    response = client.get(f"/audit/reports/replacement.csv?as_of={AS_OF}&days=30", headers=EN)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert client.get("/audit/reports/replacement.csv?days=soon", headers=EN).status_code == 422
