"""Click counting: off by default; when on, a newsletter's links go through Tidings' redirect, which counts per-link
totals, stores nothing about the person, and refuses links not in the message."""

import re

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import inspect, select

from service.extensions import db
from service.models import MessageLink
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import due_campaign


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid), "CLICK_COUNTING_ENABLED": True}


def send_campaign(app, seed_article_text):
    for name in ("ann", "ben"):
        add_subscriber(app, f"{name}@example.org")
    campaign = due_campaign(app, seed_article_text)
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    return campaign.messages[0]


def redirect_paths(fake_sendgrid) -> list[str]:
    body = fake_sendgrid.requests[-1].body
    html = next(part["value"] for part in body["content"] if part["type"] == "text/html")
    return sorted(set(re.findall(r'href="https?://[^/"]+(/r/[^"]+)"', html)))


def test_a_click_counts_for_its_link_and_nothing_about_the_person_is_kept(
    app, client, fake_sendgrid, seed_article_text
):
    message = send_campaign(app, seed_article_text)
    paths = redirect_paths(fake_sendgrid)
    assert paths, "the newsletter's outside links go through the redirect"
    for personalization in fake_sendgrid.requests[-1].body["personalizations"]:
        assert not any("/r/" in value for value in personalization.get("substitutions", {}).values())

    first = client.get(paths[0])
    client.get(paths[0])

    link = db.session.scalar(select(MessageLink).where(MessageLink.message_id == message.id).order_by(MessageLink.id))
    db.session.refresh(link)
    assert first.status_code == 302 and first.headers["Location"] == link.url
    assert link.clicks == 2
    assert {column["name"] for column in inspect(db.engine).get_columns("message_links")} == {
        "id",
        "message_id",
        "url",
        "clicks",
    }


def test_the_redirect_refuses_a_link_not_in_the_message_and_a_forged_token(
    app, client, fake_sendgrid, seed_article_text
):
    message = send_campaign(app, seed_article_text)
    link_id = db.session.scalar(select(MessageLink.id).where(MessageLink.message_id == message.id))
    signer = URLSafeSerializer(app.config["SECRET_KEY"], salt="tidings-click")

    other_message = client.get(f"/r/{signer.dumps([message.id + 1, link_id])}")
    no_such_link = client.get(f"/r/{signer.dumps([message.id, link_id + 100])}")
    forged = client.get(f"/r/{URLSafeSerializer('guess', salt='tidings-click').dumps([message.id, link_id])}")

    assert [other_message.status_code, no_such_link.status_code, forged.status_code] == [404, 404, 404]
    assert db.session.scalar(select(MessageLink.clicks).where(MessageLink.id == link_id)) == 0


def test_links_go_straight_to_the_article_while_click_counting_is_off(app, fake_sendgrid, seed_article_text):
    app.config["CLICK_COUNTING_ENABLED"] = False
    send_campaign(app, seed_article_text)

    assert redirect_paths(fake_sendgrid) == []
    assert db.session.scalar(select(MessageLink.id)) is None
