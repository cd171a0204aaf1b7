"""Hidden characters on the review page: a claim written with invisible or look-alike letters blocks the campaign,
and its highlight covers the words as the reader sees them."""

from service.compliance.review import review_with_library, submission_check
from service.web.review import highlight
from tests.factories import campaign_from_sections, make_user

HIDDEN = "Our infusions are 100% s\u200bafe and c\u0430n cure cravings."


def test_a_welcome_email_with_a_hidden_claim_cannot_be_submitted(app, db):
    author = make_user("mara@example.org", "marketer")
    campaign = campaign_from_sections(app, author, [("Welcome", HIDDEN)], send_post=False)
    ctx = app.config
    review = review_with_library(db.session, campaign, ctx)
    body = next(piece for piece in review.pieces if piece.kind == "body")
    rules = {finding.rule for finding in body.findings}
    assert {"absolute-safety", "invisible-characters", "look-alike-letters", "cure-or-permanent-results"} <= rules
    for finding in body.findings:
        assert body.text[finding.start : finding.end] == finding.text
    marked = str(highlight(body.text, body.findings))
    assert 'data-rules="absolute-safety invisible-characters"' in marked
    assert ">s\u200bafe</mark>" in marked
    problems = submission_check(db.session, ctx)(campaign)
    assert any("invisible-characters" in problem for problem in problems)
