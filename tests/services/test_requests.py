"""The request services called directly: the queue, the one-open-request rule, decisions,
fulfilment by a hand-over, the event log's silence about personal data, statistics."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from fleet.clock import local_today
from fleet.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from fleet.extensions import db
from fleet.models import Center, Event, LoanRequest, Notification
from fleet.security import get_directory
from fleet.services import requests as svc
from fleet.services.auth import Principal
from fleet.services.pagination import encode_cursor
from tests.factories import IT_PRINCIPAL, create_request
from tests.fixtures_data import AUDITOR, DISABLED, EMPLOYEE, EMPLOYEE2, IT2, LONG_DEPARTMENT, NOT_ELIGIBLE

AUDITOR_PRINCIPAL = Principal(AUDITOR, "박서연", frozenset({"auditor", "employee"}))
EMP1 = Principal(EMPLOYEE, "이지은", frozenset({"employee"}))
EMP2 = Principal(EMPLOYEE2, "최준호", frozenset({"employee"}))
T0 = datetime.now(UTC) - timedelta(hours=1)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def counts() -> tuple[int, int]:
    requests = db.session.execute(select(func.count()).select_from(LoanRequest)).scalar_one()
    events = db.session.execute(select(func.count()).select_from(Event)).scalar_one()
    return requests, events


def walk(principal: Principal, limit: int, **filters) -> list[tuple[str, str, int | None]]:
    """Every page of a list: (requester, category, position) in the order given."""
    seen, cursor = [], None
    while True:
        page = svc.list_requests(principal, limit=limit, cursor=cursor, **filters)
        seen += [(r.requester_uid, r.category, page.positions.get(r.id)) for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


def events_of(request_id: int) -> list[Event]:
    return list(db.session.execute(select(Event).where(Event.subject_type == "request",
                                                       Event.subject_id == str(request_id))
                                   .order_by(Event.seq)).scalars())


# The queue


@pytest.fixture
def queue(ctx):
    """Seven pending requests, made in an order that is not the queue's."""
    create_request(EMPLOYEE, reason="other", now=at(0))
    create_request(EMPLOYEE2, reason="childcare", now=at(2))
    create_request(IT2, reason="childcare", now=at(1))
    create_request(LONG_DEPARTMENT, reason="pregnancy", now=at(3))
    create_request(AUDITOR, reason="emergency", now=at(4))
    create_request(EMPLOYEE, reason="emergency", category="monitor", now=at(5))
    create_request("it1", reason="remote_work", now=at(0))
    return [(AUDITOR, "laptop"), (EMPLOYEE, "monitor"), (LONG_DEPARTMENT, "laptop"), (IT2, "laptop"),
            (EMPLOYEE2, "laptop"), ("it1", "laptop"), (EMPLOYEE, "laptop")]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
def test_the_queue_goes_by_reason_then_time_with_positions_across_pages(queue, limit):
    assert walk(IT_PRINCIPAL, limit, status="pending") == [(uid, cat, i + 1) for i, (uid, cat) in enumerate(queue)]


def test_equal_times_are_ordered_by_id(ctx):
    first = create_request(EMPLOYEE, reason="childcare", now=at(0))
    second = create_request(EMPLOYEE2, reason="childcare", now=at(0))
    page = svc.list_requests(IT_PRINCIPAL, status="pending", limit=1)
    following = svc.list_requests(IT_PRINCIPAL, status="pending", limit=1, cursor=page.next_cursor)
    assert [page.items[0].id, following.items[0].id] == [first.id, second.id]
    assert (page.positions, following.positions) == ({first.id: 1}, {second.id: 2})


def test_positions_are_places_in_the_whole_queue_whatever_the_filter(queue):
    laptops = walk(IT_PRINCIPAL, 2, status="pending", category="laptop")
    assert [p for _, _, p in laptops] == [1, 3, 4, 5, 6, 7]
    assert walk(IT_PRINCIPAL, 1, status="pending", requester=EMPLOYEE) == [(EMPLOYEE, "monitor", 2),
                                                                          (EMPLOYEE, "laptop", 7)]
    # An employee's own queue, and their newest-first list, give the same places.
    assert walk(EMP1, 1, status="pending") == [(EMPLOYEE, "monitor", 2), (EMPLOYEE, "laptop", 7)]
    assert walk(EMP1, 50) == [(EMPLOYEE, "monitor", 2), (EMPLOYEE, "laptop", 7)]


