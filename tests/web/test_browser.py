"""Each role does its job in a real headless Chromium against a live server and the real slapd."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from babel.dates import format_date
from playwright.sync_api import expect

from fleet.extensions import db
from fleet.models import LoanRequest
from fleet.services import reservations as reservation_service
from tests.factories import IT_PRINCIPAL
from tests.support import pdf
from tests.support.clock import FLEET_ZONE, fleet_today
from tests.web.helpers import hand_over, stock

pytestmark = pytest.mark.browser


def log_in(page, site, uid, lang="ko"):
    page.goto(f"{site}/lang/{lang}")
    page.goto(f"{site}/login")
    page.fill("input[name=username]", uid)
    page.fill("input[name=password]", uid + "pw")
    page.click("main button[type=submit]")


def sign(page, canvas_index: int) -> None:
    """Draw a zigzag on a signature pad with the mouse."""
    box = page.locator("canvas.pad").nth(canvas_index).bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        wave = (15 + 8 * canvas_index) * (1 if step % 2 else -1)
        page.mouse.move(box["x"] + 20 + step * (22 - 4 * canvas_index), box["y"] + box["height"] / 2 + wave)
    page.mouse.up()


def test_each_role_logs_in_to_its_own_pages(site, app, browser, shot):
    stock(app, "NB-001", "NB-002", "NB-003")
    stock(app, "VC-001", center="YS", category="vc_kit", accessories=["camera", "speaker"])
    hand_over(app, "NB-002", "emp1")
    for uid, heading, can_see, cannot_see in [
        ("it1", "정보통신과 창구", "인계", None),
        ("audit1", "보고서", "이벤트 로그", "인계"),
        ("emp1", "내 대여와 신청", "내 대여", "보고서"),
        ("privacy1", "접속기록", "접속기록", "보고서"),
    ]:
        context = browser.new_context()
        page = context.new_page()
        log_in(page, site, uid)
        expect(page.locator("h1")).to_have_text(heading)
        expect(page.locator("header nav")).to_contain_text(can_see)
        if cannot_see:
            expect(page.locator("header nav")).not_to_contain_text(cannot_see)
        shot(page, f"home-{uid}")
        if uid == "it1":
            page.click("header >> text=자산")
            expect(page.locator("#assets tbody tr")).to_have_count(4)
            shot(page, "assets-list")
            page.goto(f"{site}/assets/import")
            page.set_input_files("input[type=file]", files=[{
                "name": "assets.csv", "mimeType": "text/csv",
                "buffer": b"asset_tag,category,center,purchase_date\nNB-010,laptop,JJ,2025-01-01\n"
                          b"NB-001,toaster,XX,someday\n"}])
            page.click("#import-form button")
            expect(page.locator("#row-errors tbody tr")).to_have_count(4)
            shot(page, "import-errors")
        if uid == "emp1":
            expect(page.locator("#my-loans")).to_contain_text("NB-002")
            page.click("#logout")
            expect(page.locator("h1")).to_have_text("로그인")
            page.goto(f"{site}/me")
            expect(page).to_have_url(re.compile("/login"))
        context.close()


def test_it_disposes_of_an_old_laptop_from_stock_on_its_page(site, app, page, shot):
    """불용 처분: in stock → retired with a reason, on the asset page; then no more moves are offered."""
    stock(app, "NB-OLD")
    log_in(page, site, "it1")
    page.goto(f"{site}/assets/NB-OLD")
    page.select_option("#status-form select[name=status]", "retired")
    page.fill("#status-form input[name=reason]", "불용 처분 (내용연수 경과)")
    page.click("#status-form button[type=submit]")
    expect(page.locator("h1 .badge")).to_have_text("폐기")
    expect(page.locator("#status-form")).to_have_count(0)
    expect(page.locator("#history")).to_contain_text("불용 처분")
    shot(page, "asset-retired")


def test_the_request_queue_pages_past_fifty(site, app, page, shot):
    with app.app_context():
        db.session.execute(db.insert(LoanRequest), [
            {"requester_uid": f"p{i:03d}", "requester_name": f"직원{i}", "category": "laptop", "reason": "childcare",
             "priority": 2, "needed_from": date(2099, 1, 1), "status": "pending",
             "created_at": datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=i)} for i in range(60)])
        db.session.commit()
    log_in(page, site, "it1")
    page.goto(f"{site}/desk/requests")
    expect(page.locator("#pending-count")).to_contain_text("대기 중인 신청 60건")
    expect(page.locator("#queue tbody tr")).to_have_count(50)
    page.click("#queue-next")
    expect(page.locator("#queue tbody tr")).to_have_count(10)
    expect(page.locator("#queue tbody tr").first.locator("td.num")).to_have_text("51")
    shot(page, "queue-second-page")


def test_hand_over_by_typing_tag_and_uid_then_sign_and_return(site, app, page, shot):
    stock(app, "NB-001")
    log_in(page, site, "it1")
    page.click("header >> text=인계")
    page.fill("#asset_tag", "nb-001")
    page.press("#asset_tag", "Enter")  # a scanner ends with Enter: focus moves on, nothing is submitted
    expect(page.locator("#asset-preview")).to_contain_text("NB-001 · 노트북 · LG gram 16")
    expect(page.locator("#asset-preview")).to_contain_text("재고")
    expect(page.locator("#assignee")).to_be_focused()
    page.keyboard.type("emp1")
    expect(page.locator("#person-preview")).to_contain_text("이지은 (emp1) · 민원여권과")
    expect(page.locator("#person-preview")).to_contain_text("대여 가능")
    expect(page.locator("#accessories input:checked")).to_have_count(2)
    page.fill("input[name=condition]", "새 제품")
    shot(page, "handover-screen")
    page.click("#confirm")
    expect(page.locator("#notice")).to_contain_text("인계했습니다")
    expect(page.locator("h1")).to_contain_text("L-")
    handover_href = page.locator("#handover-pdf").get_attribute("href")

    sign(page, 0)
    sign(page, 1)
    page.click("#sign-submit")
    expect(page.locator("a.signed-pdf")).to_have_count(1)
    shot(page, "loan-signed")
    signed = page.request.get(site + page.locator("a.signed-pdf").get_attribute("href"))
    assert signed.ok and signed.headers["content-type"] == "application/pdf"
    assert pdf.image_count(signed.body()) == 2 and "이지은" in pdf.flat_text(signed.body())
    original = page.request.get(site + handover_href).body()  # the unsigned form stays in the register
    assert pdf.image_count(original) == 0 and "장비인수증" in pdf.flat_text(original)

    page.click("header >> text=반납")
    page.fill("#return-tag", "NB-001")
    page.press("#return-tag", "Enter")
    expect(page.locator("#return-form")).to_contain_text("이지은 (emp1)")
    page.uncheck("input[name=accessories_returned][value=bag]")
    page.check("input[name=data_wiped][value=yes]")
    shot(page, "return-screen")
    page.click("#confirm-return")
    expect(page.locator("#notice")).to_contain_text("반납받았습니다")
    returned = page.request.get(site + page.locator("#return-pdf").get_attribute("href")).body()
    assert "Missing:bag" in pdf.flat_text(returned)
    expect(page.locator("main")).to_contain_text("반납확인서 화면 서명")
    page.click("text=NB-001")
    expect(page.locator("#history")).to_contain_text("인계")
    expect(page.locator("#history")).to_contain_text("반납")
    expect(page.locator("#history")).to_contain_text("서식 서명")  # document.signed
    shot(page, "asset-detail")


def test_a_disabled_person_is_refused_with_a_clear_message_in_both_languages(site, app, page, shot):
    stock(app, "NB-001")
    log_in(page, site, "it1", lang="en")
    page.goto(f"{site}/desk/handover")
    page.fill("#asset_tag", "NB-001")
    page.fill("#assignee", "gone1")
    expect(page.locator("#person-preview")).to_contain_text("Cannot borrow")
    expect(page.locator("#person-preview")).to_contain_text("is disabled in the directory")
    page.click("#confirm")
    expect(page.locator("#error")).to_have_text(
        "한상우 (gone1) is disabled in the directory and cannot receive a device.")
    expect(page.locator("#assignee")).to_have_value("gone1")  # what was typed is kept
    expect(page.locator("#asset_tag")).to_have_value("NB-001")
    shot(page, "handover-refused")

    page.click("text=한국어")  # the switch keeps the page
    expect(page.locator("h1")).to_have_text("장비 인계")
    page.fill("#asset_tag", "NB-001")
    page.fill("#assignee", "outsider1")
    expect(page.locator("#person-preview")).to_contain_text("대여 대상이 아닙니다")
    page.click("#confirm")
    expect(page.locator("#error")).to_contain_text("장비 대여 대상이 아닙니다")
    page.fill("#assignee", "nobody-here")
    page.click("#confirm")
    expect(page.locator("#error")).to_have_text("'nobody-here' 사용자는 디렉터리에 없습니다.")


def test_an_employee_requests_a_laptop_on_a_phone_and_it_approves(site, app, browser, shot):
    stock(app, "NB-001")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page, site, "emp2")
    page.click("#new-request")
    page.select_option("select[name=reason]", "childcare")
    page.fill("input[name=needed_from]", "2099-01-02")
    page.fill("textarea[name=note]", "어린이집 하원")
    shot(page, "employee-request-phone")
    page.click("#send-request")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#my-requests")).to_contain_text("육아")
    expect(page.locator("#my-requests")).to_contain_text("대기 순번: 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    shot(page, "employee-phone")

    desk = browser.new_context().new_page()
    log_in(desk, site, "it1")
    desk.click("#tile-requests")
    expect(desk.locator("#queue")).to_contain_text("어린이집 하원")
    desk.fill("#queue input[name=note]", "본관에서 수령")
    desk.click("#queue button.approve")
    expect(desk.locator("#notice")).to_contain_text("승인했습니다")
    shot(desk, "request-queue")
    desk.click("#approved >> text=인계")  # the approved request leads to a prefilled hand-over
    expect(desk.locator("#assignee")).to_have_value("emp2")
    desk.fill("#asset_tag", "NB-001")
    desk.click("#confirm")
    expect(desk.locator("#notice")).to_be_visible()

    page.reload()
    expect(page.locator("#my-requests")).to_contain_text("인계 완료")
    expect(page.locator("#my-loans")).to_contain_text("NB-001")
    form = page.request.get(site + page.locator("#my-loans >> text=장비 인수증").get_attribute("href"))
    assert form.ok and "최준호" in pdf.flat_text(form.body())  # an employee downloads their own form
    phone.close()
    desk.context.close()


def test_an_auditor_downloads_reports_and_verifies_a_form(site, app, page, tmp_path, shot):
    stock(app, "NB-001")
    hand_over(app, "NB-001", "emp1")
    log_in(page, site, "audit1", lang="en")
    expect(page.locator("h1")).to_have_text("Reports")
    shot(page, "auditor-reports")
    page.click("#report-loans button.csv")  # the browser asks for the reason first: nothing is downloaded
    expect(page.locator("#report-loans input[name=reason]")).to_have_js_property("validity.valueMissing", True)
    page.fill("#report-loans input[name=reason]", "정기 감사")
    with page.expect_download() as csv_download:
        page.click("#report-loans button.csv")
    assert "이지은" in open(csv_download.value.path(), encoding="utf-8-sig").read()
    page.fill("#report-inventory input[name=as_of]", "2020-01-01")
    with page.expect_download() as pdf_download:
        page.click("#report-inventory button.pdf")
    report = open(pdf_download.value.path(), "rb").read()
    assert report.startswith(b"%PDF")
    page.fill("#report-loans input[name=from]", "2026-02-01")
    page.fill("#report-loans input[name=to]", "2026-01-01")
    page.click("#report-loans button.pdf")
    expect(page.locator("#error")).to_have_text("The period ends before it starts.")
    expect(page.locator("#report-loans input[name=from]")).to_have_value("2026-02-01")

    page.click("header >> text=Verify a PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(report)
    page.set_input_files("input[type=file]", str(path))
    page.click("main button[type=submit]")
    expect(page.locator("#verdict")).to_contain_text("Genuine.")
    altered = bytearray(report)
    altered[len(altered) // 2] ^= 1
    path.write_bytes(bytes(altered))
    page.set_input_files("input[type=file]", str(path))
    page.click("main button[type=submit]")
    expect(page.locator("#verdict")).to_contain_text("Not registered.")
    shot(page, "auditor-verify")

    page.click("header >> text=Event log")
    expect(page.locator("#events")).to_contain_text("Handed over")
    page.click("#verify-chain")
    expect(page.locator("#chain")).to_contain_text(re.compile(r"\d+ events, none altered"))
    shot(page, "auditor-events")


def test_stocktake_scanning_keeps_the_focus_and_a_running_list(site, app, page, shot):
    stock(app, "NB-001", "NB-002", "NB-003")
    stock(app, "YS-001", center="YS")
    log_in(page, site, "it1", lang="en")
    page.goto(f"{site}/desk/stocktakes")
    page.select_option("select[name=center]", "JJ")
    page.click("#start")
    expect(page.locator("#scan")).to_be_focused()
    for tag in ["NB-001", "nb-003", "YS-001", "ZZ-999"]:
        page.keyboard.type(tag)  # the scan field has the focus, as a scanner needs
        page.keyboard.press("Enter")
        expect(page.locator("#last-scan")).to_contain_text(tag.upper())
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#found li")).to_have_count(2)
    expect(page.locator("#missing")).to_contain_text("NB-002")
    expect(page.locator("#unexpected")).to_contain_text("belongs to YS")
    expect(page.locator("#unexpected")).to_contain_text("unknown tag")
    shot(page, "stocktake")
    page.click("#close")
    expect(page.locator("main")).to_contain_text("Closed")


def test_the_desk_sees_a_failed_mail_and_retries_it_and_a_person_sees_their_mails(site, app, browser, shot):
    from fleet.services.mailer import SmtpSettings, deliver_pending
    from tests.support.smtp import SmtpSink

    stock(app, "NB-001", "NB-002")
    hand_over(app, "NB-001", "emp5")  # no e-mail address in the directory
    hand_over(app, "NB-002", "emp1")
    sink = SmtpSink().start()
    try:
        with app.app_context():
            result = deliver_pending(settings=SmtpSettings.from_url(sink.url))
        assert (result.sent, result.failed) == (1, 1)
    finally:
        sink.stop()
    context = browser.new_context()
    page = context.new_page()
    log_in(page, site, "it1")
    expect(page.locator("#tile-mail-failed")).to_contain_text("1")
    page.click("#tile-mail-failed")
    expect(page.locator("#outbox tbody tr")).to_have_count(1)
    expect(page.locator("#outbox")).to_contain_text("No e-mail address: the directory has none for emp5.")
    expect(page.locator("#outbox")).to_contain_text("인수 확인")
    shot(page, "outbox-failed")
    page.click("#outbox button.retry")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#outbox tbody tr")).to_have_count(1)
    expect(page.locator("#outbox")).to_contain_text("메일이 없습니다.")
    page.click("#filter-queued")
    expect(page.locator("#outbox")).to_contain_text("emp5")
    page.click("#filter-sent")
    expect(page.locator("#outbox")).to_contain_text("[대전광역시 유성구청] 장비 인수증: NB-002")
    shot(page, "outbox-sent")
    context.close()
    context = browser.new_context()
    page = context.new_page()
    log_in(page, site, "emp1")
    expect(page.locator("#my-mails")).to_contain_text("장비 인수증: NB-002")
    expect(page.locator("#my-mails")).to_contain_text("보냄")
    shot(page, "my-mails")
    context.close()


def test_an_employee_books_on_a_phone_and_the_desk_hands_over(site, app, browser, shot):
    stock(app, "NB-001", "NB-002", "NB-003")
    today = fleet_today()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page, site, "emp2")
    page.click("#my-bookings-link")
    page.select_option("#booking-category", "laptop")
    page.fill("#booking-quantity", "2")
    page.fill("#starts_day", today.isoformat())
    page.fill("#ends_day", (today + timedelta(days=2)).isoformat())
    page.fill("input[name=purpose]", "재택근무 주간")
    shot(page, "employee-booking-phone")
    page.click("#book")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#my-bookings")).to_contain_text("노트북 × 2")
    expect(page.locator("#my-bookings")).to_contain_text("예약됨")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    shot(page, "employee-bookings-phone")

    desk = browser.new_context().new_page()
    log_in(desk, site, "it1")
    expect(desk.locator("#tile-pick-ups b")).to_have_text("1")
    desk.click("#tile-pick-ups")
    expect(desk.locator("#pick-ups")).to_contain_text("최준호")
    shot(desk, "desk-day-list")
    desk.fill("#pick-ups .pick-up-tags", "NB-001 NB-003")
    desk.click("#pick-ups button.pick-up")
    expect(desk.locator("main")).to_contain_text("NB-003")
    desk.goto(f"{site}/desk/bookings?center=JJ")
    expect(desk.locator("#timeline")).to_contain_text("최준호")
    shot(desk, "desk-week-timeline")

    page.reload()
    expect(page.locator("#my-bookings")).to_contain_text("수령함")
    page.goto(f"{site}/me")
    expect(page.locator("#my-loans")).to_contain_text("NB-001")
    phone.close()
    desk.context.close()


@pytest.mark.parametrize("weekday", [6, 0], ids=["sunday", "monday"])
def test_the_desk_timeline_opens_on_today_and_shows_the_next_seven_days(site, app, browser, shot, weekday):
    """On a Sunday as on a Monday (Fleet's clock fixed at 09:00 in Seoul, on the next such day) the timeline opens
    on today: a booking tomorrow and one six days ahead are in view, and one at another center is named."""
    first = fleet_today() + timedelta(days=(weekday - fleet_today().weekday()) % 7 or 7)
    stock(app, "NB-001", "NB-002")
    stock(app, "VC-001", center="YS", category="vc_kit")
    with time_machine.travel(datetime.combine(first, time(9), tzinfo=FLEET_ZONE), tick=True):
        with app.app_context():
            directory = app.extensions["fleet_directory"]
            for values in ({"asset_tag": "NB-001", "person": "emp1", "starts_at": _local(first, 1, 10)},
                           {"asset_tag": "NB-002", "person": "emp2", "starts_at": _local(first, 6, 10)},
                           {"asset_tag": "VC-001", "person": "emp1", "starts_at": _local(first, 1, 14)}):
                reservation_service.book(directory, IT_PRINCIPAL, ends_at=values["starts_at"] + timedelta(hours=2),
                                         **values)
            db.session.commit()
        context = browser.new_context()
        desk = context.new_page()
        log_in(desk, site, "it1", lang="en")
        desk.goto(f"{site}/desk/bookings?center=JJ")
        expect(desk.locator("#timeline caption")).to_have_text(f"{_en(first)} to {_en(first + timedelta(days=6))}")
        expect(desk.locator("#timeline thead th").nth(1)).to_have_class("today")
        expect(desk.locator("#timeline")).to_contain_text("NB-001")
        expect(desk.locator("#timeline")).to_contain_text("NB-002")
        expect(desk.locator("#elsewhere")).to_contain_text("(1)")
        shot(desk, f"desk-timeline-{first:%A}".lower())
        desk.click("#week-next")
        expect(desk.locator("#timeline caption")).to_contain_text(_en(first + timedelta(days=7)))
        expect(desk.locator("#timeline")).not_to_contain_text("NB-001")
        desk.click("#week-today")
        expect(desk.locator("#timeline")).to_contain_text("NB-001")
        context.close()


def _en(day: date) -> str:
    return format_date(day, "medium", locale="en")


def _local(first: date, days: int, hour: int) -> datetime:
    return datetime.combine(first + timedelta(days=days), time(hour), tzinfo=FLEET_ZONE)


def test_a_laptop_goes_to_a_vendor_and_comes_back_then_old_stock_is_disposed_of(site, app, page, shot):
    """수리 의뢰 and 수리 종료 on the asset page, the desk's repair list, then a disposal list of old stock."""
    stock(app, "NB-001", warranty_until=fleet_today() + timedelta(days=100))
    stock(app, "NB-OLD1", "NB-OLD2", purchase_date=date(2015, 4, 1))
    log_in(page, site, "it1")
    page.goto(f"{site}/assets/NB-001")
    page.fill("#repair-vendor", "LG전자 서비스센터")
    page.fill("#repair-ticket", "RMA-1")
    page.fill("#repair-fault", "화면 깜빡임")
    page.click("#repair-form button[type=submit]")
    expect(page.locator("h1 .badge")).to_have_text("수리 중")
    expect(page.locator("#repairs")).to_contain_text("LG전자 서비스센터")
    shot(page, "asset-at-vendor")
    page.click("header >> text=수리")
    expect(page.locator("#repair-list tbody tr")).to_have_count(1)
    page.goto(f"{site}/assets/NB-001")
    page.select_option("#repair-result", "fixed")
    page.fill("#repair-cost", "185000")
    page.check("#repair-wiped")
    page.click("#repair-close-form button[type=submit]")
    expect(page.locator("h1 .badge")).to_have_text("재고")
    expect(page.locator("#repair-total")).to_have_text("185,000")
    page.goto(f"{site}/desk/disposal")
    expect(page.locator("#candidates tbody tr")).to_have_count(2)
    page.click("#fill")
    page.fill("#disposal-reason", "내용연수 경과")
    page.click("#disposal-form button[type=submit]")
    expect(page.locator("#notice")).to_contain_text("자산 2대를 불용 처분했습니다")
    expect(page.locator("#disposals tbody tr")).to_have_count(1)
    shot(page, "disposal-done")


def test_the_privacy_officer_reviews_the_access_log_in_korean_and_english(site, app, page, tmp_path, shot):
    stock(app, "NB-001")
    hand_over(app, "NB-001", "emp1")
    log_in(page, site, "audit1", lang="en")
    page.goto(f"{site}/loans")  # the auditor looks at emp1's loan: one access entry
    expect(page.locator("main")).to_contain_text("이지은")
    page.click("#logout")
    log_in(page, site, "privacy1", lang="en")
    expect(page.locator("h1")).to_have_text("Access log")
    expect(page.locator("#review-status")).to_contain_text("The review of")
    page.fill("#access-filters input[name=subject]", "emp1")
    page.fill("#access-filters input[name=actor]", "audit1")  # (the officer's own reading of the log names emp1 too)
    page.click("#access-filters button")
    rows = page.locator("#access-entries tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("audit1")
    expect(rows.first).to_contain_text("search")
    page.click("#verify-access-log")
    expect(page.locator("#access-chain")).to_contain_text("The access log verifies")
    page.fill("#review-download input[name=reason]", "monthly review")
    with page.expect_download() as review:
        page.click("#review-download button.secondary")  # the CSV (the PDF opens in the browser)
    assert open(review.value.path(), encoding="utf-8-sig").read().startswith("구분 Section,계정 Account")  # last month
    page.click("#review-sign-off button")
    expect(page.locator("#signed")).to_contain_text("is signed off")
    expect(page.locator("#review-status")).to_contain_text("is done")
    shot(page, "privacy-access-log-en")
    page.goto(f"{site}/lang/ko")
    page.goto(f"{site}/privacy")
    expect(page.locator("h1")).to_have_text("접속기록")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("#review-status")).to_contain_text("점검을 마쳤습니다")
    shot(page, "privacy-access-log-ko")
