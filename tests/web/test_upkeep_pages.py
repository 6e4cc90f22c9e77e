"""The pages of an asset's life after the desk, in Korean and English: repairs on the asset page and the desk's
repair list."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from fleet.extensions import db
from fleet.models import Asset, Repair
from tests.fixtures_data import AUDITOR, IT
from tests.support.clock import fleet_today
from tests.web.helpers import hand_over, stock
from tests.web.test_pages import EN, KO, log_in, post, text


def _status(app, tag):
    with app.app_context():
        return db.session.execute(db.select(Asset.status).where(Asset.asset_tag == tag)).scalar_one()


def test_send_to_repair_and_close_it_on_the_asset_page(app, client):
    stock(app, "NB-001", warranty_until=fleet_today() + timedelta(days=10))
    log_in(client, IT)
    page = client.get("/assets/NB-001", headers=KO).get_data(as_text=True)
    assert "수리업체에 수리 의뢰" in page and 'for="repair-vendor"' in page and 'id="repair-vendor"' in page
    refused = post(client, "/assets/NB-001/repairs", {"vendor": "", "fault": "키보드 불량"}, headers=KO)
    assert refused.status_code == 422 and "수리업체를 입력하십시오." in text(refused)
    assert _status(app, "NB-001") == "in_stock"
    sent = post(client, "/assets/NB-001/repairs", {"vendor": "LG전자 서비스센터", "fault": "키보드 불량",
                                                   "ticket": "RMA-1"}, headers=KO)
    assert sent.status_code == 302 and _status(app, "NB-001") == "in_repair"
    with app.app_context():
        repair = db.session.execute(db.select(Repair)).scalar_one()
        assert repair.under_warranty is True  # the warranty runs ten more days
        repair_id = repair.id
    page = client.get("/assets/NB-001", headers=EN).get_data(as_text=True)
    assert "Back from the vendor" in page and "At the vendor" in page and "Change status" not in page
    bad = post(client, f"/repairs/{repair_id}/close", {"result": "fixed", "cost": "abc"}, headers=EN)
    assert bad.status_code == 422 and "Not a number." in text(bad)
    closed = post(client, f"/repairs/{repair_id}/close", {"result": "fixed", "cost": "150,000"}, headers=EN)
    assert closed.status_code == 302 and _status(app, "NB-001") == "quarantine"  # not wiped
    page = client.get("/assets/NB-001", headers=KO).get_data(as_text=True)
    assert 'id="repair-total">150,000<' in page and "수리 완료" in page


def test_a_device_on_loan_cannot_be_sent_from_its_page(app, client):
    stock(app, "NB-001")
    hand_over(app, "NB-001", "emp1")
    log_in(client, IT)
    assert "repair-form" not in client.get("/assets/NB-001", headers=EN).get_data(as_text=True)
    refused = post(client, "/assets/NB-001/repairs", {"vendor": "LG", "fault": "x"}, headers=KO)
    assert refused.status_code == 409 and "먼저 반납받거나 교체한 다음" in text(refused)


def test_the_repair_list_in_both_languages_and_for_auditors(app, client):
    stock(app, "NB-001")
    log_in(client, IT)
    post(client, "/assets/NB-001/repairs", {"vendor": "삼성전자서비스", "fault": "전원 불량",
                                            "sent_at": (fleet_today() - timedelta(days=40)).isoformat()})
    for headers, words in ((KO, ("수리", "지연", "삼성전자서비스")), (EN, ("Repairs", "Too long", "삼성전자서비스"))):
        page = client.get("/desk/repairs", headers=headers).get_data(as_text=True)
        assert all(w in page for w in words), words
        assert page.count("<h1") == 1
    auditor = app.test_client()
    log_in(auditor, AUDITOR)
    assert "삼성전자서비스" in auditor.get("/desk/repairs?overdue=1", headers=EN).get_data(as_text=True)


def test_the_disposal_page_retires_a_list_or_nothing(app, client):
    stock(app, "OLD-1", "OLD-2", purchase_date=date(2015, 5, 1), purchase_cost=Decimal("990000"))
    stock(app, "NEW-1", purchase_date=fleet_today())
    hand_over(app, "OLD-2", "emp1")
    log_in(client, IT)
    page = client.get("/desk/disposal", headers=KO).get_data(as_text=True)
    assert "내용연수가 지난 재고 자산" in page and "OLD-1" in page and "NEW-1" not in page and "OLD-2" not in page
    assert 'for="disposal-tags"' in page and page.count("<h1") == 1
    filled = client.get("/desk/disposal?fill=1", headers=EN).get_data(as_text=True)
    assert re.search(r'<textarea[^>]*id="disposal-tags"[^>]*>OLD-1</textarea>', filled)
    refused = post(client, "/desk/disposal", {"asset_tags": "OLD-1\nOLD-2", "reason": "내용연수 경과"}, headers=KO)
    assert refused.status_code == 409 and "OLD-2 (on_loan)" in text(refused)
    assert "아무것도 처분하지 않았습니다" in text(refused)
    assert _status(app, "OLD-1") == "in_stock"
    done = post(client, "/desk/disposal", {"asset_tags": "old-1, NEW-1", "reason": "내용연수 경과"}, headers=EN)
    assert done.status_code == 302
    page = client.get(done.headers["Location"], headers=EN).get_data(as_text=True)
    assert "2 assets were retired with the disposal list D-" in page and "Disposal list" in page
    assert _status(app, "OLD-1") == "retired" and _status(app, "NEW-1") == "retired"
