"""Every (campaign status, action) pair of the lifecycle: an allowed action reaches its status and writes the audit
entry; a refused one raises LifecycleError and changes nothing, audit log included."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.campaigns import lifecycle
from service.campaigns.lifecycle import ACTIONS, LifecycleError, allowed_actions
from service.extensions import db
from service.models import AuditEntry, Campaign
from service.models.statuses import CampaignStatus
from tests.factories import draft_campaign, import_seed

S = CampaignStatus
# What each status allows, written out: the table the lifecycle must implement (and the pages show as buttons).
EXPECTED_ACTIONS = {
    S.DRAFT: {"edit", "submit", "cancel"},
    S.IN_REVIEW: {"edit", "approve", "send-back", "cancel"},
    S.APPROVED: {"edit", "schedule", "cancel"},
    S.SCHEDULED: {"edit", "pause", "cancel"},
    S.SENDING: {"pause", "cancel"},
    S.PAUSED: {"edit", "resume", "cancel"},
    S.SENT: set(),
    S.CANCELLED: set(),
}
EXPECTED_STATUS_AFTER = {
    "edit": S.DRAFT,
    "submit": S.IN_REVIEW,
    "approve": S.APPROVED,
    "send-back": S.DRAFT,
    "schedule": S.SCHEDULED,
    "pause": S.PAUSED,
    "resume": S.SCHEDULED,
    "cancel": S.CANCELLED,
}


def run_action(app, name: str, campaign: Campaign, marketer, reviewer) -> None:
    now = datetime.now(UTC)
    calls = {
        "edit": lambda: lifecycle.mark_edited(db.session, campaign, marketer),
        "submit": lambda: lifecycle.submit_for_review(db.session, campaign, marketer),
        "approve": lambda: lifecycle.approve(db.session, campaign, reviewer, allow_self_approval=False),
        "send-back": lambda: lifecycle.send_back(db.session, campaign, reviewer, "Say it more plainly."),
        "schedule": lambda: lifecycle.schedule(
            db.session, campaign, reviewer, tz_name=app.config["CLINIC_TIMEZONE"], now=now
        ),
        "pause": lambda: lifecycle.pause(db.session, campaign, marketer),
        "resume": lambda: lifecycle.resume(db.session, campaign, marketer),
        "cancel": lambda: lifecycle.cancel(db.session, campaign, marketer),
    }
    calls[name]()


def audit_actions(campaign: Campaign) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.campaign_id == campaign.id).order_by(AuditEntry.id)
        )
    )


def test_the_table_covers_every_status_and_action():
    assert set(EXPECTED_ACTIONS) == set(CampaignStatus)
    assert set(EXPECTED_STATUS_AFTER) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("status", list(CampaignStatus))
def test_each_action_in_each_status(app, marketer, reviewer, seed_article_text, status, action):
    article = import_seed(seed_article_text)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], datetime.now(UTC) + timedelta(days=1))
    campaign.status = status  # set directly: the state under test, whatever path led to it
    db.session.commit()
    before = audit_actions(campaign)

    assert (action in allowed_actions(campaign)) is (action in EXPECTED_ACTIONS[status])
    if action in EXPECTED_ACTIONS[status]:
        run_action(app, action, campaign, marketer, reviewer)
        db.session.commit()
        after = EXPECTED_STATUS_AFTER[action]
        assert campaign.status == after
        # An edit of a draft keeps it a draft: the audit says it was edited rather than a status change.
        written = "edited" if status == after == S.DRAFT and action == "edit" else f"status:{status}->{after}"
        assert audit_actions(campaign) == [*before, written]
    else:
        with pytest.raises(LifecycleError, match="Cannot"):
            run_action(app, action, campaign, marketer, reviewer)
        db.session.rollback()
        db.session.refresh(campaign)
        assert campaign.status == status
        assert audit_actions(campaign) == before


@pytest.mark.parametrize("status", list(CampaignStatus))
def test_a_move_outside_the_transitions_is_refused_and_changes_nothing(app, marketer, seed_article_text, status):
    article = import_seed(seed_article_text)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], datetime.now(UTC) + timedelta(days=1))
    campaign.status = status
    db.session.commit()
    before = audit_actions(campaign)
    for target in set(CampaignStatus) - lifecycle.TRANSITIONS[status] - {status}:
        with pytest.raises(LifecycleError):
            lifecycle.transition(db.session, campaign, target, None)
        assert campaign.status == status
    assert audit_actions(campaign) == before
    db.session.rollback()


def test_the_database_refuses_a_status_that_is_not_one(app, marketer, seed_article_text):
    article = import_seed(seed_article_text)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], datetime.now(UTC) + timedelta(days=1))
    campaign.status = "finished"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
