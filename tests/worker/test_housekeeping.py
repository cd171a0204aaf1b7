"""The worker's housekeeping: confirmation emails the signup page could not send go out; signups nobody confirmed
are deleted once they are older than the setting."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Subscriber
from tests.app_config import base_config
from tests.factories import add_subscriber
from tests.outbox import Outbox
from tests.worker.processes import WorkerPool, app_sharing_its_database, read, wait_until, worker_env


def test_a_running_worker_sends_confirmations_the_page_could_not_and_deletes_stale_signups(tmp_path: Path):
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'tidings.db'}")
    with app_sharing_its_database(config) as app:
        outbox = Outbox(app.config["OUTBOX_DIR"])
        now = datetime.now(UTC)
        stale = add_subscriber(app, "never-confirmed@example.org", status="pending")
        stale.created_at = stale.consent_at = now - timedelta(days=8)
        waiting = add_subscriber(app, "page-could-not-mail@example.org", status="pending")
        waiting.consent_at = now - timedelta(minutes=10)
        add_subscriber(app, "signed-up-today@example.org", status="pending")
        add_subscriber(app, "reader@example.org")
        db.session.commit()

        with WorkerPool(tmp_path) as pool:
            worker = pool.start(worker_env(app.config, PENDING_SIGNUP_DAYS=7))
            purged = select(AuditEntry.detail).where(AuditEntry.action == "subscribers:purged_pending")
            wait_until(lambda: read(purged) is not None, timeout=20, what="the purge", workers=pool)
            wait_until(
                lambda: outbox.emails_to("page-could-not-mail@example.org"),
                timeout=20,
                what="the confirmation the page could not send",
                workers=pool,
            )
            assert worker.stop() == 0

        emails = set(db.session.scalars(select(Subscriber.email)))
        assert emails == {"page-could-not-mail@example.org", "signed-up-today@example.org", "reader@example.org"}
        assert read(purged) == "1 unconfirmed for over 7 days"
        [confirmation] = outbox.emails_to("page-could-not-mail@example.org")
        assert "confirm" in confirmation["Subject"].lower()
        assert outbox.emails_to("signed-up-today@example.org") == [], "the page may still be sending that one"