def test_decided_requests_leave_the_queue_and_the_others_move_up(queue):
    first = svc.list_requests(IT_PRINCIPAL, status="pending", limit=1).items[0]
    svc.approve_request(first, IT_PRINCIPAL, "urgent")
    assert svc.queue_position(first) is None
    assert walk(IT_PRINCIPAL, 3, status="pending") == [(uid, cat, i + 1) for i, (uid, cat) in enumerate(queue[1:])]
    approved = walk(IT_PRINCIPAL, 50, status="approved")
    assert approved == [(AUDITOR, "laptop", None)]


def test_auditors_lists_are_newest_first_without_positions_except_their_own(queue):
    seen = walk(AUDITOR_PRINCIPAL, 3, status="pending")
    newest_first = [r.id for r in db.session.execute(select(LoanRequest).order_by(LoanRequest.id.desc())).scalars()]
    ids = [r.id for r in svc.list_requests(AUDITOR_PRINCIPAL, status="pending", limit=50).items]
    assert ids == newest_first
    assert [(uid, p) for uid, _, p in seen if p is not None] == [(AUDITOR, 1)]


def test_employees_see_only_their_own_requests(queue):
    assert {uid for uid, _, _ in walk(EMP2, 50)} == {EMPLOYEE2}
    assert walk(EMP2, 50, requester=EMPLOYEE) == []
    own = svc.list_requests(EMP1, limit=50).items[0]
    svc.check_can_read(own, EMP1)
    with pytest.raises(NotFound):
        svc.check_can_read(own, EMP2)
    svc.check_can_read(own, AUDITOR_PRINCIPAL)
    assert not svc.can_see_personal_data(own, AUDITOR_PRINCIPAL) and svc.can_see_personal_data(own, EMP1)


@pytest.mark.parametrize("cursor", ["garbage!", encode_cursor([1]), encode_cursor([1, "x", 1]),
                                    encode_cursor(["0", "2026-01-01T00:00:00+00:00", 1]),
                                    encode_cursor([0, "2026-01-01T00:00:00", 1]),
                                    encode_cursor([99, "2026-01-01T00:00:00+00:00", 1]),
                                    encode_cursor([0, "2026-01-01T00:00:00+00:00", 2**70])])
def test_a_queue_cursor_not_given_by_the_queue_is_refused(ctx, cursor):
    with pytest.raises(ValidationFailed) as caught:
        svc.list_requests(IT_PRINCIPAL, status="pending", cursor=cursor)
    assert "cursor" in caught.value.errors


@pytest.mark.parametrize("cursor", [encode_cursor(["x"]), encode_cursor([2**70]), encode_cursor([-1]),
                                    encode_cursor([0, "2026-01-01T00:00:00+00:00", 1])])
def test_a_list_cursor_not_given_by_the_list_is_refused(ctx, cursor):
    with pytest.raises(ValidationFailed) as caught:
        svc.list_requests(IT_PRINCIPAL, cursor=cursor)
    assert "cursor" in caught.value.errors


# Creating


def test_a_request_stores_priority_and_the_directory_name(ctx):
    center = Center(code="JJ", name="진잠도서관 스마트워크센터", kind="library_info_room", seats=10)
    db.session.add(center)
    db.session.flush()
    req = svc.create_request(get_directory(), EMP2, reason="pregnancy", needed_from=local_today(),
                             needed_until=local_today() + timedelta(days=30), center="JJ", note="출산 예정")
    assert (req.requester_uid, req.requester_name, req.priority, req.status) == (EMPLOYEE2, "최준호", 1, "pending")
    assert req.center.code == "JJ" and req.category == "laptop" and svc.queue_position(req) == 1
    [event] = events_of(req.id)
    assert (event.actor, event.action) == (EMPLOYEE2, "request.created")


