"""`flask campaigns load PATH --as EMAIL` and the sample campaigns in campaigns/."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from service.campaigns import lifecycle
from service.campaigns.lifecycle import LifecycleError
from service.models import Campaign
from service.settings import REPO_ROOT
from service.timezones import utc_to_local
from tests.factories import make_user

AUTHOR = "writer@example.org"


@pytest.fixture(autouse=True)
def author(app):
    return make_user(AUTHOR, "marketer")


def test_the_sample_campaigns_load_as_drafts_and_loading_again_changes_nothing(runner, db):
    first = runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns"), "--as", AUTHOR])
    assert first.exit_code == 0, first.output
    campaigns = db.session.scalars(select(Campaign)).all()
    assert len(campaigns) >= 3
    assert {c.status for c in campaigns} == {"draft"}
    assert all(c.sections for c in campaigns)
    second = runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns"), "--as", AUTHOR])
    assert "already loaded" in second.output
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == len(campaigns)


def test_a_bad_file_loads_nothing_and_names_the_problem(runner, db, tmp_path):
    (tmp_path / "a-good.md").write_text(
        "---\nname: Good\nsubject: Hello\nschedule: {kind: once, start: +3, time: '09:00'}\n---\n# T\n## H\nBody.\n"
    )
    (tmp_path / "b-bad.md").write_text("---\nname: Bad\nschedule: {kind: once, start: someday}\n---\n# T\n## H\nB.\n")
    result = runner.invoke(args=["campaigns", "load", str(tmp_path), "--as", AUTHOR])
    assert result.exit_code != 0
    assert "b-bad.md" in result.output and "schedule.start" in result.output
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_dev_seed_is_repeatable_and_schedules_the_demo(runner, db):
    for _ in range(2):
        result = runner.invoke(args=["dev", "seed"])
        assert result.exit_code == 0, result.output
    assert "reviewer@example.org" in result.output
    demo = db.session.scalar(select(Campaign).where(Campaign.source_name == "welcome-to-the-newsletter.md"))
    assert demo.status == "scheduled"
    assert len(demo.messages) == 2


def test_a_campaign_file_can_choose_its_post_template(runner, db):
    runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns" / "meet-kap.md"), "--as", AUTHOR])
    assert db.session.scalar(select(Campaign)).post_template == "short.txt"


def test_loaded_campaigns_are_written_by_the_account_named_and_it_may_not_approve_them(runner, db, author):
    result = runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns" / "meet-kap.md"), "--as", AUTHOR])
    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(select(Campaign))
    assert campaign.created_by_id == author.id
    campaign.status = "in_review"
    author.role = "reviewer"
    with pytest.raises(LifecycleError, match="You wrote this campaign"):
        lifecycle.approve(db.session, campaign, author, allow_self_approval=False)


def test_loading_needs_an_existing_author(runner, db):
    path = str(REPO_ROOT / "campaigns" / "meet-kap.md")
    missing = runner.invoke(args=["campaigns", "load", path])
    assert missing.exit_code != 0 and "--as" in missing.output
    unknown = runner.invoke(args=["campaigns", "load", path, "--as", "nobody@example.org"])
    assert unknown.exit_code != 0 and "no account has the address" in unknown.output
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_a_campaign_without_an_author_cannot_be_approved(runner, db):
    runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns" / "meet-kap.md"), "--as", AUTHOR])
    campaign = db.session.scalar(select(Campaign))
    campaign.created_by_id, campaign.status = None, "in_review"
    reviewer = make_user("reviewer-two@example.org", "reviewer")
    with pytest.raises(LifecycleError, match="no author on record"):
        lifecycle.approve(db.session, campaign, reviewer, allow_self_approval=True)
    assert campaign.status == "in_review"


WEEKLY_FILE = "---\nname: Weekly\nsubject: Hello\nschedule: {kind: recurring, start: %s, time: '09:00', weekday: tuesday, occurrences: 2}\n---\n# T\n## H\nBody.\n"  # noqa: E501


def test_a_weekly_file_starting_in_n_days_starts_on_its_weekday_from_then(app, runner, db, tmp_path):
    (tmp_path / "weekly.md").write_text(WEEKLY_FILE % "+3")

    result = runner.invoke(args=["campaigns", "load", str(tmp_path), "--as", AUTHOR])

    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(select(Campaign))
    assert campaign.start_date.weekday() == 1
    clinic_today = utc_to_local(datetime.now(UTC), app.config["CLINIC_TIMEZONE"]).date()
    assert 3 <= (campaign.start_date - clinic_today).days <= 9


def test_a_weekly_file_dated_off_its_weekday_is_refused_plainly(runner, db, tmp_path):
    (tmp_path / "weekly.md").write_text(WEEKLY_FILE % "2031-05-07")  # a Wednesday

    result = runner.invoke(args=["campaigns", "load", str(tmp_path), "--as", AUTHOR])

    assert result.exit_code != 0
    assert "May 7, 2031 is a Wednesday, but this campaign sends on Tuesdays" in result.output
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0
