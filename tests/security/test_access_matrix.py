"""Access control as data: every route of app.url_map, for each of anonymous, marketer, reviewer and admin, gives
the answer the matrix below says. A route missing from the matrix fails the test by name: add a row for it.

Answers: "ok" (the role may use the route: any answer but a login redirect or 403), "login" (sent to log in),
"403" (refused). A row is (anonymous, marketer, reviewer, admin); for a route whose methods differ, a dict of
method -> row. Rows are requested with sample values for the route's arguments (ids that do not exist, so a
404 after the access check counts as "ok") and empty bodies, CSRF off.
"""

import pytest

ROLES = ("anonymous", "marketer", "reviewer", "admin")
STAFF = ("login", "ok", "ok", "ok")
MANAGERS = ("login", "ok", "403", "ok")
ADMINS = ("login", "403", "403", "ok")
EDITORS = MANAGERS  # admins and marketers: the blog feed's recipe, media uploads, posts on X
REVIEWERS = ("login", "403", "ok", "ok")  # the claims library's proposals and decisions
PUBLIC = ("ok", "ok", "ok", "ok")

# endpoint -> row, or {method: row}. Keep it sorted; one line per endpoint merges cleanly.
MATRIX: dict[str, tuple | dict] = {
    "account.review_emails": STAFF,
    "account.show": STAFF,
    "account.two_factor": STAFF,
    "articles.archive": STAFF,
    "articles.import_form": STAFF,
    "articles.index": STAFF,
    "articles.show": STAFF,
    "audit.index": STAFF,
    "auth.code": PUBLIC,  # the second step of a login in progress; without one it sends you back to log in
    "auth.login": PUBLIC,
    "auth.logout": STAFF,
    "calendar.index": STAFF,
    "calendar.move": STAFF,
    "calendar.move_form": STAFF,
    "calendar.sends": STAFF,
    "campaign_posts.edit": EDITORS,
    "campaign_posts.live_preview": EDITORS,
    "campaigns.act": STAFF,
    "campaigns.archive": STAFF,
    "campaigns.duplicate": STAFF,
    "campaigns.edit": STAFF,
    "campaigns.index": STAFF,
    "campaigns.new": STAFF,
    "campaigns.planned_sends": STAFF,
    "campaigns.preview": STAFF,
    "campaigns.preview_email": STAFF,
    "campaigns.show": STAFF,
    "clicks.follow": PUBLIC,  # readers follow newsletter links without an account (a bad token is a 404)
    "composer.edit": STAFF,
    "composer.live": STAFF,
    "composer.new_step": STAFF,
    "composer.save": STAFF,
    "composer.take_new": STAFF,
    "deliverability.index": STAFF,
    "deliverability.release": ADMINS,
    "email_status.mark_batch_delivered": STAFF,
    "email_status.resend": STAFF,
    "email_status.test_send": STAFF,
    "feed.index": STAFF,
    "feed.recipe": EDITORS,
    "growth.show": MANAGERS,
    "health.healthz": PUBLIC,
    "library.approve": REVIEWERS,
    "library.change": REVIEWERS,
    "library.index": STAFF,
    "library.new": REVIEWERS,
    "library.reject": REVIEWERS,
    "library.retire": REVIEWERS,
    "library.show": STAFF,
    "media.index": STAFF,
    "media.stored_file": PUBLIC,  # images in emails: readers fetch them without an account
    "media.upload": EDITORS,
    "outbox.email_html": ADMINS,
    "outbox.index": ADMINS,
    "outbox.show_email": ADMINS,
    "pages.home": STAFF,  # the app opens on home; anonymous visitors are sent to log in
    "posts.preview": STAFF,
    "progress.show": STAFF,
    "public.api_subscribe": PUBLIC,
    "public.check_your_email": PUBLIC,
    "public.confirm_subscription": PUBLIC,
    "public.preferences": PUBLIC,
    "public.subscribe": PUBLIC,
    "public.unsubscribe_page": PUBLIC,
    "recovery.resend_uncertain_post": STAFF,
    "recovery.send_now": STAFF,
    "recovery.skip": STAFF,
    "recovery.skip_uncertain_post": STAFF,
    "reports.export": STAFF,
    "reports.export_posts": STAFF,
    "reports.show": STAFF,
    "review.accept": STAFF,
    "review.approve": STAFF,
    "review.comment": STAFF,
    "review.link": STAFF,
    "review.references": STAFF,
    "review.reply": STAFF,
    "review.send_back": STAFF,
    "review.show": STAFF,
    "review.submit": STAFF,
    "review_queue.index": STAFF,
    "static": PUBLIC,
    "subscribers.audience_size_json": STAFF,
    "subscribers.erase": MANAGERS,
    "subscribers.export": MANAGERS,
    "subscribers.import_commit": MANAGERS,
    "subscribers.import_progress": MANAGERS,
    "subscribers.import_status": MANAGERS,
    "subscribers.import_upload": MANAGERS,
    "subscribers.index": MANAGERS,
    "subscribers.search": MANAGERS,
    "subscribers.show": MANAGERS,
    "subscribers.welcome": MANAGERS,
    "team.change_role": ADMINS,
    "team.deactivate": ADMINS,
    "team.forgot": PUBLIC,
    "team.index": ADMINS,
    "team.invite": ADMINS,
    "team.join": PUBLIC,  # the invitation's signed link is the key
    "team.reactivate": ADMINS,
    "team.resend": ADMINS,
    "team.reset": PUBLIC,  # the reset email's signed link is the key
    # Signed by SendGrid or refused, whoever is logged in.
    "webhooks.sendgrid_events": ("403", "403", "403", "403"),
}

SAMPLE_VALUES = {"filename": "app.css", "token": "not-a-token", "upload_id": "A" * 22, "action": "pause"}


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tidings.db'}"


def _routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route and method, logout last (it ends the session being tested)."""
    routes = []
    for rule in app.url_map.iter_rules():
        values = {name: SAMPLE_VALUES.get(name, "1") for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    return sorted(routes, key=lambda route: route[0] == "auth.logout")


def _expected(endpoint: str, method: str, role: str) -> str:
    row = MATRIX[endpoint]
    if isinstance(row, dict):
        row = row[method]
    return row[ROLES.index(role)]


def _answer(response) -> str:
    # Flask-Login's redirect names the page asked for (a logout's own redirect to the login page does not).
    if response.status_code == 302 and "/login?next=" in response.headers.get("Location", ""):
        return "login"
    if response.status_code == 403:
        return "403"
    assert response.status_code < 500, response.status_code
    return "ok"


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, f"routes missing from the access matrix (add a row for each): {', '.join(missing)}"
    stale = sorted(set(MATRIX) - endpoints)
    assert not stale, f"rows for routes that no longer exist: {', '.join(stale)}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_answers_the_matrix_says(app, as_role, role):
    client = as_role(None if role == "anonymous" else role)
    wrong = []
    for endpoint, method, url in _routes(app):
        if endpoint not in MATRIX:
            continue  # named by test_every_route_is_in_the_matrix
        response = client.open(url, method=method)
        response.close()
        got, expected = _answer(response), _expected(endpoint, method, role)
        if got != expected:
            wrong.append(f"{method} {url} ({endpoint}): {got}, expected {expected}")
    assert wrong == []
