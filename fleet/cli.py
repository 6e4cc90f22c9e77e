"""`flask --app wsgi fleet …` commands: the same services as the API."""

from __future__ import annotations

import logging
import signal
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import sleep

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from fleet import signing
from fleet.access_log import chain as access_chain
from fleet.clock import format_local, local_time, local_today, local_zone
from fleet.db import utcnow, writing
from fleet.errors import FleetError
from fleet.extensions import db
from fleet.security import get_directory
from fleet.services import backup, demo_data, directory_sync, mailer, reminders
from fleet.services import events as event_service
from fleet.services import extensions as extension_service
from fleet.services import requests as request_service
from fleet.services import reservations as reservation_service
from fleet.services.auth import Principal

fleet_cli = AppGroup("fleet", help="Fleet commands.")
CLI_ACTOR = "cli"


def init_app(app: Flask) -> None:
    app.cli.add_command(fleet_cli)


def _fail(exc: FleetError) -> None:
    db.session.rollback()
    raise click.ClickException(exc.detail) from exc


@fleet_cli.command("sync-directory")
@click.option("--actor", default=CLI_ACTOR, show_default=True, help="Who the event log names as running the sync.")
def sync_directory_command(actor: str) -> None:
    """Check every open loan's assignee against the directory and list the leavers."""
    with writing():
        with click.progressbar(length=1, label="Checking assignees", file=None) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            try:
                findings = directory_sync.sync_directory(get_directory(), actor, progress=progress)
            except FleetError as exc:
                _fail(exc)
        db.session.commit()
    if not findings:
        click.echo("No leavers hold a device.")
        return
    click.echo(f"{len(findings)} leaver(s) still hold a device:")
    for finding in findings:
        loan = finding.loan
        click.echo(f"  {finding.uid:<16} {loan.assignee_name:<10} {finding.reason:<10} {loan.asset.asset_tag:<14} "
                   f"{loan.number}  found {format_local(finding.found_at)}")
    current_app.logger.info("directory sync: %d leavers", len(findings))


@fleet_cli.command("seed-demo")
@click.option("--actor", default="kimit", show_default=True, help="The IT staff member the demo data is made by.")
def seed_demo_command(actor: str) -> None:
    """Load the demo centers, devices, requests, loans, bookings, a pending extension and an open damage report
    (once; a second run changes nothing)."""
    with writing():
        try:
            person = get_directory().get_person(actor)
            principal = Principal(actor, person.name if person else actor, frozenset({"it", "employee"}))
            seeded = demo_data.seed_demo(get_directory(), principal)
        except FleetError as exc:
            _fail(exc)
        db.session.commit()
    if not any(seeded.counts.values()):
        click.echo("The demo data is there already; nothing changed.")
        return
    click.echo("Loaded " + ", ".join(f"{n} {what}" for what, n in seeded.counts.items()) + ".")
    skipped = {**seeded.skipped_requests, **seeded.skipped_loans, **seeded.skipped_bookings}
    if skipped:
        click.echo(f"Skipped {len(seeded.skipped_requests)} demo requests and {len(seeded.skipped_loans)} demo loans"
                   f"{f' and {len(seeded.skipped_bookings)} demo bookings' if seeded.skipped_bookings else ''}: "
                   f"their people are missing, disabled or not eligible in this directory "
                   f"({', '.join(skipped)}; e.g. {next(iter(skipped.values()))})")


def _report(verification: backup.Verification) -> None:
    click.echo(f"  event chain: {verification.events:,} events, "
               + ("verified" if verification.chain_valid else f"BROKEN at event {verification.first_bad_event}"))
    click.echo(f"  documents: {verification.documents:,} checked against their SHA-256"
               f" ({verification.documents_reserved:,} reserved, not yet rendered), "
               + ("all match" if not verification.bad_documents
                  else f"{len(verification.bad_documents)} DO NOT MATCH: ids {list(verification.bad_documents)[:20]}"))


def _verify_sqlite_copy(path: Path) -> backup.Verification:
    """Open a copy read-only as Fleet would (its own app, same settings) and verify it; the file stays as it is."""
    from fleet import create_app

    settings = {k: v for k, v in current_app.config.items() if k.startswith("FLEET_")}
    copy = create_app({**settings, "FLEET_DATABASE_URL": f"sqlite:///file:{path.resolve()}?mode=ro&uri=true",
                       "FLEET_DIRECTORY": get_directory()})
    with copy.app_context():
        try:
            return backup.verify_database()
        finally:
            db.session.remove()
            db.engine.dispose()


