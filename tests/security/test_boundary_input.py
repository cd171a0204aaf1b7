"""Control characters and stray line breaks are refused once, at the boundary (forms, CSV, JSON), with an error
beside the field and what was typed kept: NUL would 500 on PostgreSQL, U+2028 in a subject broke every page."""

import inspect
import io
from datetime import UTC, datetime, timedelta

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from service.campaigns import lifecycle
from service.models import Campaign, Subscriber
from service.text_input import normalised_line_breaks, text_problem
from service.timezones import utc_to_local
from service.web.forms import BoundaryForm
from tests.factories import draft_campaign, import_seed

CSV_HEADER = "email,first_name,topics,consent_date,consent_source\n"


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\x7f", "\x9b"])
def test_a_control_character_in_a_name_is_a_field_error_on_the_signup_form(app, db, client, bad):
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post(
        "/subscribe", data={"email": "ana@example.org", "first_name": f"An{bad}a", "topics": ["newsletter"]}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Remove the control character" in page
    assert 'value="ana@example.org"' in page
    assert count(db, Subscriber) == 0


def test_nul_in_json_signup_is_a_field_error(client, db):
    response = client.post(
        "/api/subscribe", json={"email": "ana@example.org", "first_name": "A\x00", "topics": ["kap"]}
    )
    assert response.status_code == 400
    assert "control character" in response.get_json()["errors"]["first_name"]
    assert count(db, Subscriber) == 0


def test_a_line_break_in_a_json_email_is_refused(client):
    response = client.post("/api/subscribe", json={"email": "ana@example.org\u2028", "topics": ["kap"]})
    assert response.status_code == 400
    assert "single line" in response.get_json()["errors"]["email"]


def test_a_csv_with_nul_in_a_name_is_not_clean(app, db, as_role):
    client = as_role("marketer")
    upload = CSV_HEADER + "ana@example.org,An\x00a,newsletter,2026-01-05,paper form\n"
    response = client.post("/subscribers/import", data={"upload": (io.BytesIO(upload.encode()), "list.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "first_name: Remove the control character (U+0000)" in page
    assert "Confirm import" not in page
    assert count(db, Subscriber) == 0


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\n"])
def test_a_line_separator_in_a_subject_is_refused_and_the_campaign_not_saved(
    app, db, as_role, seed_article_text, separator
):
    client = as_role("marketer")
    article = import_seed(seed_article_text)
    tomorrow = utc_to_local(datetime.now(UTC) + timedelta(days=1), app.config["CLINIC_TIMEZONE"])
    response = client.post(
        "/campaigns/new",
        data={
            "name": "Spring newsletter",
            "snippet_ids": [str(article.snippets[1].id)],
            "send_email": "y",
            "email_subject": f"Spring{separator}at the clinic",
            "topics": ["newsletter"],
            "schedule_kind": "once",
            "start_date": tomorrow.strftime("%Y-%m-%d"),
            "send_time": tomorrow.strftime("%H:%M"),
            "every_days": "7",
            "weekday": "1",
        },
    )
    assert response.status_code in (200, 400)
    assert "single line" in response.get_data(as_text=True)
    assert count(db, Campaign) == 0


def test_text_areas_keep_line_breaks_and_read_u2028_as_one():
    assert text_problem("one\r\ntwo\tthree", multiline=True) is None
    assert text_problem("one\u2028two", multiline=True) is None
    assert normalised_line_breaks("one\u2028two\u2029three") == "one\ntwo\nthree"
    assert text_problem("one\x00two", multiline=True)
    assert text_problem("one\ttwo")  # a one-line field holds no tab either


def test_every_form_of_ours_checks_at_the_boundary():
    """A new form must inherit BoundaryForm, or its fields skip the check: this names any that does not."""
    import service.web as web_package

    forms = []
    for module_name in dir(web_package):
        module = getattr(web_package, module_name)
        if inspect.ismodule(module):
            forms += [
                f"{module.__name__}.{name}"
                for name, value in vars(module).items()
                if inspect.isclass(value)
                and issubclass(value, FlaskForm)
                and value.__module__ == module.__name__
                and not issubclass(value, BoundaryForm)
            ]
    assert forms == []


@pytest.mark.parametrize("url", ["/campaigns/{id}/review/send-back", "/campaigns/{id}/send-back"])
def test_a_nul_in_a_send_back_comment_is_refused_with_a_message(app, db, as_role, staff, seed_article_text, url):
    article = import_seed(seed_article_text)
    campaign = draft_campaign(app, staff["marketer"], [article.snippets[1].id], datetime.now(UTC) + timedelta(days=1))
    lifecycle.submit_for_review(db.session, campaign, staff["marketer"])
    db.session.commit()
    client = as_role("reviewer")
    response = client.post(url.format(id=campaign.id), data={"comment": "Fix\x00this"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Comment: Remove the control character (U+0000)" in response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.status == "in_review"
