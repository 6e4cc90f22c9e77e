"""Mail delivery: messages per second from the outbox to a local SMTP server, beside bare smtplib.

Fleet's figure is the whole sender: claim a batch (FOR UPDATE SKIP LOCKED on PostgreSQL), gather
the loan, render the Korean text and HTML parts with Jinja and Flask-Babel, send over one SMTP
session, then mark each message sent and append its `notification.sent` event, one short
transaction per message. The baseline sends one ready-made message of the same size as often, over
one session, with nothing else: what the SMTP exchange alone costs. The server (aiosmtpd, discarding
what it gets) runs in its own process on loopback.
"""

from __future__ import annotations

import smtplib
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from bench import scale
from tests.support.server import ROOT, free_port


def _sink() -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.smtp_sink", str(port)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    return process, port


def _queue(app, count: int) -> None:
    from fleet.clock import local_today
    from fleet.extensions import db
    from fleet.models import Asset, Loan
    from fleet.services import notifications

    with app.app_context():
        asset = db.session.execute(db.select(Asset).order_by(Asset.id).limit(1)).scalar_one()
        now = datetime.now(UTC)
        loan = Loan(asset=asset, center_id=asset.center_id, status="active", assignee_uid="u00001",
                    assignee_name="김벤치", assignee_email="u00001@example.kr", issued_by="bench", checked_out_at=now,
                    due_date=local_today(now) + timedelta(days=1), accessories_out=[])
        db.session.add(loan)
        db.session.flush()
        for i in range(count):
            notifications.queue("due_soon", now=now, recipient_uid=f"u{i:05d}", to_address=f"u{i:05d}@example.kr",
                                to_name="김벤치", language="ko", data={"loan_id": loan.id, "days": 1})
        db.session.commit()


def mail_throughput(record, name: str, url: str, count: int) -> None:
    from fleet.extensions import db
    from fleet.services import mailer

    sink, port = _sink()
    try:
        app = scale.make_app(url)
        scale.bulk_assets(app, 1, prefix="MB")
        _queue(app, count)
        settings = mailer.SmtpSettings.from_url(f"smtp://127.0.0.1:{port}")
        with app.app_context():
            started = time.perf_counter()
            result = mailer.deliver_pending(settings=settings)
            fleet_seconds = time.perf_counter() - started
            assert result.sent == count, result
            from fleet.models import Notification
            sample = db.session.execute(db.select(Notification).limit(1)).scalar_one()
            message = mailer.compose(sample).message
            db.session.rollback()
            db.engine.dispose()
        client = smtplib.SMTP("127.0.0.1", port)
        started = time.perf_counter()
        for i in range(count):
            client.send_message(message, to_addrs=[f"u{i:05d}@example.kr"])
        bare_seconds = time.perf_counter() - started
        client.quit()
    finally:
        sink.terminate()
        sink.wait(10)
    fleet_rate, bare_rate = count / fleet_seconds, count / bare_seconds
    record(f"mail_per_s_{name}", round(fleet_rate, 1), f"[{name}] outbox → SMTP, {count} messages", "msg/s")
    record(f"mail_bare_per_s_{name}", round(bare_rate, 1), f"[{name}] bare smtplib, same message", "msg/s")
    record(f"mail_ratio_{name}", round(fleet_rate / bare_rate, 3), f"[{name}] mail_ratio", "")