def _database_url() -> str:
    return current_app.config["FLEET_DATABASE_URL"]


@fleet_cli.command("backup")
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path | None) -> None:
    """Copy the database to TARGET while Fleet keeps running, then check the copy.

    SQLite: the online backup API, one consistent snapshot, verified (event chain and
    every document's hash) before the command says it is done. PostgreSQL: pg_dump's
    custom format (restore it with `fleet restore`, or pg_restore).
    """
    url = _database_url()
    sqlite = url.startswith("sqlite")
    stamp = local_time(utcnow()).strftime("%Y%m%d-%H%M%S")
    target = target or Path(f"fleet-backup-{stamp}.{'sqlite' if sqlite else 'dump'}")
    if target.exists():
        raise click.ClickException(f"{target} exists already; choose another name (nothing was written).")
    try:
        if sqlite:
            click.echo(f"Copying {backup.sqlite_file(url)} to {target} …")
            backup.backup_sqlite(url, target)
        else:
            click.echo(f"Dumping the PostgreSQL database to {target} with pg_dump …")
            backup.backup_postgresql(url, target)
    except FleetError as exc:
        _fail(exc)
    click.echo(f"Wrote {target} ({target.stat().st_size:,} bytes).")
    if sqlite:
        verification = _verify_sqlite_copy(target)
        _report(verification)
        if not verification.valid:
            raise click.ClickException("The copy does not verify: keep the database as it is and look into it.")
    else:
        click.echo("  check a restored copy with `flask --app wsgi fleet verify`.")


@fleet_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the current database is to be overwritten.")
def restore_command(source: Path, yes: bool) -> None:
    """Overwrite the database with the backup SOURCE (stop Fleet first), then verify it.

    A SQLite backup is verified before anything is overwritten.
    """
    url = _database_url()
    if not yes:
        raise click.ClickException("This overwrites the whole database; run it again with --yes to go ahead.")
    db.session.remove()
    db.engine.dispose()
    try:
        if url.startswith("sqlite"):
            verification = _verify_sqlite_copy(source)
            if not verification.valid:
                _report(verification)
                raise click.ClickException(f"{source} does not verify; nothing was restored.")
            backup.restore_sqlite(source, url)
        else:
            backup.restore_postgresql(source, url)
    except FleetError as exc:
        _fail(exc)
    click.echo(f"Restored {source}.")
    verification = backup.verify_database()
    _report(verification)
    if not verification.valid:
        raise click.ClickException("The restored database does not verify.")


@fleet_cli.command("verify")
def verify_command() -> None:
    """Verify the event chain, the access log's chain and every registered document's SHA-256; exit 1 if anything
    is wrong."""
    verification = backup.verify_database()
    _report(verification)
    access = access_chain.verify_access_log()
    click.echo(f"  access log: {access.count:,} entries from entry {access.start_seq}, "
               + ("verified" if access.valid else f"BROKEN at entry {access.first_bad_seq}"))
    if not verification.valid or not access.valid:
        raise click.ClickException("The database does not verify.")


def retention_cutoff(older_than: str, today: date) -> date:
    """`3y`, `365d` or a date (YYYY-MM-DD) as the first local day that is kept."""
    text = older_than.strip().lower()
    try:
        if text[:-1].isdigit() and text[-1:] == "d":
            return today - timedelta(days=int(text[:-1]))
        if text[:-1].isdigit() and text[-1:] == "y":
            year = today.year - int(text[:-1])
            return today.replace(year=year, day=28) if (today.month, today.day) == (2, 29) else today.replace(year=year)
        return date.fromisoformat(text)
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{older_than!r}: give years (3y), days (365d) or a date (2023-11-23).",
                                 param_hint="--older-than") from None


@fleet_cli.command("purge-personal-data")
@click.option("--older-than", "older_than", required=True,
              help="Retention period: 3y, 365d, or a date (YYYY-MM-DD, local) before which to purge.")
