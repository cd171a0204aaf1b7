"""The confirmation request does not tell a person they subscribed before they have confirmed."""

from service.rendering.clinic import ClinicInfo
from service.subscribers.mail import already_subscribed_email, confirmation_email, welcome_email
from service.subscribers.welcome import WelcomeContent
from tests.factories import add_subscriber


def test_the_confirmation_request_says_why_it_came_without_saying_you_subscribed(app):
    subscriber = add_subscriber(app, "alma@example.org", status="pending")
    clinic = ClinicInfo.from_config(app.config)
    email = confirmation_email(subscriber, clinic, app.config["SECRET_KEY"], max_age_days=7)
    for part in (email.text, email.html):
        assert "because you subscribed" not in part
        assert "someone asked to subscribe this address" in " ".join(part.split())
        assert "not subscribed unless you confirm" in part


def test_emails_to_confirmed_subscribers_keep_because_you_subscribed(app):
    subscriber = add_subscriber(app, "bea@example.org")
    clinic = ClinicInfo.from_config(app.config)
    secret = app.config["SECRET_KEY"]
    welcome = welcome_email(subscriber, clinic, secret, WelcomeContent(subject="Welcome", body="Hello.", enabled=True))
    for email in (already_subscribed_email(subscriber, clinic, secret), welcome):
        assert "because you subscribed" in " ".join(email.html.split()) and "because you subscribed" in email.text
