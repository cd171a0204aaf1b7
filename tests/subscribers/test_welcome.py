"""The welcome email: sent right after confirmation, in the standard layout and footer, editable and switchable."""

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, EmailTemplate
from service.subscribers.tokens import make_token
from tests.factories import add_subscriber
from tests.subscribers.helpers import path_of


def confirm_new_subscriber(app, client, address="ana@example.org", first_name="Ana"):
    subscriber = add_subscriber(app, address, status="pending", first_name=first_name, topics=("kap",))
    client.post(f"/confirm/{make_token(app.config['SECRET_KEY'], 'confirm', subscriber.id)}")
    return subscriber


def test_a_welcome_email_follows_confirmation_with_the_standard_footer(app, client, outbox):
    confirm_new_subscriber(app, client)
    [welcome] = outbox.emails_to("ana@example.org")
    assert welcome["Subject"] == "Welcome to Daytryp Health updates"
    text, html = welcome.text, welcome.html
    assert text.startswith("Hi Ana,")
    assert "Thank you for confirming" in text
    for footer_part in ("Important safety information", "988", "Daytryp Health LLC", "123 Example Street"):
        assert footer_part in text and footer_part in html
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert welcome.list_unsubscribe_url == welcome.link("/unsubscribe/")
    assert "Ketamine-assisted psychotherapy (KAP)" in text
    assert client.get(path_of(welcome.link("/preferences/"))).status_code == 200


def test_marketers_edit_the_welcome_email_and_can_turn_it_off(app, client, marketer_client, outbox):
    page = marketer_client.get("/subscribers/welcome-email").get_data(as_text=True)
    assert "Welcome to Daytryp Health updates" in page

    response = marketer_client.post(
        "/subscribers/welcome-email",
        data={"enabled": "y", "subject": "Hello from the clinic", "body": "First <b>paragraph</b>.\r\n\r\nSecond one."},
    )
    assert response.status_code == 302
    confirm_new_subscriber(app, client)
    [welcome] = outbox.emails_to("ana@example.org")
    assert welcome["Subject"] == "Hello from the clinic"
    assert "First &lt;b&gt;paragraph&lt;/b&gt;.</p>" in welcome.html, "marketer text is escaped"
    assert "Second one." in welcome.text

    marketer_client.post("/subscribers/welcome-email", data={"subject": "Hello from the clinic", "body": "Hi."})
    assert db.session.get(EmailTemplate, "welcome").enabled is False
    confirm_new_subscriber(app, client, "ben@example.org", "Ben")
    assert outbox.emails_to("ben@example.org") == []
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("welcome_email:saved") == 2


def test_the_claims_check_blocks_a_welcome_text_that_promises_a_cure(app, marketer_client):
    response = marketer_client.post(
        "/subscribers/welcome-email",
        data={"enabled": "y", "subject": "Welcome", "body": "Ketamine cures addiction."},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The claims check blocks this text" in page
    assert '<span class="status status-failed">block</span> “cures' in page
    assert db.session.get(EmailTemplate, "welcome") is None
    assert "Ketamine cures addiction.</textarea>" in page, "what was typed is kept"


def test_the_default_switch_comes_from_the_settings(app, client, outbox):
    app.config["WELCOME_EMAIL_ENABLED"] = False
    confirm_new_subscriber(app, client)
    assert outbox.emails_to("ana@example.org") == []


def test_reviewers_cannot_change_the_welcome_email(client, as_user):
    as_user("reviewer")
    assert client.get("/subscribers/welcome-email").status_code == 403
