"""What a person sees for each batch the worker could not settle: what is known, what each button costs, and the
choice the evidence supports; a batch SendGrid's events show delivered to everyone settles itself."""

import uuid

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Delivery, EmailEvent, Message, SendBatch
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.worker.email_settings import PAST_THE_TIMEOUT, small_batches_short_timeout
from tests.worker.processes import add_subscribers, due_campaign


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **small_batches_short_timeout(fake_sendgrid)}


def send(app) -> None:
    run_due_messages(db.session, WorkerContext.from_config(app.config))


def first_batch(message_id: int) -> SendBatch:
    db.session.expire_all()
    return db.session.scalar(select(SendBatch).where(SendBatch.message_id == message_id, SendBatch.number == 1))


def test_a_batch_sendgrid_refused_says_so_and_suggests_resending_which_costs_nothing(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    add_subscribers(app, 3)
    campaign = due_campaign(app, seed_article_text)
    fake_sendgrid.respond_next(503, times=3)
    send(app)

    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)

    assert "SendGrid refused it: it did not go out." in page
    assert "Resend: nobody gets it twice." in page and "Suggested: Resend." in page
    assert "Mark delivered: up to 3 people may never get it." in page


def test_a_batch_whose_answer_never_came_names_both_costs(app, fake_sendgrid, seed_article_text, marketer_client):
    add_subscribers(app, 3)
    campaign = due_campaign(app, seed_article_text)
    fake_sendgrid.hang_next(PAST_THE_TIMEOUT)
    send(app)

    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)

    assert "no answer came: it may or may not have gone out" in page
    assert "Resend: up to 3 people may get it twice." in page
    assert "Mark delivered: up to 3 people may never get it." in page


def record_event(delivery: Delivery, event: str) -> None:
    db.session.add(
        EmailEvent(
            sg_event_id=uuid.uuid4().hex,
            event=event,
            message_id=delivery.message_id,
            delivery_id=delivery.id,
        )
    )


def test_events_for_some_recipients_suggest_marking_delivered_and_for_all_settle_the_batch(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    add_subscribers(app, 3)
    campaign = due_campaign(app, seed_article_text)
    message_id = campaign.messages[0].id
    fake_sendgrid.hang_next(PAST_THE_TIMEOUT)
    send(app)
    deliveries = db.session.scalars(select(Delivery).where(Delivery.batch_id == first_batch(message_id).id)).all()
    record_event(deliveries[0], "delivered")
    db.session.commit()

    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "SendGrid&#39;s events show 1 of its 3 recipients got it" in page
    assert "Suggested: Mark delivered." in page and "Mark delivered: up to 2 people may never get it." in page

    for delivery in deliveries[1:]:
        record_event(delivery, "processed")
    db.session.commit()
    send(app)

    batch = first_batch(message_id)
    assert batch.status == "sent" and "every recipient got it" in batch.error
    assert db.session.get(Message, message_id).sent_count == 3
    assert "batch:delivered-by-events" in db.session.scalars(select(AuditEntry.action))
