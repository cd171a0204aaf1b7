"""The campaign form's schedule: the fields of each kind, the live list of planned sends (JSON, computed as saving
computes them, in the clinic's time), a weekly start off its weekday said plainly, and the channels' error."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from service.models import Campaign
from service.timezones import local_to_utc, utc_to_local
from tests.factories import draft_campaign, import_seed


@pytest.fixture
def article(app, seed_article_text):
    return import_seed(seed_article_text)


def clinic_today(app) -> date:
    return utc_to_local(datetime.now(UTC), app.config["CLINIC_TIMEZONE"]).date()


def next_weekday(app, weekday: int) -> date:
    today = clinic_today(app)
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def campaign_form(article, **overrides) -> dict:
    data = {
        "name": "Winter letter",
        "snippet_ids": [str(article.snippets[1].id)],
        "send_email": "y",
        "email_subject": "Winter at the clinic",
        "topics": ["newsletter"],
        "schedule_kind": "once",
        "send_time": "09:30",
        "every_days": "7",
        "weekday": "1",
    }
    data.update(overrides)
    return data


def field_block(page: str, name: str) -> str:
    """The HTML of the form field `name`'s block (label, input, errors)."""
    pattern = r'<div class="field[^"]*">(?:(?!<div class="field).)*?name="' + name + r'".*?</div>'
    match = re.search(pattern, page, re.S)
    assert match, f"no field {name}"
    return match.group(0)


def test_planned_sends_of_a_drip_are_listed_in_clinic_time_one_per_snippet(app, marketer_client, article):
    start = clinic_today(app) + timedelta(days=3)
    query = {
        "schedule_kind": "drip",
        "start_date": start.isoformat(),
        "send_time": "09:30",
        "every_days": "7",
        "snippet_ids": [str(article.snippets[1].id), str(article.snippets[2].id)],
    }

    answer = marketer_client.get("/campaigns/planned-sends.json", query_string=query).get_json()

    assert answer["error"] is None and answer["timezone"] == "America/Phoenix"
    second = start + timedelta(days=7)
    assert [send["at"] for send in answer["sends"]] == [f"{start}T09:30", f"{second}T09:30"]
    assert [send["step"] for send in answer["sends"]] == [1, 2]
    assert answer["sends"][0]["text"].endswith(", 9:30 AM")


def test_planned_sends_of_a_one_off_are_one_time_without_steps(app, marketer_client, article):
    start = clinic_today(app) + timedelta(days=1)
    query = {"schedule_kind": "once", "start_date": start.isoformat(), "send_time": "16:05", "snippet_ids": ["1", "2"]}

    answer = marketer_client.get("/campaigns/planned-sends.json", query_string=query).get_json()

    assert answer["sends"] == [{"at": f"{start}T16:05", "text": answer["sends"][0]["text"], "step": None}]
    assert "4:05 PM" in answer["sends"][0]["text"]


def test_planned_sends_say_what_is_missing_or_wrong_as_saving_would(app, marketer_client, article):
    nothing = marketer_client.get("/campaigns/planned-sends.json").get_json()
    past = marketer_client.get(
        "/campaigns/planned-sends.json",
        query_string={"start_date": (clinic_today(app) - timedelta(days=1)).isoformat(), "send_time": "09:00"},
    ).get_json()

    assert nothing == {"sends": [], "error": "Enter the date of the first send.", "field": "start_date",
                       "timezone": "America/Phoenix"}  # fmt: skip
    assert past["field"] == "start_date" and "in the past" in past["error"]


def test_a_weekly_start_off_its_weekday_is_said_plainly_live(app, marketer_client, article):
    wednesday = next_weekday(app, 2)
    query = {"schedule_kind": "recurring", "start_date": wednesday.isoformat(), "send_time": "10:00",
             "weekday": "1", "occurrences": "3"}  # fmt: skip

    answer = marketer_client.get("/campaigns/planned-sends.json", query_string=query).get_json()

    assert answer["sends"] == [] and answer["field"] == "start_date"
    assert answer["error"] == (
        f"{wednesday:%B} {wednesday.day}, {wednesday.year} is a Wednesday, but this campaign sends on Tuesdays. "
        "Choose a Tuesday as the first send date, or change the weekday."
    )
    query["start_date"] = (wednesday + timedelta(days=6)).isoformat()  # the Tuesday after
    weekly = marketer_client.get("/campaigns/planned-sends.json", query_string=query).get_json()
    assert [send["at"][:10] for send in weekly["sends"]] == [
        (wednesday + timedelta(days=6 + 7 * week)).isoformat() for week in range(3)
    ]


def test_saving_a_weekly_start_off_its_weekday_is_refused_beside_the_date(app, db, marketer_client, article):
    wednesday = next_weekday(app, 2)
    data = campaign_form(article, schedule_kind="recurring", start_date=wednesday.isoformat(), occurrences="2")

    response = marketer_client.post("/campaigns/new", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is a Wednesday, but this campaign sends on Tuesdays" in field_block(page, "start_date")
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_the_edit_form_lists_the_saved_campaigns_planned_sends_without_script(app, marketer_client, marketer, article):
    start = next_weekday(app, 4)
    first = local_to_utc(start, time(11, 0), app.config["CLINIC_TIMEZONE"])
    snippets = [article.snippets[1].id, article.snippets[2].id]
    campaign = draft_campaign(app, marketer, snippets, first, schedule_kind="drip", every_days=2)

    page = marketer_client.get(f"/campaigns/{campaign.id}/edit").get_data(as_text=True)

    listed = re.findall(r'<time datetime="([^"]+)">', page)
    assert listed == [f"{start}T11:00", f"{start + timedelta(days=2)}T11:00"]
    assert f'data-campaign-id="{campaign.id}"' in page


def test_each_kinds_fields_are_grouped_for_the_script_and_labelled_for_no_script(marketer_client, article):
    page = marketer_client.get("/campaigns/new").get_data(as_text=True)

    drip = re.search(r'data-schedule-kinds="drip">(.*?)</div>\s*</div>', page, re.S).group(1)
    weekly = page.split('data-schedule-kinds="recurring">', 1)[1].split("planned-sends", 1)[0]
    assert 'name="every_days"' in drip and "Every N days (drip)" in drip
    assert 'name="weekday"' in weekly and 'name="occurrences"' in weekly and "(weekly)" in weekly
    assert 'src="/static/schedule-preview.js"' in page
    assert "<script>" not in page, "no inline script (CSP)"


def test_choosing_no_channel_is_said_beside_the_channels(app, marketer_client, article):
    start = clinic_today(app) + timedelta(days=2)
    data = campaign_form(article, start_date=start.isoformat())
    del data["send_email"]

    page = marketer_client.post("/campaigns/new", data=data).get_data(as_text=True)

    channels = page.split("<legend>Channels</legend>", 1)[1].split("</fieldset>", 1)[0]
    assert '<p class="error" id="channels-error">Choose email, X, or both.</p>' in channels
    assert '<fieldset aria-describedby="channels-error"><legend>Channels' in page
    assert "Choose email, X, or both." not in field_block(page, "name")
    assert "Please correct the fields marked below." in page
