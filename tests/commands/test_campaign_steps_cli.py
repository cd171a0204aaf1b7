"""A person's steps from the command line (`--as EMAIL`): the same rules and audit entries as the web."""

from sqlalchemy import select

from service.models import AuditEntry, Campaign

CAMPAIGN_FILE = (
    "---\nname: Spring news\nsubject: Hello\nschedule: {kind: once, start: +3, time: '09:00'}\n---\n"
    "# Spring\n## Opening hours\nWe are open on Saturdays in April.\n"
)


def _load(runner, tmp_path, author) -> int:
    """Load the campaign file as written by `author` (campaign files have an author, who cannot approve them)."""
    (tmp_path / "spring.md").write_text(CAMPAIGN_FILE)
    result = runner.invoke(args=["campaigns", "load", str(tmp_path / "spring.md"), "--as", author.email])
    assert result.exit_code == 0, result.output
    return int(result.output.split("\t")[0])


def _step(runner, *args):
    return runner.invoke(args=["campaigns", *[str(a) for a in args]])


def test_campaigns_load_prints_the_id_of_each_campaign(runner, db, tmp_path, marketer):
    campaign_id = _load(runner, tmp_path, marketer)
    assert db.session.get(Campaign, campaign_id).name == "Spring news"
    again = runner.invoke(args=["campaigns", "load", str(tmp_path / "spring.md"), "--as", marketer.email])
    assert again.output.startswith(f"{campaign_id}\t") and "already loaded" in again.output


def test_a_campaign_goes_from_draft_to_cancelled_by_the_command_line_with_each_actor_in_the_audit_log(
    runner, db, tmp_path, marketer, reviewer
):
    campaign_id = _load(runner, tmp_path, marketer)
    steps = [
        ("submit", marketer, "in review"),
        ("approve", reviewer, "approved"),
        ("schedule", marketer, "scheduled"),
        ("pause", marketer, "paused"),
        ("resume", reviewer, "scheduled"),
        ("cancel", marketer, "cancelled"),
    ]
    for step, person, status in steps:
        result = _step(runner, step, campaign_id, "--as", person.email)
        assert result.exit_code == 0, result.output
        assert f"is now {status}" in result.output
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.campaign_id == campaign_id, AuditEntry.action.like("status:%"))
    ).all()
    assert [(e.action, e.actor_id) for e in entries] == [
        ("status:draft->in_review", marketer.id),
        ("status:in_review->approved", reviewer.id),
        ("status:approved->scheduled", marketer.id),
        ("status:scheduled->paused", marketer.id),
        ("status:paused->scheduled", reviewer.id),
        ("status:scheduled->cancelled", marketer.id),
    ]
    assert db.session.get(Campaign, campaign_id).messages


def test_the_command_line_refuses_what_the_web_refuses_and_changes_nothing(runner, db, tmp_path, marketer):
    campaign_id = _load(runner, tmp_path, marketer)
    assert _step(runner, "submit", campaign_id, "--as", marketer.email).exit_code == 0
    refused = _step(runner, "approve", campaign_id, "--as", marketer.email)
    assert refused.exit_code != 0
    assert "reviewer" in refused.output
    assert db.session.get(Campaign, campaign_id).status == "in_review"
    assert "cannot" in _step(runner, "schedule", campaign_id, "--as", marketer.email).output.lower()


def test_an_unknown_account_or_campaign_is_named_plainly(runner, db, tmp_path, marketer):
    campaign_id = _load(runner, tmp_path, marketer)
    assert "No active account" in _step(runner, "submit", campaign_id, "--as", "nobody@example.org").output
    assert "no campaign 999" in _step(runner, "submit", 999, "--as", marketer.email).output
    assert "no such batch" in _step(runner, "resend", campaign_id, 5, "--as", marketer.email).output
    assert "no such batch" in _step(runner, "mark-delivered", campaign_id, 5, "--as", marketer.email).output


def test_subscribers_import_explains_itself(runner):
    result = runner.invoke(args=["subscribers", "import", "--help"])
    assert "consent_date" in result.output and "--commit" in result.output
