"""Pages through the test client: log-in, roles, CSRF, headers, languages, and each page's errors on the page."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from PIL import Image

from fleet.extensions import db
from fleet.models import LoanRequest
from fleet.services.requests import REASONS
from tests.fixtures_data import AUDITOR, DISABLED, EMPLOYEE, EMPLOYEE2, IT, NOT_ELIGIBLE
from tests.support import pdf
from tests.web.helpers import hand_over, stock

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "fleet" / "translations" / "ko" / "LC_MESSAGES"
KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def csrf(client, path="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def log_in(client, uid, password=None, headers=None):
    token = csrf(client)
    return client.post("/login", data={"username": uid, "password": password or uid + "pw", "csrf_token": token},
                       headers=headers or {})


def post(client, path, data=None, **kwargs):
    """A form post with the session's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf(client, "/me")}, **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


# Translations


def test_compiled_translations_are_up_to_date():
    with open(TRANSLATIONS / "messages.po", "rb") as po:
        catalog = read_po(po)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert compiled.getvalue() == (TRANSLATIONS / "messages.mo").read_bytes(), \
        "the .mo is stale: run pybabel compile -d fleet/translations"


def test_every_label_of_the_pages_is_translated_into_korean():
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {message[2] if isinstance(message[2], str) else message[2][0]
                 for message in extract_from_dir(str(ROOT), method_map, options_map)}
    with open(TRANSLATIONS / "messages.po", "rb") as po:
        catalog = read_po(po)

    def translated(msgid: str) -> bool:
        message = catalog.get(msgid)
        strings = message.string if message and isinstance(message.string, tuple) else [message and message.string]
        return all(strings)

    missing = sorted(m for m in extracted if not translated(m))
    assert len(extracted) > 300
    assert not missing, f"translate in fleet/translations/ko/LC_MESSAGES/messages.po: {missing}"


@pytest.mark.parametrize("sentence,korean", [
    ("한상우 (gone1) is disabled in the directory and cannot receive a device.",
     "한상우 (gone1)님은 디렉터리에서 비활성화되어 장비를 받을 수 없습니다."),
    ("Asset NB-001 is on_loan, not in_stock: it cannot be handed over.",
     "자산 NB-001은(는) 재고 상태가 아니라 대여 중 상태이므로 인계할 수 없습니다."),
    ("An asset that is retired cannot move to in_stock. retired is final.",
     "폐기 상태인 자산은 재고(으)로 옮길 수 없습니다. 폐기은(는) 최종 상태입니다."),
    ("The period ends before it starts.", "기간의 끝이 시작보다 앞섭니다."),
    ("A sentence no template knows.", "A sentence no template knows."),
])
def test_service_sentences_are_shown_in_the_readers_language(app, sentence, korean):
    from fleet.web.messages import say

    with app.test_request_context(headers=KO):
        assert say(sentence) == korean
    with app.test_request_context(headers=EN):
        assert say(sentence) == sentence


def test_times_are_shown_in_fleet_timezone_in_the_readers_format(app):
    moment = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 15:30 in Seoul
    with app.test_request_context(headers=KO):
        assert app.jinja_env.filters["when"](moment) == "2026. 3. 2. 오후 3:30"
        assert app.jinja_env.filters["number"](1234567.5) == "1,234,567.5"
    with app.test_request_context(headers=EN):
        assert app.jinja_env.filters["when"](moment) == "Mar 2, 2026, 3:30 PM"


def test_korean_by_default_english_on_request_and_the_switch_wins(client):
    assert "로그인" in text(client.get("/login", headers=KO))
    assert "로그인" in text(client.get("/login"))  # nothing asked: Korean
    english = text(client.get("/login", headers=EN))
    assert "Log in" in english and "로그인" not in english
    response = client.get("/lang/ko", headers={"Referer": "http://localhost/login?next=/me"})
    assert response.headers["Location"] == "/login?next=/me"  # back to the same page
    assert "로그인" in text(client.get("/login", headers=EN))
    assert client.get("/lang/en", headers={"Referer": "http://evil.example/x"}).headers["Location"] == "/"


# Log-in, roles, sessions