@click.option("--dry-run", is_flag=True, help="Only count what would be purged.")
@click.option("--actor", default=CLI_ACTOR, show_default=True, help="Who the event log names as purging.")
def purge_personal_data_command(older_than: str, dry_run: bool, actor: str) -> None:
    """Blank the reasons and notes of closed requests (and decided extensions) from before the retention period.

    Open requests and pending extensions keep theirs. The event log never held them, so it still verifies.
    """
    cutoff = retention_cutoff(older_than, local_today())
    before = datetime.combine(cutoff, time.min, tzinfo=local_zone())
    with writing():
        label = f"{'Counting' if dry_run else 'Purging'} requests closed before {cutoff}"
        with click.progressbar(length=1, label=label, file=None) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            try:
                purged, kept_open = request_service.purge_personal_data(before, actor, progress=progress)
                extensions_purged = extension_service.purge_personal_data(before, actor)
            except FleetError as exc:
                _fail(exc)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    verb = "would purge" if dry_run else "purged"
    click.echo(f"{purged} closed request(s) {verb}: reason, notes and queue priority blanked.")
    if extensions_purged:
        click.echo(f"{extensions_purged} decided extension(s) {verb}: reason and note blanked.")
    if kept_open:
        click.echo(f"{kept_open} open request(s) from before {cutoff} keep theirs until they are closed.")


@fleet_cli.command("purge-access-log")
@click.option("--actor", default=CLI_ACTOR, show_default=True, help="Who the event log names as purging.")
def purge_access_log_command(actor: str) -> None:
    """Remove the access-log entries older than FLEET_ACCESS_LOG_YEARS (default 2), from the front of the chain.

    The purge is recorded as an event; the kept entries stay verifiable (access-log/verify, python -m fleet.verify).
    """
    years = current_app.config["FLEET_ACCESS_LOG_YEARS"]
    cutoff = retention_cutoff(f"{int(years)}y" if float(years).is_integer() else f"{round(365.25 * years)}d",
                              local_today())
    before = datetime.combine(cutoff, time.min, tzinfo=local_zone())
    with writing():
        purge = access_chain.purge_access_log(actor, before)
        db.session.commit()
    click.echo(f"{purge.removed} access-log entr{'y' if purge.removed == 1 else 'ies'} from before {cutoff} removed; "
               f"the kept chain starts at entry {purge.start_seq}.")


keys_cli = AppGroup("keys", help="The organisation's signing key (signed PDFs and event-log checkpoints).")
fleet_cli.add_command(keys_cli)


@keys_cli.command("init")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the files (default: instance/keys).")
@click.option("--name", default=None, help="The organisation named in the certificates (default: FLEET_ORG_NAME).")
def keys_init_command(directory: Path | None, name: str | None) -> None:
    """Make a private CA and a signing certificate it issued, for a first install or the demo.

    Writes org-ca.pem (give it to auditors), org-ca-key.pem (keep it offline), signing-key.pem and
    signing-cert.pem, each mode 0600; never overwrites a file.
    """
    directory = directory or Path(current_app.instance_path) / "keys"
    org = name or current_app.config["FLEET_ORG_NAME"]
    try:
        made = signing.make_keys(directory, org, utcnow())
    except signing.SigningKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    signer = made.signing.certificate
    click.echo(f"Made a private CA and a signing certificate for {org} in {directory}:")
    click.echo(f"  CA certificate     {made.ca_path}  (give this to auditors: `python -m fleet.verify … --cert` "
               "and pdfsig trust it)")
    click.echo(f"  CA key             {directory / 'org-ca-key.pem'}  (keep it offline; it only issues certificates)")
    click.echo(f"  signing key        {made.key_path}")
    click.echo(f"  signing chain      {made.cert_path}  (valid until {signer.not_valid_after_utc:%Y-%m-%d})")
    click.echo(f"CA fingerprint       SHA-256 {signing.fingerprint(made.ca_certificate)}")
    click.echo(f"Signing fingerprint  SHA-256 {made.signing.fingerprint}")
    click.echo("Sign with it by setting:")
    click.echo(f"  export FLEET_SIGNING_KEY={made.key_path}")
    click.echo(f"  export FLEET_SIGNING_CERT={made.cert_path}")


@fleet_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the event log's current head now (Fleet also does it every FLEET_CHECKPOINT_EVENTS events and at the
    first event of each day); run it from cron at the end of the day so that the day's last events are covered.
    The access log's head is signed too."""
    if current_app.extensions.get("fleet_signing_key") is None:
        raise click.ClickException("No FLEET_SIGNING_KEY is configured: Fleet makes no signed checkpoints.")
    with writing():
        checkpoint = event_service.checkpoint_head()
        access = access_chain.checkpoint_head()
        db.session.commit()
        if access is not None:
            click.echo(f"Signed checkpoint of the access log at entry {access.seq}: {access.head_hash}.")
        if checkpoint is None:
            click.echo("The head is signed already (or the log is empty); nothing to do.")
            return
        click.echo(f"Signed checkpoint at event {checkpoint.seq}: {checkpoint.head_hash} "
                   f"({format_local(checkpoint.at)}).")
