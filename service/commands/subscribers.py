"""`flask subscribers import PATH [--commit]`, `flask subscribers export [-o PATH]`, `flask subscribers purge-pending`.

The import checks the whole file and prints every bad row; with --commit a clean file is imported in one
transaction (all or nothing), exactly as the Import page does.
"""

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from service import audit
from service.extensions import db
from service.subscribers.csv_export import confirmed_count, csv_chunks
from service.subscribers.csv_import import ImportContext, check_file, import_checked
from service.subscribers.retention import purge_unconfirmed

group = AppGroup("subscribers", help="Import, export and tidy the subscriber list.")


def _context() -> ImportContext:
    return ImportContext.from_config(current_app.config, datetime.now(UTC))


def _open(path: Path):
    return path.open(encoding="utf-8-sig", newline="")


@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="Import the file if it is clean (otherwise only check it).")
def import_command(path: Path, commit: bool) -> None:
    """Check a subscriber CSV and, with --commit, import it (all or nothing).

    Columns: email, topics, consent_date, consent_source (required) and first_name (optional).

    Every bad row is printed with its line number; a file with any bad row imports nothing. Without --commit the file
    is only checked. The columns and consent rules are those of the Import page.
    """
    with _open(path) as stream, tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as keep:
        report = check_file(db.session, stream, _context(), keep=keep)
        db.session.rollback()
        for problem in report.errors:
            click.echo(f"line {problem.line}: {problem.reason}", err=True)
        for problem in report.skipped:
            click.echo(f"line {problem.line}: skipped, {problem.reason}")
        click.echo(report.summary())
        if not report.ok:
            raise click.ClickException("Nothing was imported: fix the bad rows and run again.")
        if not commit:
            click.echo("Checked only; run again with --commit to import.")
            return
        keep.seek(0)
        try:
            report = import_checked(db.session, keep, _context(), actor=None)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise click.ClickException("The list changed while importing; nothing was imported. Run again.") from None
    click.echo(f"Imported: {report.summary()}.")


@group.command("export")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
def export_command(output: Path | None) -> None:
    """Confirmed subscribers as CSV (the import's columns plus the consent record)."""
    audit.record(db.session, "subscribers:exported", detail=f"{confirmed_count(db.session)} confirmed subscribers")
    db.session.commit()
    target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        for chunk in csv_chunks(db.session):
            target.write(chunk)
    finally:
        if output:
            target.close()


@group.command("purge-pending")
@click.option("--days", type=float, help="Delete signups left unconfirmed for longer than this (default: the setting).")
def purge_pending_command(days: float | None) -> None:
    """Delete never-confirmed signups: an address nobody confirmed is not ours to keep."""
    count = purge_unconfirmed(db.session, datetime.now(UTC), days or current_app.config["PENDING_SIGNUP_DAYS"])
    click.echo(f"Deleted {count} unconfirmed signup(s).")