@pytest.mark.parametrize("uid,home", [(IT, "/desk"), (AUDITOR, "/audit"), (EMPLOYEE, "/me")])
def test_log_in_lands_on_the_role_home(client, uid, home):
    response = log_in(client, uid)
    assert response.status_code == 302 and response.headers["Location"].endswith(home)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_and_disabled_are_refused_with_a_sentence(client):
    for uid, password in [(IT, "nope"), (DISABLED, "gone1pw")]:
        response = log_in(client, uid, password, headers=EN)
        assert response.status_code == 401
        assert f'value="{uid}"' in text(response)  # what was typed is kept
        assert "The user name or password is wrong, or the account is disabled." in text(response)
    assert "사용자 ID나 비밀번호가 틀렸거나" in text(log_in(client, IT, "nope", headers=KO))


def test_log_out_ends_the_session_but_keeps_the_language(client):
    client.get("/lang/en")
    log_in(client, EMPLOYEE)
    assert post(client, "/logout").status_code == 302
    assert client.get("/me").status_code == 302
    assert "Log in" in text(client.get("/login", headers=KO))


def test_next_leads_back_but_never_off_site(client):
    response = client.get("/desk/requests")
    assert response.status_code == 302 and "next=/desk/requests" in response.headers["Location"]
    for target, expected in [("/desk/requests", "/desk/requests"), ("//evil.example/x", "/desk"),
                             ("https://evil.example/", "/desk")]:
        response = client.post(f"/login?next={target}", data={"username": IT, "password": "it1pw",
                                                               "csrf_token": csrf(client)})
        assert response.headers["Location"].endswith(expected)


def test_forms_without_the_csrf_token_are_refused(client):
    response = client.post("/login", data={"username": IT, "password": "it1pw"}, headers=EN)
    assert response.status_code == 403 and "Reload the page" in text(response)
    log_in(client, IT)
    assert client.post("/desk/handover", data={"asset_tag": "X", "assignee": EMPLOYEE}).status_code == 403
    assert client.post("/desk/handover", data={"asset_tag": "X", "csrf_token": "forged"}).status_code == 403