def test_it_staff_may_request_on_behalf_of_an_active_person_only(ctx):
    req = svc.create_request(get_directory(), IT_PRINCIPAL, requester=EMPLOYEE, reason="emergency",
                             needed_from=local_today())
    assert (req.requester_uid, req.requester_name) == (EMPLOYEE, "이지은")
    assert events_of(req.id)[0].actor == "it1"
    # Not eligible to borrow is still a person who may ask; the hand-over decides eligibility.
    assert svc.create_request(get_directory(), IT_PRINCIPAL, requester=NOT_ELIGIBLE, reason="other",
                              needed_from=local_today()).requester_uid == NOT_ELIGIBLE
    before = counts()
    for uid in (DISABLED, "nobody-here"):
        with pytest.raises(RuleViolation) as caught:
            svc.create_request(get_directory(), IT_PRINCIPAL, requester=uid, reason="other",
                               needed_from=local_today())
        assert list(caught.value.errors) == ["requester"]
    with pytest.raises(ValidationFailed) as caught:
        svc.create_request(get_directory(), EMP1, requester=EMPLOYEE2, reason="other", needed_from=local_today())
    assert list(caught.value.errors) == ["requester"]
    assert counts() == before


def test_needed_from_is_judged_in_the_fleet_timezone(ctx):
    now = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 2026-03-02 00:30 in Seoul
    with pytest.raises(ValidationFailed) as caught:
        svc.create_request(get_directory(), EMP1, reason="other", needed_from=date(2026, 3, 1), now=now)
    assert caught.value.errors == {"needed_from": ["Must be today or later."]}
    req = svc.create_request(get_directory(), EMP1, reason="other", needed_from=date(2026, 3, 2), now=now)
    assert req.created_at == now


def test_every_field_error_is_reported_and_nothing_is_written(ctx):
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        svc.create_request(get_directory(), EMP1, reason="vacation", category="spaceship",
                           needed_from=local_today() - timedelta(days=1),
                           needed_until=local_today() - timedelta(days=2), center="NOPE", note="x" * 2001)
    assert set(caught.value.errors) == {"reason", "category", "needed_from", "needed_until", "center", "note"}
    with pytest.raises(ValidationFailed) as caught:
        svc.create_request(get_directory(), EMP1, reason="other", needed_from=local_today(), center="NOPE")
    assert caught.value.errors == {"center": ["There is no center 'NOPE'."]}
    assert counts() == before


def test_one_open_request_per_person_and_category(ctx):
    first = create_request(EMPLOYEE)
    before = counts()
    with pytest.raises(Conflict) as caught:
        create_request(EMPLOYEE, reason="emergency")
    assert "이지은 already has an open request for a laptop" in caught.value.detail
    assert counts() == before
    assert create_request(EMPLOYEE, category="monitor").status == "pending"
    assert create_request(EMPLOYEE2).status == "pending"
    svc.approve_request(first, IT_PRINCIPAL)
    with pytest.raises(Conflict):
        create_request(EMPLOYEE)  # approved is still open
    svc.cancel_request(first, EMP1)
    again = create_request(EMPLOYEE)
    svc.reject_request(again, IT_PRINCIPAL)
    assert create_request(EMPLOYEE).status == "pending"
    db.session.commit()


def test_the_unique_index_decides_when_a_twin_slipped_past(ctx):
    """Two requests racing: the database's partial index refuses the second at flush."""
    create_request(EMPLOYEE)
    with pytest.raises(Conflict) as caught:
        svc.create_request(get_directory(), EMP1, reason="childcare", needed_from=local_today())
    assert caught.value.code == "open-request-exists"
    # The session is still usable: the savepoint was rolled back, not the transaction.
    assert svc.create_request(get_directory(), EMP1, reason="childcare", category="dock",
                              needed_from=local_today()).id


# Deciding


