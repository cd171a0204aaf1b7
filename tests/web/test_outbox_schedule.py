"""The outbox (development) shows when a handed-over email is scheduled to arrive."""

from datetime import UTC, datetime, timedelta

from service.channels.email.base import HandOver, OutgoingEmail, Recipient
from service.channels.registry import email_channel_for


def test_the_outbox_lists_a_handed_over_email_with_its_scheduled_time(app, client, as_user):
    as_user("admin")  # the outbox shows addresses: admins only
    channel = email_channel_for(app.config)
    send_at = datetime(2031, 5, 6, 16, 0, tzinfo=UTC)
    email = OutgoingEmail(subject="Hello", html="<p>Hi</p>", text="Hi")
    channel.send_batch(email, [Recipient("reader@example.org")], None, HandOver(channel.new_handover_id(), send_at))
    channel.send_batch(email, [Recipient("other@example.org")])

    page = client.get("/outbox").get_data(as_text=True)

    assert "Tue May 6, 2031 9:00 AM" in page and "at once" in page


def test_cancelling_a_handed_over_batch_removes_it_from_the_outbox(app, client, as_user):
    as_user("admin")  # the outbox shows addresses: admins only
    channel = email_channel_for(app.config)
    handover = HandOver(channel.new_handover_id(), datetime.now(UTC) + timedelta(hours=1))
    channel.send_batch(OutgoingEmail(subject="Gone", html="x", text="x"), [Recipient("a@example.org")], None, handover)

    channel.cancel_handover(handover.batch_id)

    assert "Gone" not in client.get("/outbox").get_data(as_text=True)
