"""`fleet send-mail` and `fleet worker` as real processes against a real SMTP server: two senders at once,
and a sender killed with SIGKILL in the middle of a batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from fleet.extensions import db
from fleet.models import Notification
from fleet.security import get_directory
from fleet.services import notifications
from fleet.services.loans import HandoverOrder, hand_over
from tests.api.test_loans_api import stock
from tests.factories import IT_PRINCIPAL
from tests.fixtures_data import EMPLOYEE
from tests.services.test_notifications import sink  # noqa: F401 (a fixture)
from tests.support.server import ROOT


def queue_many(app, count: int) -> None:
    """`count` due-soon reminders about one loan, each to its own address."""
    stock(app, "NB-001")
    with app.app_context():
        loan = hand_over(get_directory(), HandoverOrder("NB-001", EMPLOYEE), IT_PRINCIPAL)
        db.session.execute(db.delete(Notification))
        now = loan.checked_out_at
        for i in range(count):
            notifications.queue("due_soon", now=now, recipient_uid=f"p{i:04d}", to_address=f"p{i:04d}@example.kr",
                                to_name="수신자", language="ko", data={"loan_id": loan.id, "days": 1})
        db.session.commit()


def fleet_command(app_config, ldap_settings, smtp_url: str, *args: str, **settings: str) -> subprocess.Popen:
    env = {**os.environ, **ldap_settings, "FLEET_DATABASE_URL": app_config["FLEET_DATABASE_URL"],
           "FLEET_SECRET_KEY": "test", "FLEET_SMTP_URL": smtp_url, "FLEET_ORG_NAME": app_config["FLEET_ORG_NAME"],
           **settings}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "fleet", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def statuses(app) -> Counter:
    with app.app_context():
        return Counter(db.session.execute(db.select(Notification.status)).scalars())


def test_send_mail_without_a_server_setting_says_so(app):
    stock(app, "NB-001")
    with app.app_context():
        hand_over(get_directory(), HandoverOrder("NB-001", EMPLOYEE), IT_PRINCIPAL)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["fleet", "send-mail"])
    assert result.exit_code == 1 and "FLEET_SMTP_URL is not set" in result.output and "1 message(s) waiting" in \
        result.output


def test_two_senders_at_once_deliver_each_message_exactly_once(app, app_config, ldap_settings, sink):  # noqa: F811
    queue_many(app, 500)
    sink.delay = 0.002  # both senders are at work at the same time
    senders = [fleet_command(app_config, ldap_settings, sink.url, "send-mail") for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in senders]
    assert all(p.returncode == 0 for p in senders), outputs
    ids = Counter(m["Message-ID"] for m in sink.messages())
    assert len(ids) == 500 and set(ids.values()) == {1}, [i for i, n in ids.items() if n > 1][:5]
    assert sorted(r.rcpt_tos[0] for r in sink.received) == [f"p{i:04d}@example.kr" for i in range(500)]
    assert statuses(app) == {"sent": 500}
    sent = [int(out.split(" sent")[0].split()[-1]) for out in outputs]
    assert sum(sent) == 500
    print("split between the two senders:", sent)


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_at_most_the_message_in_flight(
        app, app_config, ldap_settings, sink):  # noqa: F811
    """The sink keeps the 11th message without answering it, so the worker is killed with exactly that message in
    flight, on a fast machine as on a busy one: ten were sent and recorded, the 11th is sent again after the lease,
    and nothing else twice."""
    queue_many(app, 40)
    sink.hold_at = 11
    lease = {"FLEET_MAIL_LEASE_SECONDS": "2"}
    worker = fleet_command(app_config, ldap_settings, sink.url, "worker", **lease)
    deadline = time.monotonic() + 120  # only a bound on a hung worker; the verdict does not depend on it
    while len(sink.received) < 11 and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sink.received) == 11, worker.poll()
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    in_flight = sink.received[10].message["Message-ID"]
    assert statuses(app)["sent"] == 10  # the rest waits: queued, or claimed by the dead worker until its lease ends
    sink.hold_at = None
    sink.released.set()
    time.sleep(2.2)  # the dead worker's lease (2 s from its claim, before the kill) has run out
    restarted = fleet_command(app_config, ldap_settings, sink.url, "send-mail", **lease)
    output = restarted.communicate(timeout=120)[0]
    assert restarted.returncode == 0, output
    ids = Counter(m["Message-ID"] for m in sink.messages())
    assert len(ids) == 40 and statuses(app) == {"sent": 40}
    assert [mid for mid, n in ids.items() if n > 1] == [in_flight] and len(sink.received) == 41


@pytest.mark.parametrize("command", ["worker --once", "queue-reminders"])
def test_the_worker_and_the_reminder_command_run(app, command, sink, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "FLEET_SMTP_URL", sink.url)
    stock(app, "NB-001")
    with app.app_context():
        hand_over(get_directory(), HandoverOrder("NB-001", EMPLOYEE), IT_PRINCIPAL)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["fleet", *command.split()])
    assert result.exit_code == 0, result.output
    if command == "queue-reminders":
        assert "0 due soon, 0 overdue" in result.output
    else:
        assert "mail worker stopped" in result.output and len(sink.received) == 1


def test_the_demo_mail_sink_keeps_each_message_as_a_file(app, tmp_path):
    from demo import mailsink
    from fleet.services.mailer import SmtpSettings, deliver_pending
    from tests.support.server import free_port

    port = free_port()
    controller = mailsink.start(tmp_path / "mail", port)
    try:
        stock(app, "NB-001")
        with app.app_context():
            hand_over(get_directory(), HandoverOrder("NB-001", EMPLOYEE), IT_PRINCIPAL)
            db.session.commit()
            assert deliver_pending(settings=SmtpSettings.from_url(f"smtp://127.0.0.1:{port}")).sent == 1
    finally:
        controller.stop()
    assert sorted(p.name for p in (tmp_path / "mail").iterdir()) == ["0001-handover_receipt.eml",
                                                                      "0001-handover_receipt.txt"]
    text = (tmp_path / "mail" / "0001-handover_receipt.txt").read_text(encoding="utf-8")
    assert "Subject: [대전광역시 유성구청] 장비 인수증: NB-001" in text and "이지은님" in text
