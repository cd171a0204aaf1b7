"""`flask subscribers import/export/purge-pending`."""

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from service.extensions import db
from service.models import Subscriber
from tests.factories import add_subscriber

HEADER = "email,first_name,topics,consent_date,consent_source\n"


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Subscriber))


def test_import_checks_first_and_commits_only_when_asked(app, runner, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(HEADER + "ana@example.org,Ana,kap,2025-11-03,front desk\n", encoding="utf-8")
    checked = runner.invoke(args=["subscribers", "import", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "1 new" in checked.output and "--commit" in checked.output
    assert count() == 0
    done = runner.invoke(args=["subscribers", "import", str(path), "--commit"])
    assert done.exit_code == 0, done.output
    assert count() == 1


def test_a_bad_file_is_reported_by_line_and_nothing_is_imported(app, runner, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(HEADER + "ana@example.org,Ana,kap,2025-11-03,front desk\nbad,,kap,2025-11-03,x\n", "utf-8")
    result = runner.invoke(args=["subscribers", "import", str(path), "--commit"])
    assert result.exit_code != 0
    assert "line 3: email:" in result.output
    assert count() == 0


def test_export_writes_confirmed_subscribers(app, runner, tmp_path):
    add_subscriber(app, "ana@example.org", topics=("kap",))
    add_subscriber(app, "pat@example.org", status="pending")
    result = runner.invoke(args=["subscribers", "export"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["email"] for row in rows] == ["ana@example.org"]


def test_purge_pending_deletes_old_unconfirmed_signups_only(app, runner):
    old = add_subscriber(app, "old@example.org", status="pending")
    old.created_at = datetime.now(UTC) - timedelta(days=40)
    add_subscriber(app, "new@example.org", status="pending")
    add_subscriber(app, "ana@example.org")
    db.session.commit()
    result = runner.invoke(args=["subscribers", "purge-pending", "--days", "30"])
    assert result.exit_code == 0 and "Deleted 1" in result.output
    assert set(db.session.scalars(select(Subscriber.email))) == {"new@example.org", "ana@example.org"}
