"""The demo's world (Yuseong-gu, Daejeon): two library smart work centers, four library
information rooms for emergencies, 42 loaner laptops and center equipment, a few requests
and loans, older laptops past their useful life, one laptop at a vendor for repair.
Loaded through the same services as everything else, so the event log is real.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from fleet.clock import local_today
from fleet.db import utcnow
from fleet.directory.base import Directory
from fleet.errors import RuleViolation
from fleet.extensions import db
from fleet.models import Center
from fleet.services import assets as asset_service
from fleet.services import centers as center_service
from fleet.services import extensions as extension_service
from fleet.services import incidents as incident_service
from fleet.services import loans as loan_service
from fleet.services import repairs as repair_service
from fleet.services import requests as request_service
from fleet.services import reservations as reservation_service
from fleet.services.auth import Principal

CENTERS = [
    ("JINJAM", "진잠도서관 스마트워크센터", "smart_work_center", "대전 유성구 원내로 51 진잠도서관 3층", 10),
    ("NOEUN", "노은도서관 스마트워크센터", "smart_work_center", "대전 유성구 노은동로 145 노은도서관 2층", 10),
    ("GUJEUK", "구즉도서관 정보자료실", "library_info_room", "대전 유성구 봉산로 26 구즉도서관", 25),
    ("YUSEONG", "유성도서관 정보자료실", "library_info_room", "대전 유성구 어은로 57 유성도서관", 25),
    ("WONSINHEUNG", "원신흥도서관 정보자료실", "library_info_room", "대전 유성구 원신흥남로 10", 25),
    ("HANBAT", "한밭도서관 정보자료실", "library_info_room", "대전 유성구 봉명동 한밭도서관", 25),
    ("HQ", "유성구청 정보통신과", "office", "대전 유성구 대학로 211", 0),
]

# The IT office's older laptops, bought in 2019 and 2020: past a five-year useful life (내용연수), so the
# replacement report and the disposal page have something to show. (tag, center, bought, cost)
OLD_LAPTOPS = [(f"YS-NB-{year}-{n:02d}", "HQ" if year == 2019 else "GUJEUK", date(year, month, 14), cost)
               for year, month, cost in ((2019, 4, "1290000"), (2020, 6, "1350000")) for n in range(1, 5)]

EQUIPMENT = [  # (prefix, category, manufacturer, model, accessories, cost, per smart work center)
    ("VC", "vc_kit", "Logitech", "Rally Bar", ["remote", "power adapter", "HDMI cable"], "3900000", 1),
    ("MN", "monitor", "LG", "27UP850N 27\" 4K", ["power cable", "USB-C cable"], "420000", 4),
    ("DK", "dock", "Lenovo", "ThinkPad USB-C Dock Gen 2", ["power adapter"], "260000", 4),
    ("HS", "headset", "Jabra", "Evolve2 65", ["USB dongle", "case"], "310000", 4),
    ("RT", "router", "KT", "Egg LTE Router", ["charger"], "120000", 1),
]


@dataclass
class Seeded:
    """What seed_demo loaded, and the demo requests and loans it skipped: {uid: why} (the person is missing,
    disabled or not eligible in this directory)."""

    counts: dict[str, int]
    skipped_requests: dict[str, str] = field(default_factory=dict)
    skipped_loans: dict[str, str] = field(default_factory=dict)
    skipped_bookings: dict[str, str] = field(default_factory=dict)


def seed_demo(directory: Directory, actor: Principal) -> Seeded:
    """Load the demo world once; a second run changes nothing.

    The centers and devices need nobody. The demo requests and loans name demo people: against another
    directory, those whose person is missing (or disabled, or not eligible) are skipped, not the whole load. A
    directory that cannot be reached still stops it (a 503), as it would stop a hand-over.
    """
    if db.session.execute(select(Center).where(Center.code == "JINJAM")).scalar_one_or_none():
        return Seeded({"centers": 0, "assets": 0, "requests": 0, "loans": 0, "bookings": 0, "repairs": 0,
                       "extensions": 0, "incidents": 0})
    for code, name, kind, address, seats in CENTERS:
        center_service.create_center(actor, code=code, name=name, kind=kind, address=address, seats=seats)
    purchase = date(2026, 3, 2)
    laptops = []
    for i in range(1, 43):
        home = "HQ" if i > 30 else ("JINJAM" if i % 2 else "NOEUN")
        maker, model = ("LG", "gram 16 (16Z90S)") if i <= 30 else ("Samsung", "Galaxy Book4 Pro")
        laptops.append(asset_service.create_asset(
            actor, asset_tag=f"YS-NB-{i:03d}", serial_number=f"{'LG' if i <= 30 else 'SS'}26{i:06d}",
            category="laptop", manufacturer=maker, model=model, center=home, purchase_date=purchase,
            purchase_cost=Decimal("1690000"), warranty_until=purchase + timedelta(days=3 * 365),
            accessories=["charger", "bag", "mouse"], notes="재택근무용 대여 노트북 (2026 추경)"))
    count = len(laptops)
    for tag, home, bought, cost in OLD_LAPTOPS:
        asset_service.create_asset(
            actor, asset_tag=tag, serial_number=f"NT{bought.year}{tag[-2:]}0042", category="laptop",
            manufacturer="Samsung", model="Notebook 9 Always (NT900X5T)", center=home, purchase_date=bought,
            purchase_cost=Decimal(cost), warranty_until=bought.replace(year=bought.year + 3),
            accessories=["charger"], notes="구형 업무용 노트북 (내용연수 5년)")
        count += 1
    for center in ("JINJAM", "NOEUN"):
        for prefix, category, maker, model, accessories, cost, per_center in EQUIPMENT:
            for n in range(1, per_center + 1):
                asset_service.create_asset(
                    actor, asset_tag=f"YS-{prefix}-{center[:2]}{n:02d}", serial_number=f"{prefix}{center[:2]}{n:04d}",
                    category=category, manufacturer=maker, model=model, center=center, purchase_date=purchase,
                    purchase_cost=Decimal(cost), accessories=accessories)
                count += 1
    today = local_today()
    requests = [("choi", "pregnancy", "출산 전까지 재택근무"), ("jung", "childcare", "초등학생 자녀 방과후 돌봄"),
                ("kang", "remote_work", None), ("song", "childcare", "어린이집 하원 시간 조정"),
                ("seo", "business_trip", "세종 파견 근무")]
    seeded = Seeded({"centers": len(CENTERS), "assets": count, "requests": 0, "loans": 0, "bookings": 0,
                     "repairs": 0, "extensions": 0, "incidents": 0})
    made: dict = {}
    loans: dict = {}
    for uid, reason, note in requests:
        try:
            with db.session.begin_nested():
                made[uid] = request_service.create_request(
                    directory, actor, requester=uid, reason=reason, note=note, needed_from=today + timedelta(days=1),
                    needed_until=today + timedelta(days=90), center="JINJAM")
        except RuleViolation as exc:
            seeded.skipped_requests[uid] = exc.detail
    seeded.counts["requests"] = len(made)
    if "choi" in made:
        request_service.approve_request(made["choi"], actor, "임신 직원 우선 지원")
    for tag, uid, request in [("YS-NB-001", "choi", made["choi"].id if "choi" in made else None),
                              ("YS-NB-002", "oh", None), ("YS-NB-003", "shin", None), ("YS-NB-004", "lim", None)]:
        try:
            with db.session.begin_nested():
                loans[uid] = loan_service.hand_over(directory, loan_service.HandoverOrder(
                    asset_tag=tag, assignee=uid, request_id=request, condition="새 제품 New",
                    due_date=today + timedelta(days=60 if uid != "lim" else 1)), actor)
        except RuleViolation as exc:
            seeded.skipped_loans[uid] = exc.detail
            continue
        seeded.counts["loans"] += 1
    _seed_bookings(directory, actor, seeded)
    seeded.counts["repairs"] = _seed_repairs(actor)
    _seed_between(directory, loans, seeded)
    return seeded


def _seed_repairs(actor: Principal) -> int:
    """YS-NB-005 at LG's service center for twelve days (under warranty), and an old laptop back from a paid
    repair: the asset pages, the repair list and the repairs report are not empty."""
    now = utcnow()
    repair_service.open_repair(actor, asset_tag="YS-NB-005", vendor="LG전자 서비스센터 유성점",
                               ticket="RMA-2026-1187", fault="화면 깜빡임, 힌지 소음", sent_at=now - timedelta(days=12))
    paid = repair_service.open_repair(actor, asset_tag="YS-NB-2019-03", vendor="삼성전자서비스 대전센터",
                                      ticket="S-55120", fault="배터리 부풀음", sent_at=now - timedelta(days=20))
    repair_service.close_repair(paid, actor, result="fixed", returned_at=now - timedelta(days=8),
                                cost=Decimal("185000"), note="배터리 교체", data_wiped=True)
    return 2


def _seed_between(directory: Directory, loans: dict, seeded: Seeded) -> None:
    """Between hand-over and return: 최유진 (choi, pregnant) asks to keep her laptop through her maternity leave
    (pending, for the desk to decide), and 신 (shin) reports a cracked screen (an open damage report to swap from).
    Made as the assignees themselves, as they would from their phones."""
    today = local_today()
    if "choi" in loans:
        loan = loans["choi"]
        extension_service.request_extension(
            directory, Principal("choi", loan.assignee_name, frozenset({"employee"})), loan,
            until=today + timedelta(days=150), reason="출산휴가가 연장되어 복직 전까지 재택근무가 필요합니다.")
        seeded.counts["extensions"] += 1
    if "shin" in loans:
        loan = loans["shin"]
        incident_service.report_incident(
            Principal("shin", loan.assignee_name, frozenset({"employee"})), loan, kind="damaged",
            happened_at=loan.checked_out_at, place="자택 (유성구 궁동)",
            description="노트북을 떨어뜨려 화면 왼쪽에 세로줄이 생겼습니다. 외부 모니터로는 정상입니다.")
        seeded.counts["incidents"] += 1


def _seed_bookings(directory: Directory, actor: Principal, seeded: Seeded) -> None:
    """A VC kit at Noeun booked for tomorrow afternoon and three laptops at Jinjam for five days from the day after
    tomorrow: the desk's timeline (seven days from today) has something on it from the start, whatever the weekday."""
    today = local_today()
    tomorrow = reservation_service.local_midnight(today + timedelta(days=1))
    after_tomorrow = reservation_service.local_midnight(today + timedelta(days=2))
    bookings = [
        ("kang", {"asset_tag": "YS-VC-NO01", "starts_at": tomorrow + timedelta(hours=14),
                  "ends_at": tomorrow + timedelta(hours=16), "purpose": "주간 팀 화상회의"}),
        ("jung", {"center": "JINJAM", "category": "laptop", "quantity": 3, "starts_at": after_tomorrow,
                  "ends_at": after_tomorrow + timedelta(days=5), "purpose": "재택근무 주간 (3명)"}),
    ]
    for uid, values in bookings:
        try:
            with db.session.begin_nested():
                reservation_service.book(directory, actor, person=uid, **values)
        except RuleViolation as exc:
            seeded.skipped_bookings[uid] = exc.detail
            continue
        seeded.counts["bookings"] += 1