def test_approve_reject_cancel_and_the_conflicts_name_the_status(ctx):
    req = create_request(EMPLOYEE)
    approved = svc.approve_request(req, IT_PRINCIPAL, "재고 있음")
    assert (approved.status, approved.decided_by, approved.decision_note) == ("approved", "it1", "재고 있음")
    assert approved.decided_at is not None
    for decide in (svc.approve_request, svc.reject_request):
        with pytest.raises(Conflict, match=f"Request {req.id} is approved; it cannot become"):
            decide(req, IT_PRINCIPAL)
    with pytest.raises(Forbidden):
        svc.cancel_request(req, AUDITOR_PRINCIPAL)
    with pytest.raises(NotFound):
        svc.cancel_request(req, EMP2)
    cancelled = svc.cancel_request(req, EMP1, "필요 없어짐")
    assert (cancelled.status, cancelled.decided_by) == ("cancelled", EMPLOYEE)
    with pytest.raises(Conflict, match="is cancelled; it cannot become cancelled"):
        svc.cancel_request(req, IT_PRINCIPAL)
    rejected = svc.reject_request(create_request(EMPLOYEE2), IT_PRINCIPAL, "재고 없음")
    with pytest.raises(Conflict, match="is rejected"):
        svc.cancel_request(rejected, IT_PRINCIPAL)
    actions = [(e.action, json.loads(e.data)["before"]["status"], json.loads(e.data)["after"]["status"])
               for e in events_of(req.id)[1:]]
    assert actions == [("request.approved", "pending", "approved"), ("request.cancelled", "approved", "cancelled")]


def test_a_decision_on_a_stale_request_loses_to_the_one_that_won(ctx):
    """The object says pending, the row says approved (another desk was faster): 409, nothing appended."""
    req = create_request(EMPLOYEE)
    db.session.execute(update(LoanRequest).where(LoanRequest.id == req.id).values(status="approved")
                       .execution_options(synchronize_session=False))
    before = counts()
    with pytest.raises(Conflict, match="is approved; it cannot become rejected"):
        svc.reject_request(req, IT_PRINCIPAL, "too late")
    assert counts() == before and req.status == "approved" and req.decision_note is None


def test_a_decision_note_has_a_limit(ctx):
    req = create_request(EMPLOYEE)
    with pytest.raises(ValidationFailed) as caught:
        svc.approve_request(req, IT_PRINCIPAL, "x" * 2001)
    assert list(caught.value.errors) == ["note"] and req.status == "pending"


# Fulfilment by a hand-over (the loans service calls these)


def test_get_request_answers_not_found_for_any_unknown_id(ctx):
    req = create_request(EMPLOYEE)
    assert svc.get_request(req.id) is req
    for request_id in (0, -1, req.id + 1, 2**63, 10**30):
        with pytest.raises(NotFound, match=f"There is no request {request_id}."):
            svc.get_request(request_id)


def test_mark_fulfilled_checks_status_person_and_category(ctx):
    req = create_request(EMPLOYEE)
    with pytest.raises(RuleViolation) as caught:
        svc.mark_fulfilled(req, loan_id=7, assignee_uid=EMPLOYEE2, category="laptop", actor="it1")
    assert "was made by emp1" in caught.value.detail and list(caught.value.errors) == ["request_id"]
    with pytest.raises(RuleViolation, match="is for a laptop, not a monitor"):
        svc.mark_fulfilled(req, loan_id=7, assignee_uid=EMPLOYEE, category="monitor", actor="it1")
    svc.approve_request(req, IT_PRINCIPAL)
    svc.mark_fulfilled(req, loan_id=7, assignee_uid=EMPLOYEE, category="laptop", actor="it1")
    assert req.status == "fulfilled" and svc.queue_position(req) is None
    event = events_of(req.id)[-1]
    assert event.action == "request.fulfilled" and event.actor == "it1"
    assert json.loads(event.data) == {"before": {"status": "approved"}, "after": {
        "status": "fulfilled", "category": "laptop", "requester": EMPLOYEE, "center": None, "loan_id": 7,
        "needed_from": req.needed_from.isoformat(), "needed_until": None},
        # the requester's mail, queued in the same transaction: the event names it, not its text
        "notification_id": db.session.execute(db.select(Notification.id).where(
            Notification.kind == "request_fulfilled")).scalar_one()}
    with pytest.raises(Conflict, match="is fulfilled; it cannot become fulfilled") as caught:
        svc.mark_fulfilled(req, loan_id=8, assignee_uid=EMPLOYEE, category="laptop", actor="it1")
    assert list(caught.value.errors) == ["request_id"]
    # A fulfilled request is closed: the person may ask again.
    assert create_request(EMPLOYEE).status == "pending"


