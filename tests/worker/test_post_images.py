"""A post with images, from the worker to the fake X: the upload, the alt text, and the post carrying the media id."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.campaigns.posts import PartInput, save_post_draft
from service.channels.social.x import XSocialChannel
from service.extensions import db
from service.media.library import store_upload
from service.models import Campaign, Delivery, Media
from service.rendering.clinic import ClinicInfo
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import approve_and_schedule, draft_campaign, import_seed, make_user
from tests.media.images import jpeg_with_gps
from tests.worker.x_posts import WorkerDied, x_message, x_settings


@pytest.fixture
def app_config(app_config, fake_x):
    return {**app_config, **x_settings(fake_x)}


def _campaign_with_an_image_post(app, seed_article_text) -> tuple[Campaign, int]:
    author = make_user(f"author-{uuid.uuid4().hex[:6]}@example.org", "marketer")
    reviewer = make_user(f"reviewer-{uuid.uuid4().hex[:6]}@example.org", "reviewer")
    snippet = import_seed(seed_article_text).snippets[1]
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    campaign = draft_campaign(app, author, [snippet.id], send_at, send_email=False, name="Waiting room")
    media = store_upload(
        db.session,
        jpeg_with_gps((3000, 2000)),
        "IMG_1.jpg",
        "Two armchairs by a sunny window",
        media_dir=app.config["MEDIA_DIR"],
    )
    parts = [PartInput("Our new waiting room is open. Come and see it.", [media.id])]
    save_post_draft(db.session, campaign, campaign.sections[0], parts, author, ClinicInfo.from_config(app.config))
    db.session.commit()
    approve_and_schedule(app, campaign, author, reviewer, now)
    for message in campaign.messages:
        message.send_at = now - timedelta(seconds=1)
    db.session.commit()
    return campaign, media.id


def test_a_post_with_an_image_uploads_it_sets_its_alt_text_and_posts_its_media_id(app, fake_x, seed_article_text):
    campaign, media_id = _campaign_with_an_image_post(app, seed_article_text)

    run_due_messages(db.session, WorkerContext.from_config(app.config))

    [uploaded] = fake_x.media
    stored = db.session.get(Campaign, campaign.id)
    assert uploaded.alt_text == "Two armchairs by a sunny window"
    assert uploaded.image_type == "image/jpeg" and uploaded.width == 2400, "the sharper 2x file goes to X"
    media = db.session.get(Media, media_id)
    assert uploaded.data == (Path(app.config["MEDIA_DIR"]) / media.file_2x).read_bytes()
    assert b"ClinicCam" not in uploaded.data, "X gets the stripped file, never the upload"
    [post] = fake_x.posts
    assert post == {
        "id": post["id"],
        "text": "Our new waiting room is open. Come and see it.",
        "in_reply_to": None,
        "media_ids": [uploaded.id],
    }
    assert x_message(stored).status == "sent"
    assert fake_x.violations == []


class DiesWhileTheImagesUpload(XSocialChannel):
    def upload_images(self, images):
        super().upload_images(images)
        raise WorkerDied


def part_statuses(campaign: Campaign) -> list[str]:
    db.session.expire_all()
    return [d.status for d in db.session.query(Delivery).filter_by(message_id=x_message(campaign).id)]


def test_a_worker_stopped_while_the_images_upload_leaves_a_part_the_next_worker_posts_with_nobody_asked(
    app, fake_x, seed_article_text
):
    campaign, _ = _campaign_with_an_image_post(app, seed_article_text)
    dying = WorkerContext.from_config(app.config)
    dying.social_channel.__class__ = DiesWhileTheImagesUpload
    with pytest.raises(WorkerDied):
        run_due_messages(db.session, dying)
    db.session.rollback()
    assert part_statuses(campaign) == [], "nothing in flight: an upload makes no post"
    message = x_message(db.session.get(Campaign, campaign.id))
    message.lease_until = datetime.now(UTC) - timedelta(seconds=1)  # the dead worker's lease runs out
    db.session.commit()

    run_due_messages(db.session, WorkerContext.from_config(app.config))

    [post] = fake_x.posts
    assert post["media_ids"] == [fake_x.media[-1].id], "uploaded again: the dead worker's ids were never kept"
    assert x_message(db.session.get(Campaign, campaign.id)).status == "sent"
    assert part_statuses(campaign) == ["sent"]


def test_images_x_rate_limits_leave_the_part_unposted_for_the_reset_then_it_is_posted(app, fake_x, seed_article_text):
    campaign, _ = _campaign_with_an_image_post(app, seed_article_text)
    fake_x.rate_limit_next(reset_in_seconds=120)

    run_due_messages(db.session, WorkerContext.from_config(app.config))

    message = x_message(db.session.get(Campaign, campaign.id))
    assert message.status == "planned" and "uploading its images" in message.error
    assert part_statuses(campaign) == ["pending"] and fake_x.posts == []
    message.send_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()

    run_due_messages(db.session, WorkerContext.from_config(app.config))

    assert len(fake_x.posts) == 1 and part_statuses(campaign) == ["sent"]
