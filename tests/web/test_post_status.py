"""Posts on X that need a person: shown on the campaign page in X's words, resent or skipped, audit-logged."""

from sqlalchemy import select

from service.models import AuditEntry, Delivery, Message
from tests.fakes.x_server import DUPLICATE_DETAIL
from tests.worker.x_posts import due_x_campaign, x_message


def leave_uncertain(db, message: Message, sent_parts: int = 3, total: int = 5) -> None:
    """The state a worker leaves: parts posted, then one whose outcome nobody knows and X does not show."""
    for index in range(sent_parts):
        db.session.add(
            Delivery(message_id=message.id, part_index=index, channel="x", status="sent", provider_id=str(100 + index))
        )
    db.session.add(Delivery(message_id=message.id, part_index=sent_parts, channel="x", status="uncertain"))
    message.status, message.sent_count, message.total_count = "uncertain", sent_parts, total
    message.error = f"part {sent_parts + 1} of {total} may or may not be posted: resend it or skip"
    db.session.commit()


def part_statuses(db, message: Message) -> list[str]:
    return list(
        db.session.scalars(
            select(Delivery.status).where(Delivery.message_id == message.id).order_by(Delivery.part_index)
        )
    )


def actions(db, campaign) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.campaign_id == campaign.id)))


def test_an_uncertain_post_is_shown_with_resend_and_skip(app, db, marketer_client, seed_article_text):
    campaign = due_x_campaign(app, seed_article_text)
    message = x_message(campaign)
    leave_uncertain(db, message)

    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)

    assert "Posts on X that need a person" in page
    assert "part 4 of 5 may or may not be posted" in page
    assert "3 of 5" in page
    assert f"/campaigns/{campaign.id}/messages/{message.id}/resend-post" in page
    assert f"/campaigns/{campaign.id}/messages/{message.id}/skip-post" in page


def test_a_failed_post_shows_xs_own_words_and_can_only_be_resent(app, db, marketer_client, seed_article_text):
    campaign = due_x_campaign(app, seed_article_text)
    message = x_message(campaign)
    message.status, message.error = "failed", f"the post: X refused the post: 403 Forbidden: {DUPLICATE_DETAIL}"
    db.session.commit()

    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)

    assert DUPLICATE_DETAIL in page
    assert "resend-post" in page and "skip-post" not in page


def test_resend_puts_the_part_back_for_the_worker_and_is_audit_logged(app, db, marketer_client, seed_article_text):
    campaign = due_x_campaign(app, seed_article_text)
    message = x_message(campaign)
    leave_uncertain(db, message)
    campaign.status = "sent"  # nothing else was waiting
    db.session.commit()

    response = marketer_client.post(f"/campaigns/{campaign.id}/messages/{message.id}/resend-post")

    assert response.status_code == 302
    db.session.expire_all()
    assert (message.status, message.error) == ("planned", None)
    assert part_statuses(db, message) == ["sent", "sent", "sent", "resend"]
    assert campaign.status == "scheduled"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post:resend"))
    assert entry.actor_label == "Marketer" and "part 4 of 5" in entry.detail


def test_skip_cancels_the_rest_of_the_thread_and_is_audit_logged(app, db, marketer_client, seed_article_text):
    campaign = due_x_campaign(app, seed_article_text)
    campaign.status = "sending"
    message = x_message(campaign)
    leave_uncertain(db, message)

    marketer_client.post(f"/campaigns/{campaign.id}/messages/{message.id}/skip-post")

    db.session.expire_all()
    assert message.status == "cancelled" and "Skipped by Marketer" in message.error
    assert part_statuses(db, message) == ["sent", "sent", "sent", "skipped"]
    assert campaign.status == "sent", "nothing was left to send"
    assert {"post:skipped", "status:sending->sent"} <= set(actions(db, campaign))


def test_decisions_about_a_post_that_needs_none_are_refused(app, db, marketer_client, seed_article_text):
    campaign = due_x_campaign(app, seed_article_text)
    message = x_message(campaign)  # planned

    resent = marketer_client.post(f"/campaigns/{campaign.id}/messages/{message.id}/resend-post", follow_redirects=True)
    skipped = marketer_client.post(f"/campaigns/{campaign.id}/messages/{message.id}/skip-post", follow_redirects=True)

    assert "only an uncertain or failed post can be resent" in resent.get_data(as_text=True)
    assert "only an uncertain post can be skipped" in skipped.get_data(as_text=True)
    db.session.expire_all()
    assert message.status == "planned"
    assert marketer_client.post(f"/campaigns/{campaign.id + 1}/messages/{message.id}/skip-post").status_code == 404


def test_a_post_of_a_cancelled_campaign_cannot_be_resent(app, db, marketer_client, seed_article_text):
    campaign = due_x_campaign(app, seed_article_text)
    message = x_message(campaign)
    leave_uncertain(db, message)
    campaign.status = "cancelled"
    db.session.commit()

    page = marketer_client.post(
        f"/campaigns/{campaign.id}/messages/{message.id}/resend-post", follow_redirects=True
    ).get_data(as_text=True)

    assert "Cannot resend a post of a campaign that is cancelled" in page
    db.session.expire_all()
    assert message.status == "uncertain"
