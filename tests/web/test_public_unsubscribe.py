"""Leaving: the link in every email, one button, and the RFC 8058 one-click POST; the next send skips the address."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import Subscriber, Suppression
from service.subscribers.erasure import erase_subscriber
from service.subscribers.tokens import make_token
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed
from tests.subscribers.helpers import ONE_CLICK_BODY, path_of

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def send_campaign(app, marketer, reviewer, snippet_id: int, name: str) -> None:
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    campaign = draft_campaign(app, marketer, [snippet_id], send_at, name=name, send_post=False)
    approve_and_schedule(app, campaign, marketer, reviewer, now)
    ctx = WorkerContext.from_config(app.config, clock=lambda: send_at + timedelta(seconds=1))
    run_due_messages(db.session, ctx)


def test_one_click_unsubscribe_and_the_next_send_skips_the_address(
    app, client, marketer, reviewer, seed_article_text, outbox
):
    snippet = import_seed(seed_article_text).snippets[1]
    add_subscriber(app, "ana@example.org")
    add_subscriber(app, "ben@example.org")
    send_campaign(app, marketer, reviewer, snippet.id, "First")
    [to_ana] = outbox.emails_to("ana@example.org")
    url = to_ana.list_unsubscribe_url
    assert url.startswith("https://tidings.test/unsubscribe/")

    # Exactly what a mail provider sends (RFC 8058): no cookie, no CSRF token, this body.
    response = client.post(path_of(url), data=ONE_CLICK_BODY, headers=FORM)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    ana = db.session.scalar(select(Subscriber).where(Subscriber.email == "ana@example.org"))
    assert (ana.status, ana.unsubscribed_at is not None) == ("unsubscribed", True)
    assert db.session.scalar(select(Suppression.email_hash)) == ana.email_hash

    again = client.post(path_of(url), data=ONE_CLICK_BODY, headers=FORM)
    assert again.status_code == 200, "one-click is idempotent"

    send_campaign(app, marketer, reviewer, snippet.id, "Second")
    assert len(outbox.emails_to("ana@example.org")) == 1, "no email after leaving"
    assert len(outbox.emails_to("ben@example.org")) == 2


def test_the_link_opens_a_page_with_one_button(app, client):
    ana = add_subscriber(app, "ana@example.org")
    token = make_token(app.config["SECRET_KEY"], "unsubscribe", ana.id)
    page = client.get(f"/unsubscribe/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<button") == 1 and "Unsubscribe</button>" in html
    assert "a•••@example.org" in html and "ana@example.org" not in html
    assert db.session.get(Subscriber, ana.id).status == "confirmed", "opening the page changes nothing"

    done = client.post(f"/unsubscribe/{token}")
    assert done.status_code == 200
    assert "You are unsubscribed" in done.get_data(as_text=True)
    assert db.session.get(Subscriber, ana.id).status == "unsubscribed"
    assert "You are unsubscribed" in client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    assert "You are unsubscribed" in client.post(f"/unsubscribe/{token}").get_data(as_text=True)


def test_a_bad_unsubscribe_link_is_refused_without_changing_anything(app, client):
    ana = add_subscriber(app, "ana@example.org")
    token = make_token(app.config["SECRET_KEY"], "unsubscribe", ana.id)
    bad = token[:-4] + "AAAA"
    one_click = client.post(f"/unsubscribe/{bad}", data=ONE_CLICK_BODY, headers=FORM)
    assert one_click.status_code == 400
    page = client.get(f"/unsubscribe/{bad}")
    assert page.status_code == 400 and "This link does not work" in page.get_data(as_text=True)
    assert db.session.get(Subscriber, ana.id).status == "confirmed"


def test_leaving_from_a_confirmation_email_stops_further_confirmation_emails(app, client, outbox):
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/subscribe", data={"email": "ana@example.org", "topics": "kap"})
    [confirmation] = outbox.emails
    response = client.post(path_of(confirmation.list_unsubscribe_url), data=ONE_CLICK_BODY, headers=FORM)
    assert response.status_code == 200
    assert db.session.scalar(select(Subscriber.status)) == "unsubscribed"


def test_an_erased_subscribers_old_link_is_answered_quietly(app, client, marketer):
    ana = add_subscriber(app, "ana@example.org")
    token = make_token(app.config["SECRET_KEY"], "unsubscribe", ana.id)
    erase_subscriber(db.session, ana, actor=marketer)
    db.session.commit()
    assert client.post(f"/unsubscribe/{token}", data=ONE_CLICK_BODY, headers=FORM).status_code == 200
    assert "You are unsubscribed" in client.get(f"/unsubscribe/{token}").get_data(as_text=True)
