"""The worker's daily housekeeping: signups nobody confirmed are deleted once they are older than the setting."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Subscriber
from tests.conftest import base_config
from tests.factories import add_subscriber
from tests.worker.processes import WorkerPool, app_sharing_its_database, read, wait_until, worker_env


def test_a_running_worker_deletes_signups_left_unconfirmed_past_the_setting(tmp_path: Path):
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'tidings.db'}")
    with app_sharing_its_database(config) as app:
        stale = add_subscriber(app, "never-confirmed@example.org", status="pending")
        stale.created_at = datetime.now(UTC) - timedelta(days=8)
        add_subscriber(app, "signed-up-today@example.org", status="pending")
        add_subscriber(app, "reader@example.org")
        db.session.commit()

        with WorkerPool(tmp_path) as pool:
            worker = pool.start(worker_env(app.config, PENDING_SIGNUP_DAYS=7))
            purged = select(AuditEntry.detail).where(AuditEntry.action == "subscribers:purged_pending")
            wait_until(lambda: read(purged) is not None, timeout=20, what="the purge", workers=pool)
            assert worker.stop() == 0

        emails = set(db.session.scalars(select(Subscriber.email)))
        assert emails == {"signed-up-today@example.org", "reader@example.org"}
        assert read(purged) == "1 unconfirmed for over 7 days"
