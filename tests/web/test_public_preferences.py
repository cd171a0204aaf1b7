"""The preferences page: a signed link to change topics or leave; coming back needs a fresh confirmation."""

import re

from sqlalchemy import select

from service.extensions import db
from service.models import Subscriber
from service.subscribers.tokens import make_token
from tests.factories import add_subscriber
from tests.subscribers.helpers import path_of


def preferences_path(app, subscriber) -> str:
    return f"/preferences/{make_token(app.config['SECRET_KEY'], 'preferences', subscriber.id)}"


def test_changing_topics_and_name(app, client):
    ana = add_subscriber(app, "ana@example.org", topics=("newsletter",), first_name="Ana")
    path = preferences_path(app, ana)
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="newsletter"', page)
    assert not re.search(r'<input checked[^>]*value="kap"', page)
    assert "a•••@example.org" in page and "ana@example.org" not in page

    response = client.post(path, data={"first_name": "Ana M.", "topics": ["kap", "events"], "action": "save"})
    assert "Your preferences are saved." in response.get_data(as_text=True)
    db.session.expire_all()
    assert (ana.topics, ana.first_name, ana.status) == (["events", "kap"], "Ana M.", "confirmed")

    none = client.post(path, data={"topics": [], "action": "save"})
    assert "Choose at least one topic." in none.get_data(as_text=True)
    db.session.expire_all()
    assert ana.topics == ["events", "kap"]


def test_leaving_from_the_preferences_page(app, client):
    ana = add_subscriber(app, "ana@example.org")
    page = client.get(preferences_path(app, ana)).get_data(as_text=True)
    assert 'action="https://tidings.test/unsubscribe/' in page
    action = page.split('action="https://tidings.test', 1)[1].split('"', 1)[0]
    assert "You are unsubscribed" in client.post(action).get_data(as_text=True)
    assert db.session.get(Subscriber, ana.id).status == "unsubscribed"


def test_coming_back_needs_a_fresh_confirmation(app, client, outbox):
    ana = add_subscriber(app, "ana@example.org")
    path = preferences_path(app, ana)
    client.post(f"/unsubscribe/{make_token(app.config['SECRET_KEY'], 'unsubscribe', ana.id)}")
    page = client.get(path).get_data(as_text=True)
    assert "Subscribe again" in page

    response = client.post(path, data={"topics": ["kap"], "action": "resubscribe"})
    assert "We sent a confirmation link" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (ana.status, ana.topics) == ("pending", ["kap"]), "not back in any audience yet"

    [confirmation] = outbox.emails_to("ana@example.org")
    client.post(path_of(confirmation.link("/confirm/")))
    db.session.expire_all()
    assert ana.status == "confirmed"


def test_a_bad_preferences_link_gets_a_friendly_page(app, client):
    response = client.get("/preferences/not-a-token")
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert db.session.scalar(select(Subscriber)) is None