def test_mark_fulfilled_refuses_closed_and_stale_requests(ctx):
    cancelled = svc.cancel_request(create_request(EMPLOYEE), IT_PRINCIPAL)
    with pytest.raises(Conflict, match="is cancelled"):
        svc.mark_fulfilled(cancelled, loan_id=1, assignee_uid=EMPLOYEE, category="laptop", actor="it1")
    stale = create_request(EMPLOYEE2)
    db.session.execute(update(LoanRequest).where(LoanRequest.id == stale.id).values(status="rejected")
                       .execution_options(synchronize_session=False))
    with pytest.raises(Conflict, match="is rejected") as caught:
        svc.mark_fulfilled(stale, loan_id=1, assignee_uid=EMPLOYEE2, category="laptop", actor="it1")
    assert caught.value.errors == {"request_id": ["The request is rejected."]}


# Personal data and the event log


def test_no_event_carries_a_reason_a_priority_or_a_note(ctx):
    db.session.add(Center(code="JJ", name="진잠", kind="library_info_room", seats=4))
    db.session.flush()
    req = create_request(EMPLOYEE, reason="pregnancy", note="임신 20주, 병원 통원", center="JJ",
                         needed_until=local_today() + timedelta(days=60))
    svc.approve_request(req, IT_PRINCIPAL, "임산부 우선 지원")
    svc.cancel_request(req, EMP1, "출산휴가로 불필요")
    other = create_request(EMPLOYEE2, reason="childcare", note="어린이집 하원")
    svc.reject_request(other, IT_PRINCIPAL, "재고 없음 childcare")
    events = list(db.session.execute(select(Event).where(Event.subject_type == "request")).scalars())
    assert [e.action for e in events] == ["request.created", "request.approved", "request.cancelled",
                                          "request.created", "request.rejected"]
    for event in events:
        for secret in ("pregnancy", "childcare", "임신", "병원", "임산부", "출산", "어린이집", "재고 없음",
                       "priority", "reason", "note"):
            assert secret not in event.data, (event.action, secret)
    created = json.loads(events[0].data)["after"]
    assert created == {"status": "pending", "category": "laptop", "requester": EMPLOYEE, "center": "JJ",
                       "needed_from": req.needed_from.isoformat(), "needed_until": req.needed_until.isoformat()}


# Statistics


def test_statistics_count_by_reason_status_and_category_without_people(ctx):
    kept = create_request(EMPLOYEE, reason="pregnancy", note="비밀", now=datetime(2026, 3, 1, 15, 30, tzinfo=UTC))
    create_request(EMPLOYEE2, reason="pregnancy", now=datetime(2026, 3, 2, 14, 59, tzinfo=UTC))
    svc.reject_request(create_request(LONG_DEPARTMENT, reason="childcare", category="monitor",
                                      now=datetime(2026, 3, 3, 1, 0, tzinfo=UTC)), IT_PRINCIPAL, "없음")
    svc.approve_request(kept, IT_PRINCIPAL)
    stats = svc.request_statistics()
    assert stats == {"by_reason": {"pregnancy": 2, "childcare": 1},
                     "by_status": {"approved": 1, "pending": 1, "rejected": 1},
                     "by_category": {"laptop": 2, "monitor": 1},
                     "by_reason_and_status": {"pregnancy:approved": 1, "pregnancy:pending": 1,
                                              "childcare:rejected": 1},
                     "total": 3}
    text = json.dumps(stats, ensure_ascii=False)
    assert EMPLOYEE not in text and "이지은" not in text and "비밀" not in text and "없음" not in text
    # Local dates (Asia/Seoul): 2026-03-01 15:30Z is already 2 March there, 2026-03-02 14:59Z still is.
    assert svc.request_statistics(date(2026, 3, 2), date(2026, 3, 2))["total"] == 2
    assert svc.request_statistics(date(2026, 3, 1), date(2026, 3, 1))["total"] == 0
    assert svc.request_statistics(from_date=date(2026, 3, 3))["by_reason"] == {"childcare": 1}
    assert svc.request_statistics(to_date=date(2026, 3, 2))["by_status"] == {"approved": 1, "pending": 1}
    db.session.execute(update(LoanRequest).values(reason=None, note=None))
    assert svc.request_statistics()["by_reason"] == {"purged": 3}
    with pytest.raises(ValidationFailed):
        svc.request_statistics(date(2026, 3, 2), date(2026, 3, 1))