# Notifications


def _smtp_or_fail() -> mailer.SmtpSettings:
    try:
        return mailer.smtp_settings()
    except mailer.MailNotConfigured as exc:
        raise click.ClickException(f"{exc.detail} ({mailer.waiting_count()} message(s) waiting)") from exc


def _queue_reminders(now: datetime) -> reminders.ReminderCounts:
    with writing():
        counts = reminders.queue_reminders(now)
        db.session.commit()
    return counts


@fleet_cli.command("send-mail")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most this many messages.")
def send_mail_command(limit: int | None) -> None:
    """Deliver the outbox once (for cron): every message that is due, then stop."""
    result = mailer.deliver_pending(settings=_smtp_or_fail(), max_messages=limit)
    click.echo(f"{result.sent} sent, {result.retried} to retry later, {result.failed} failed.")


@fleet_cli.command("queue-reminders")
def queue_reminders_command() -> None:
    """Queue today's reminders and summary now (the worker does it by itself at FLEET_REMIND_AT)."""
    counts = _queue_reminders(utcnow())
    click.echo(f"{counts.day}: {counts.due_soon} due soon, {counts.overdue} overdue, {counts.summary} summary, "
               f"{counts.bookings} booking reminder(s), {counts.inspections} inspection reminder(s) queued.")


@fleet_cli.command("worker")
@click.option("--once", is_flag=True, help="One round (reminders if due, then the outbox), then stop.")
def worker_command(once: bool) -> None:
    """Deliver the outbox until stopped (SIGTERM or Ctrl-C), and queue the day's reminders at FLEET_REMIND_AT."""
    settings = _smtp_or_fail()
    stopping = []
    previous = {signum: signal.signal(signum, lambda *_: stopping.append(True))
                for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        _work(settings, stopping, once)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("mail worker stopped.")


def _work(settings: mailer.SmtpSettings, stopping: list, once: bool) -> None:
    """Until a signal says stop: the day's reminders when due, then the outbox; a pause when it is empty."""
    schedule = reminders.ReminderSchedule()
    poll = current_app.config["FLEET_MAIL_POLL_SECONDS"]
    log = current_app.logger
    if log.level == logging.NOTSET:  # a long-running worker says what it does (stderr, for journald or a log file)
        log.setLevel(logging.INFO)
    log.info("mail worker: sending through %s:%s", settings.host, settings.port)
    while not stopping:
        handled = 0
        try:
            now = utcnow()
            if schedule.due(now):
                counts = _queue_reminders(now)
                schedule.done(now)
                log.info("mail worker: %s: %d reminder(s) queued", counts.day, counts.total)
            # A hundred at a time, so that a stop signal is heard between them even with a long queue.
            result = mailer.deliver_pending(settings=settings, max_messages=100)
            handled = result.handled
            if handled:
                log.info("mail worker: %d sent, %d to retry, %d failed", result.sent, result.retried, result.failed)
        except SQLAlchemyError as exc:  # the database restarting: keep the worker, try again after a pause
            db.session.rollback()
            log.warning("mail worker: database error, retrying: %s", exc)
        finally:
            db.session.remove()
        if once:
            break
        if not handled:
            for _ in range(int(poll * 10)):
                if stopping:
                    break
                sleep(0.1)
@fleet_cli.command("release-no-shows")
@click.option("--at", "at", default=None, help="Judge as of this moment (ISO 8601 with offset); default now.")
@click.option("--actor", default=CLI_ACTOR, show_default=True, help="Who the event log names as releasing.")
def release_no_shows_command(at: str | None, actor: str) -> None:
    """Release the bookings nobody picked up within FLEET_NO_SHOW_HOURS of their start (or by their end)."""
    now = utcnow()
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise click.BadParameter(f"{at!r} is not an ISO 8601 time.", param_hint="--at") from None
        if now.tzinfo is None:
            raise click.BadParameter("Give the offset too, e.g. 2026-12-03T10:00+09:00.", param_hint="--at")
    with writing():
        released = reservation_service.release_no_shows(now, actor)
        db.session.commit()
    click.echo(f"{len(released)} booking(s) released as no-shows.")
    for reservation in released:
        what = reservation.asset.asset_tag if reservation.asset else f"{reservation.quantity} {reservation.category}"
        click.echo(f"  #{reservation.id} {reservation.center.code} {what} {reservation.person_uid} "
                   f"from {format_local(reservation.starts_at)}")
