"""`fleet purge-personal-data --older-than …`: reasons and notes of closed requests past the
retention period are blanked; open requests keep theirs; the event chain still verifies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from click import BadParameter

from fleet.cli import retention_cutoff
from fleet.extensions import db
from fleet.models import Event, LoanRequest
from fleet.services import requests as request_service
from fleet.services.events import verify_chain
from tests.factories import IT_PRINCIPAL, create_request
from tests.fixtures_data import EMPLOYEE, EMPLOYEE2, LONG_DEPARTMENT

LONG_AGO = datetime.now(UTC) - timedelta(days=800)


def _requests(app) -> dict[int, LoanRequest]:
    with app.app_context():
        rows = db.session.execute(db.select(LoanRequest)).scalars().all()
        db.session.expunge_all()
        return {r.id: r for r in rows}


@pytest.fixture
def history(app):
    """An old rejected request, an old pending one, a recent cancelled one."""
    with app.app_context():
        old_closed = create_request(EMPLOYEE, reason="pregnancy", note="출산 예정", now=LONG_AGO)
        request_service.reject_request(old_closed, IT_PRINCIPAL, "재고 없음", now=LONG_AGO + timedelta(days=1))
        old_open = create_request(EMPLOYEE2, reason="childcare", note="어린이집", now=LONG_AGO)
        recent = create_request(LONG_DEPARTMENT, reason="pregnancy", note="최근", category="monitor")
        request_service.cancel_request(recent, IT_PRINCIPAL, "취소")
        db.session.commit()
        return old_closed.id, old_open.id, recent.id


def test_purge_blanks_closed_requests_past_the_period_and_the_chain_still_verifies(app, history):
    old_closed, old_open, recent = history
    runner = app.test_cli_runner()
    result = runner.invoke(args=["fleet", "purge-personal-data", "--older-than", "1y"])
    assert result.exit_code == 0, result.output
    assert "1 closed request(s) purged" in result.output
    assert "1 open request(s) from before" in result.output
    rows = _requests(app)
    purged = rows[old_closed]
    assert (purged.reason, purged.note, purged.decision_note) == (None, None, None)
    assert purged.personal_data_purged_at is not None and purged.status == "rejected"
    assert (rows[old_open].reason, rows[old_open].note) == ("childcare", "어린이집")
    assert (rows[recent].reason, rows[recent].note, rows[recent].decision_note) == ("pregnancy", "최근", "취소")
    with app.app_context():
        assert verify_chain().valid
        last = db.session.execute(db.select(Event).order_by(Event.seq.desc()).limit(1)).scalar_one()
        assert last.action == "request.personal_data_purged" and last.actor == "cli"
        assert "출산" not in last.data and "pregnancy" not in last.data and '"count":1' in last.data
        assert request_service.request_statistics()["by_reason"] == {"purged": 1, "childcare": 1, "pregnancy": 1}
    again = runner.invoke(args=["fleet", "purge-personal-data", "--older-than", "1y"])
    assert again.exit_code == 0 and "0 closed request(s) purged" in again.output


def test_a_purged_request_still_reads_through_the_api(app, history, client, it_headers):
    app.test_cli_runner().invoke(args=["fleet", "purge-personal-data", "--older-than", "400d"])
    shown = client.get(f"/api/v1/requests/{history[0]}", headers=it_headers)
    assert shown.status_code == 200
    assert shown.get_json()["reason"] is None and shown.get_json()["note"] is None


def test_dry_run_and_bad_periods_change_nothing(app, history):
    runner = app.test_cli_runner()
    before = {i: (r.reason, r.note) for i, r in _requests(app).items()}
    dry = runner.invoke(args=["fleet", "purge-personal-data", "--older-than", "1y", "--dry-run"])
    assert dry.exit_code == 0 and "1 closed request(s) would purge" in dry.output
    for bad in ("soon", "-3d", "y", "2026-13-01"):
        refused = runner.invoke(args=["fleet", "purge-personal-data", "--older-than", bad])
        assert refused.exit_code == 2 and "give years (3y), days (365d) or a date" in refused.output, bad
    future = runner.invoke(args=["fleet", "purge-personal-data", "--older-than", "2999-01-01"])
    assert future.exit_code == 1 and "in the future" in future.output
    assert {i: (r.reason, r.note) for i, r in _requests(app).items()} == before


def test_retention_cutoff():
    today = date(2026, 11, 23)
    assert retention_cutoff("3y", today) == date(2023, 11, 23)
    assert retention_cutoff("30d", today) == date(2026, 10, 24)
    assert retention_cutoff("2024-02-29", today) == date(2024, 2, 29)
    assert retention_cutoff("1y", date(2028, 2, 29)) == date(2027, 2, 28)
    with pytest.raises(BadParameter):
        retention_cutoff("3 years", today)


def test_purge_blanks_the_reasons_of_old_decided_extensions(app, slapd):
    """Extensions are purged like requests: a decided one past the period loses its reason and note, a pending one
    keeps them, and the chain still verifies."""
    from fleet.models import LoanExtension
    from fleet.services import extensions as extension_service
    from fleet.services import loans as loan_service
    from fleet.services.auth import Principal
    from tests.factories import create_asset

    with app.app_context():
        directory = app.extensions["fleet_directory"]
        old_asset, new_asset = create_asset(), create_asset()
        old = loan_service.hand_over(directory, loan_service.HandoverOrder(
            old_asset.asset_tag, EMPLOYEE, due_date=LONG_AGO.date() + timedelta(days=30)), IT_PRINCIPAL, now=LONG_AGO)
        decided = extension_service.request_extension(directory, IT_PRINCIPAL, old, until=LONG_AGO.date() +
                                                      timedelta(days=60), reason="출산휴가", now=LONG_AGO)
        recent = loan_service.hand_over(directory, loan_service.HandoverOrder(new_asset.asset_tag, EMPLOYEE2),
                                        IT_PRINCIPAL)
        pending = extension_service.request_extension(
            directory, Principal(EMPLOYEE2, "최준호", frozenset({"employee"})), recent,
            until=recent.due_date + timedelta(days=10), reason="육아휴직")
        db.session.commit()
        ids = decided.id, pending.id
    result = app.test_cli_runner().invoke(args=["fleet", "purge-personal-data", "--older-than", "1y"])
    assert result.exit_code == 0, result.output
    assert "1 decided extension(s) purged" in result.output
    with app.app_context():
        rows = {e.id: e for e in db.session.execute(db.select(LoanExtension)).scalars()}
        assert (rows[ids[0]].reason, rows[ids[0]].status) == (None, "approved")
        assert rows[ids[1]].reason == "육아휴직"
        assert verify_chain().valid
