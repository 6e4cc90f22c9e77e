"""`flask --app wsgi fleet …` commands: the same services as the API."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from fleet.db import writing
from fleet.errors import FleetError
from fleet.extensions import db
from fleet.security import get_directory
from fleet.services import demo_data, directory_sync
from fleet.services.auth import Principal
from fleet.services.clock import format_local

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
    """Load the demo centers, devices, requests and loans (once; a second run changes nothing)."""
    with writing():
        try:
            person = get_directory().get_person(actor)
            principal = Principal(actor, person.name if person else actor, frozenset({"it", "employee"}))
            counts = demo_data.seed_demo(get_directory(), principal)
        except FleetError as exc:
            _fail(exc)
        db.session.commit()
    if not any(counts.values()):
        click.echo("The demo data is there already; nothing changed.")
    else:
        click.echo("Loaded " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
