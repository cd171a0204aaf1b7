"""`flask campaigns load PATH` and the sample campaigns in campaigns/."""

from sqlalchemy import func, select

from service.models import Campaign
from service.settings import REPO_ROOT


def test_the_sample_campaigns_load_as_drafts_and_loading_again_changes_nothing(runner, db):
    first = runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns")])
    assert first.exit_code == 0, first.output
    campaigns = db.session.scalars(select(Campaign)).all()
    assert len(campaigns) >= 3
    assert {c.status for c in campaigns} == {"draft"}
    assert all(c.sections for c in campaigns)
    second = runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns")])
    assert "already loaded" in second.output
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == len(campaigns)


def test_a_bad_file_loads_nothing_and_names_the_problem(runner, db, tmp_path):
    (tmp_path / "a-good.md").write_text(
        "---\nname: Good\nsubject: Hello\nschedule: {kind: once, start: +3, time: '09:00'}\n---\n# T\n## H\nBody.\n"
    )
    (tmp_path / "b-bad.md").write_text("---\nname: Bad\nschedule: {kind: once, start: someday}\n---\n# T\n## H\nB.\n")
    result = runner.invoke(args=["campaigns", "load", str(tmp_path)])
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
    runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns" / "meet-kap.md")])
    assert db.session.scalar(select(Campaign)).post_template == "short.txt"