def test_api_writes_ignore_the_session_cookie(client):
    log_in(client, IT)
    assert client.post("/api/v1/centers", json={"code": "X", "name": "x", "kind": "office"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 200


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    log_in(client, IT)
    assert client.get("/desk").headers["Cache-Control"] == "no-store"
    assert "<script>" not in text(client.get("/desk")) and " style=" not in text(client.get("/desk"))


def test_each_role_sees_only_its_pages(client):
    log_in(client, EMPLOYEE)
    for path in ["/desk", "/desk/handover", "/audit", "/assets", "/loans"]:
        response = client.get(path, headers=EN)
        assert response.status_code == 403 and "Your role does not allow this page." in text(response)
    assert client.get("/me").status_code == 200
    client.get("/lang/en")
    log_in(client, AUDITOR)
    assert client.get("/audit").status_code == 200 and client.get("/assets").status_code == 200
    assert client.get("/desk/handover").status_code == 403
    assert post(client, "/desk/requests/1/approve").status_code == 403


def test_every_page_renders_for_it_staff_in_both_languages(app, client):
    stock(app, "NB-001", "NB-002")
    loan_id, _ = hand_over(app, "NB-002", EMPLOYEE)
    log_in(client, IT)
    for headers in (KO, EN):
        client.get("/lang/" + ("ko" if headers is KO else "en"))
        for path in ["/desk", "/desk/handover", "/desk/handover?asset_tag=NB-001&assignee=emp1", "/desk/return",
                     "/desk/return?tag=NB-002", f"/desk/loans/{loan_id}", "/assets", "/assets?status=on_loan",
                     "/assets/NB-002", "/assets/new", "/assets/NB-001/edit", "/assets/import", "/desk/requests",
                     "/desk/stocktakes", "/desk/labels", "/desk/leavers", "/loans", "/loans?overdue=1", "/audit",
                     "/audit/events", "/audit/events?verify=1&actor=it1", "/audit/verify", "/me", "/me/request",
                     "/desk/outbox", "/desk/outbox?status=failed", "/desk/outbox?status=nonsense"]:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            assert "<html" in text(response)
    assert "이지은" in text(client.get(f"/desk/loans/{loan_id}"))


def test_unknown_things_answer_404_pages(client):
    log_in(client, IT)
    client.get("/lang/en")
    for path in ["/desk/loans/999", "/assets/NOPE", "/desk/stocktakes/999", "/no/such/page"]:
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404 and "<html" in text(response), path
    response = client.get("/desk/return?tag=NOPE-1")
    assert response.status_code == 404 and "is not on an open loan" in text(response)
    assert 'value="NOPE-1"' in text(response)


# The hand-over screen's directory preview


def test_the_directory_preview_says_who_can_borrow_and_why_not(client):
    log_in(client, IT)
    client.get("/lang/en")
    ok = client.get(f"/desk/preview?uid={EMPLOYEE}").get_json()
    assert ok["ok"] and ok["name"] == "이지은" and ok["department"] == "민원여권과" and ok["eligible"]
    assert ok["verdict"] == "Can borrow"
    disabled = client.get(f"/desk/preview?uid={DISABLED}").get_json()
    assert not disabled["ok"] and disabled["found"] and not disabled["active"]
    assert disabled["reason"] == "한상우 (gone1) is disabled in the directory and cannot receive a device."
    outsider = client.get(f"/desk/preview?uid={NOT_ELIGIBLE}").get_json()
    assert outsider["found"] and outsider["active"] and not outsider["eligible"]
    assert "not eligible" in outsider["reason"]
    unknown = client.get("/desk/preview?uid=x*)(uid=*").get_json()
    assert not unknown["found"] and "does not exist" in unknown["reason"]
    assert not client.get("/desk/preview?uid=").get_json()["found"]
    client.get("/lang/ko")
    assert client.get(f"/desk/preview?uid={EMPLOYEE}").get_json()["verdict"] == "대여 가능"


def test_the_asset_preview_lists_the_accessories(app, client):
    stock(app, "NB-001")
    log_in(client, IT)
    data = client.get("/desk/asset-preview?tag=nb-001").get_json()
    assert data["found"] and data["accessories"] == ["charger", "bag"] and data["in_stock"]
    assert not client.get("/desk/asset-preview?tag=NOPE").get_json()["found"]


def test_a_refused_hand_over_keeps_what_was_typed_and_changes_nothing(app, client):
    stock(app, "NB-001")
    log_in(client, IT)
    response = post(client, "/desk/handover", {"asset_tag": "NB-001", "assignee": DISABLED, "condition": "새 제품",
                                               "accessories": ["charger"]}, headers=KO)
    assert response.status_code == 422
    page = text(response)
    assert "비활성화되어 장비를 받을 수 없습니다" in page
    assert 'value="새 제품"' in page and 'value="charger" checked' in page
    assert client.get("/api/v1/loans").get_json()["items"] == []
    response = post(client, "/desk/handover", {"asset_tag": "NB-001", "assignee": EMPLOYEE, "due_date": "someday"},
                    headers=EN)
    assert response.status_code == 422 and "The due date or request number is not valid." in text(response)


def test_a_return_with_a_missing_accessory_and_damage_notes_left_out_is_refused_on_the_page(app, client):
    stock(app, "NB-001")
    loan_id, _ = hand_over(app, "NB-001", EMPLOYEE)
    log_in(client, IT)
    client.get("/lang/en")
    response = post(client, f"/desk/return/{loan_id}", {"condition": "damaged", "accessories_returned": ["charger"],
                                                        "data_wiped": "no"})
    assert response.status_code == 422 and "Describe the damage." in text(response)
    assert 'value="charger" checked' in text(response) and 'value="bag" checked' not in text(response)
    response = post(client, f"/desk/return/{loan_id}", {"condition": "good", "accessories_returned": ["charger"],
                                                        "data_wiped": "yes"})
    assert response.status_code == 302
    assert "Taken back" in text(client.get(response.headers["Location"]))


def test_a_signature_that_is_not_a_png_is_refused_on_the_loan_page(app, client):
    stock(app, "NB-001")
    loan_id, document_id = hand_over(app, "NB-001", EMPLOYEE)
    log_in(client, IT)
    client.get("/lang/en")
    response = post(client, f"/desk/documents/{document_id}/sign", {"assignee_signature": "data:image/gif;base64,R0"})
    assert response.status_code == 422 and "The signature is not a PNG image." in text(response)
    response = post(client, f"/desk/documents/{document_id}/sign", {})
    assert response.status_code == 422 and "Draw at least one signature." in text(response)
    assert f"/desk/loans/{loan_id}" in text(response) or "L-" in text(response)


def test_the_session_end_reaches_the_page_only_when_the_server_says_it(client):
    """After the merge of server-side sessions the page's own session says when it ends: a logged-in page carries
    the meta tag that static/app.js's warning waits for; the login page, with no session, has none (and the
    warning never runs). The tag's value is tested in tests/web/test_session_pages.py."""
    assert "fleet-session-expires" not in text(client.get("/login"))
    log_in(client, EMPLOYEE)
    assert '<meta name="fleet-session-expires" content="' in text(client.get("/me"))


def test_a_typed_name_signs_a_form_instead_of_a_drawing_and_must_be_the_name_on_it(app, client, it_headers):
    """The keyboard's alternative to the pads: the name as printed on the form; the form and the log say typed."""
    stock(app, "NB-001")
    loan_id, document_id = hand_over(app, "NB-001", EMPLOYEE)
    log_in(client, IT)
    client.get("/lang/en")
    wrong = post(client, f"/desk/documents/{document_id}/sign", {"assignee_typed_name": "이지", "staff_typed_name": ""})
    assert wrong.status_code == 422 and 'id="error-assignee_typed_name"' in text(wrong)
    assert 'value="이지"' in text(wrong)  # what was typed is kept
    assert client.get("/api/v1/events?action=document.signed", headers=it_headers).get_json()["items"] == []
    response = post(client, f"/desk/documents/{document_id}/sign", {"assignee_typed_name": " 이지은 "})
    assert response.status_code == 302
    signed = client.get("/api/v1/events?action=document.signed", headers=it_headers).get_json()["items"][0]
    assert signed["data"]["after"]["signed_by"] == {"assignee": True, "it_staff": None}
    assert signed["data"]["after"]["typed"] == ["assignee"]
    pdf_bytes = client.get(f"/api/v1/documents/{signed['data']['after']['document_id']}.pdf", headers=it_headers).data
    flat = pdf.flat_text(pdf_bytes)
    assert "이지은" in flat and "이름입력으로확인" in flat and pdf.image_count(pdf_bytes) == 0


def test_signing_a_form_on_screen_appends_document_signed(app, client, it_headers):
    """The signed copy is registered and the event log says so: loan, document, SHA-256, who; no image data."""
    stock(app, "NB-001")
    loan_id, document_id = hand_over(app, "NB-001", EMPLOYEE)
    log_in(client, IT)
    refused = post(client, f"/desk/documents/{document_id}/sign", {"assignee_signature": "data:image/gif;base64,R0"})
    assert refused.status_code == 422
    assert client.get("/api/v1/events?action=document.signed", headers=it_headers).get_json()["items"] == []
    drawn = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(drawn, "PNG")
    png = "data:image/png;base64," + base64.b64encode(drawn.getvalue()).decode()
    response = post(client, f"/desk/documents/{document_id}/sign", {"assignee_signature": png, "staff_signature": png})
    assert response.status_code == 302
    events = client.get("/api/v1/events?action=document.signed", headers=it_headers).get_json()["items"]
    assert len(events) == 1 and events[0]["actor"] == IT and events[0]["subject_id"] == str(loan_id)
    signed = events[0]["data"]["after"]
    document = client.get(f"/api/v1/documents/{signed['document_id']}", headers=it_headers).get_json()
    assert signed["sha256"] == document["sha256"] and signed["supersedes"] == document_id
    assert signed["signed_by"] == {"assignee": True, "it_staff": IT} and signed["kind"] == "handover_form"
    assert "base64" not in str(events[0]) and "iVBOR" not in str(events[0])
    assert client.get("/api/v1/events/verify", headers=it_headers).get_json()["valid"] is True
    assert "Form signed" in text(client.get("/assets/NB-001")) or "서식 서명" in text(client.get("/assets/NB-001"))


# Requests


def test_an_employee_requests_sees_the_queue_place_and_cancels(client):
    log_in(client, EMPLOYEE2)
    client.get("/lang/en")
    response = post(client, "/me/request", {"reason": "pregnancy", "needed_from": "2000-01-01", "note": "병원"})
    assert response.status_code == 422 and "Must be today or later." in text(response)
    assert "병원" in text(response)  # the note is kept
    response = post(client, "/me/request", {"reason": "pregnancy", "needed_from": "2099-03-01", "note": "병원"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Pregnancy" in page and "Place in queue: <b>1</b>" in page
    again = post(client, "/me/request", {"reason": "other", "needed_from": "2099-03-01"})
    assert again.status_code == 409 and "already has an open request" in text(again)
    request_id = re.search(r"/me/requests/(\d+)/cancel", page).group(1)
    assert post(client, f"/me/requests/{request_id}/cancel").status_code == 302
    assert "Cancelled" in text(client.get("/me"))


def test_it_decides_in_the_queue_and_a_second_decision_is_explained(client):
    log_in(client, EMPLOYEE)
    post(client, "/me/request", {"reason": "childcare", "needed_from": "2099-03-01"})
    log_in(client, IT)
    client.get("/lang/en")
    request_id = re.search(r'data-request="(\d+)"', text(client.get("/desk/requests"))).group(1)
    response = post(client, f"/desk/requests/{request_id}/reject", {"note": "재고 없음"})
    assert response.status_code == 302
    assert "rejected" in text(client.get(response.headers["Location"]))
    again = post(client, f"/desk/requests/{request_id}/approve")
    assert again.status_code == 409 and f"Request {request_id} is rejected; it cannot become approved." in text(again)


def test_the_queue_pages_through_every_pending_request_in_queue_order(app, client):
    """130 pending requests: 50 a page, oldest and highest priority first, the count of all at the top."""
    reasons = ["other", "childcare", "pregnancy", "remote_work", "emergency"]
    start = datetime(2026, 3, 2, tzinfo=UTC)
    with app.app_context():
        db.session.execute(db.insert(LoanRequest), [
            {"requester_uid": f"p{i:03d}", "requester_name": f"직원{i}", "category": "laptop",
             "reason": reasons[i % 5], "priority": REASONS.index(reasons[i % 5]), "needed_from": date(2099, 1, 1),
             "status": "pending", "created_at": start + timedelta(minutes=i)} for i in range(130)])
        db.session.commit()
        expected = [r.id for r in db.session.execute(db.select(LoanRequest).order_by(
            LoanRequest.priority, LoanRequest.created_at)).scalars()]
    log_in(client, IT)
    client.get("/lang/en")
    seen, url = [], "/desk/requests"
    for _ in range(3):
        page = text(client.get(url))
        assert "130 requests pending" in page
        rows = [int(i) for i in re.findall(r'data-request="(\d+)"', page)]
        places = re.findall(r'<td class="num">(\d+)</td>', page)
        assert places == [str(n) for n in range(len(seen) + 1, len(seen) + len(rows) + 1)]
        seen += rows
        following = re.search(r'href="([^"]+)" id="queue-next"', page)
        if not following:
            break
        url = following.group(1).replace("&amp;", "&")
    assert seen == expected and len(seen) == 130
    assert "Start of the queue" in page and "queue-next" not in page
    stale = client.get("/desk/requests?cursor=not-a-cursor")
    assert stale.status_code == 422 and 'id="error"' in text(stale) and text(stale).count("data-request=") == 50


# Assets


CSV_HEADER = "asset_tag,serial_number,category,manufacturer,model,center,purchase_date,purchase_cost\n"


def test_csv_import_reports_every_bad_row_and_imports_nothing(app, client):
    stock(app, "NB-001")
    log_in(client, IT)
    client.get("/lang/en")
    bad = CSV_HEADER + "NB-002,S2,laptop,LG,gram,JJ,2025-01-01,1500000\nNB-001,S3,toaster,LG,gram,XX,someday,free\n"
    response = post(client, "/assets/import", {"file": (io.BytesIO(bad.encode()), "assets.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was imported" in page and page.count("<td class=\"num\">3</td>") == 5
    for column in ("asset_tag", "category", "center", "purchase_date", "purchase_cost"):
        assert f"<code>{column}</code>" in page
    assert client.get("/assets/NB-002").status_code == 404
    good = CSV_HEADER + "NB-002,S2,laptop,LG,gram,JJ,2025-01-01,1500000\nNB-003,S3,monitor,LG,27UL,JJ,,\n"
    response = post(client, "/assets/import", {"file": (io.BytesIO(good.encode()), "assets.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 200 and "Imported 2 assets." in text(response)
    assert "1,500,000" in text(client.get("/assets/NB-002"))


def test_creating_an_asset_with_errors_keeps_the_form(app, client):
    stock(app, "NB-001")
    log_in(client, IT)
    client.get("/lang/en")
    values = {"asset_tag": "NB 9!", "category": "laptop", "center": "JJ", "model": "gram 14", "purchase_cost": "-5"}
    response = post(client, "/assets/new", values)
    assert response.status_code == 422
    page = text(response)
    assert 'value="gram 14"' in page and 'value="NB 9!"' in page and "Must be 0 or more." in page
    response = post(client, "/assets/new", {**values, "asset_tag": "NB-009", "purchase_cost": "1,200,000",
                                            "accessories": "charger, mouse"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/assets/NB-009")
    detail = text(client.get("/assets/NB-009"))
    assert "charger, mouse" in detail and "Asset registered" in detail
    response = post(client, "/assets/NB-009/status", {"status": "retired", "reason": ""})
    assert response.status_code in (409, 422)


def test_labels_are_issued_or_the_problem_is_named(app, client):
    stock(app, "NB-001")
    log_in(client, IT)
    client.get("/lang/en")
    response = post(client, "/desk/labels", {"tags": "NB-001, NOPE-9"})
    assert response.status_code == 422 and "NOPE-9" in text(response)
    response = post(client, "/desk/labels", {"center": "JJ"})
    assert response.status_code == 302 and response.headers["Location"].endswith(".pdf")
    assert client.get(response.headers["Location"]).mimetype == "application/pdf"


# Stocktakes, leavers, audit


def test_a_stocktake_scan_answers_a_fragment_for_the_running_list(app, client):
    stock(app, "NB-001", "NB-002")
    log_in(client, IT)
    client.get("/lang/en")
    response = post(client, "/desk/stocktakes", {"center": "JJ"})
    url = response.headers["Location"]
    fragment = post(client, url, {"asset_tag": "nb-001"}, headers={"X-Fleet-Partial": "1"})
    assert fragment.status_code == 200 and "<html" not in text(fragment)
    assert "NB-001: expected here" in text(fragment) and "NB-002" in text(fragment)
    empty = post(client, url, {"asset_tag": ""}, headers={"X-Fleet-Partial": "1"})
    assert empty.status_code == 422 and "Scan an asset tag." in text(empty)
    assert "Continue the stocktake" in text(client.get("/desk"))
    assert post(client, url + "/close").status_code == 302
    closed = post(client, url + "/close")
    assert closed.status_code == 409 and "is closed" in text(closed)


def test_leavers_are_found_by_checking_the_directory(app, client):
    stock(app, "NB-001")
    hand_over(app, "NB-001", EMPLOYEE)
    log_in(client, IT)
    assert post(client, "/desk/leavers").status_code == 302
    assert "Nobody who left holds a device." in text(client.get("/desk/leavers", headers=EN)) or \
        "장비를 보유한 퇴직자가 없습니다" in text(client.get("/desk/leavers"))


def test_reports_download_and_bad_parameters_are_explained(app, client):
    stock(app, "NB-001")
    hand_over(app, "NB-001", EMPLOYEE)
    log_in(client, AUDITOR)
    client.get("/lang/en")
    refused = client.get("/audit/reports/loans.csv")
    assert refused.status_code == 422 and "Give a reason" in text(refused)
    csv = client.get("/audit/reports/loans.csv?reason=감사")
    assert csv.mimetype == "text/csv" and "이지은" in csv.get_data().decode("utf-8-sig")
    assert csv.headers["X-Fleet-Document-Id"].isdigit()
    report = client.get("/audit/reports/inventory.pdf?as_of=&center=JJ")
    assert report.mimetype == "application/pdf" and "attachment" in report.headers["Content-Disposition"]
    assert report.headers["X-Fleet-Document-Id"].isdigit()
    bad = client.get("/audit/reports/events.pdf?from=2026-05-01&to=2026-04-01&reason=감사")
    assert bad.status_code == 422 and "The period ends before it starts." in text(bad)
    assert 'value="2026-05-01"' in text(bad)
    assert client.get("/audit/reports/loans.csv?from=yesterday&reason=감사").status_code == 422


def test_the_event_log_verifies_the_chain_on_request(app, client):
    stock(app, "NB-001")
    log_in(client, AUDITOR)
    client.get("/lang/en")
    page = text(client.get("/audit/events"))
    assert "Asset registered" in page and "Verify the whole chain" in page
    assert "none altered" in text(client.get("/audit/events?verify=1"))
    assert "No events match." in text(client.get("/audit/events?actor=nobody"))


def test_uploading_something_else_than_a_pdf_is_explained(client):
    log_in(client, AUDITOR)
    client.get("/lang/en")
    response = post(client, "/audit/verify", {"file": (io.BytesIO(b"hello"), "note.txt")},
                    content_type="multipart/form-data")
    assert response.status_code == 422 and "The upload is not a PDF." in text(response)


def test_when_the_directory_is_down_nothing_is_handed_over_and_the_page_says_why(app, client, make_app):
    stock(app, "NB-001")
    log_in(client, IT)  # logged in while the directory answered
    down = make_app(FLEET_DIRECTORY=None, FLEET_LDAP_URI="ldap://127.0.0.1:1", FLEET_LDAP_TIMEOUT="1").test_client()
    with client.session_transaction() as session:
        cookie = dict(session)
    with down.session_transaction() as session:
        session.update(cookie)
    # The page session lives in the database the two apps share; its cookie carries only the random secret.
    down.set_cookie("fleet_session", client.get_cookie("fleet_session").value)
    down.get("/lang/ko")
    preview = down.get(f"/desk/preview?uid={EMPLOYEE}")
    assert preview.status_code == 503 and "직원 디렉터리에 연결할 수 없습니다" in preview.get_json()["reason"]
    response = post(down, "/desk/handover", {"asset_tag": "NB-001", "assignee": EMPLOYEE})
    assert response.status_code == 503 and "직원 디렉터리에 연결할 수 없습니다" in text(response)
    assert 'value="NB-001"' in text(response)
    assert down.get("/desk").status_code == 200  # reading goes on


def test_an_emergency_hands_over_many_devices_all_or_none(app, client):
    stock(app, "NB-001", "NB-002", "NB-003")
    log_in(client, IT)
    client.get("/lang/ko")
    refused = post(client, "/desk/handover/batch", {"lines": f"NB-001, {EMPLOYEE}\nNB-002\t{DISABLED}\n"})
    assert refused.status_code == 422
    assert "2번째 줄: 한상우 (gone1)님은 디렉터리에서 비활성화되어" in text(refused)
    assert "NB-002\t" in text(refused)  # the lines are kept
    assert client.get("/api/v1/loans").get_json()["items"] == []
    assert post(client, "/desk/handover/batch", {"lines": "NB-001"}).status_code == 422
    done = post(client, "/desk/handover/batch", {"lines": f"nb-001 {EMPLOYEE}\n\nNB-003,{EMPLOYEE2}\n",
                                                  "note": "태풍 대비 재택근무"})
    assert done.status_code == 302
    page = text(client.get(done.headers["Location"]))
    assert "2대를 한 번에 인계했습니다" in page and "이지은" in page and "최준호" in page
    pdf_link = re.search(r'id="batch-pdf"[^>]*href="([^"]+)"', page).group(1)
    assert client.get(pdf_link).mimetype == "application/pdf"
