"""Every staff page, at a phone's width (390 px) and through axe-core: no page wider than the screen, no serious or
critical accessibility violation.

The pages come from the app's url_map (every GET route), so a page added later is swept too; a route with an
argument this file has no value for fails the test and says so. Fixtures make one of each object the pages show.
"""

import io
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import url_for

from service.articles.store import import_article
from service.compliance.review_comments import comment_on_section, reply_to
from service.extensions import db
from service.media.library import store_upload
from service.models import User
from service.subscribers import import_jobs, uploads
from service.timezones import local_to_utc, utc_to_local
from tests.browser.logins import PASSWORD
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, library_claim, make_user
from tests.media.images import image_bytes

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("serious", "critical")
# Not staff pages: reached from an email by people outside the team, or machine answers (JSON, CSV, files).
NOT_STAFF_PAGES = {
    "static",
    "health.healthz",
    "public.confirm_subscription",
    "public.preferences",
    "public.unsubscribe_page",
    "public.subscribe",
    "public.check_your_email",
    "team.join",
    "team.reset",
    "team.forgot",
    "auth.login",
    "auth.code",
    "account.two_factor",  # only reached while setting up two-factor login
    "clicks.follow",  # a counted link's redirect, followed by readers from an email
}
# Pages merged from other branches before their sweep fix, each with what the sweep found on it: listed, never
# silently passed. Each line goes once its page is fixed (or given a fixture value). Empty: every page is swept.
NOT_YET_SWEPT: dict[str, str] = {}
ARTICLE = """# After your session

## Resting afterwards
You rest in a quiet room until you feel steady.

## Getting home
Someone drives you home; no driving that day.
"""


@pytest.fixture
def one_of_each(live_server, tmp_path):
    """An admin, an article, a scheduled campaign, a subscriber, an email in the outbox, a library claim, an image
    in the media library and a large import the worker is checking: URL arguments."""
    app = live_server.app
    app.config["SUBSCRIBER_IMPORT_DIR"] = str(tmp_path / "imports")
    tz = app.config["CLINIC_TIMEZONE"]
    with app.app_context():
        admin = make_user("admin@example.org", "admin", PASSWORD)
        reviewer = make_user("reviewer@example.org", "reviewer", PASSWORD)
        article = import_article(db.session, ARTICLE, filename="after.md").article
        db.session.commit()
        today = utc_to_local(datetime.now(UTC), tz).date()
        campaign = draft_campaign(
            app,
            admin,
            [s.id for s in article.snippets],
            local_to_utc(today + timedelta(days=2), time(9), tz),
            name="Aftercare",
            schedule_kind="drip",
            every_days=7,
        )
        approve_and_schedule(app, campaign, admin, reviewer, datetime.now(UTC))
        # A comment thread, so the review and campaign pages are swept showing one.
        comment = comment_on_section(db.session, campaign, campaign.sections[0].id, "Name the nurse?", reviewer)
        reply_to(db.session, campaign, comment.id, "In the next step.", admin)
        db.session.commit()
        subscriber = add_subscriber(app, "alma@example.org", first_name="Alma")
        claim = library_claim(reviewer, admin, "Ketamine therapy is given under medical supervision.")
        image = store_upload(
            db.session, image_bytes("PNG"), "room.png", "A quiet treatment room", media_dir=app.config["MEDIA_DIR"]
        )
        db.session.commit()
        send_at = campaign.messages[0].send_at.isoformat()
        values = {
            "article_id": article.id,
            "campaign_id": campaign.id,
            "subscriber_id": subscriber.id,
            "position": 0,
            "name": _outbox_email(Path(app.config["OUTBOX_DIR"])),
            "user_id": admin.id,
            "claim_id": claim.id,
            "upload_id": _queued_import(app, admin),
        }
        email = db.session.get(User, admin.id).email
        image_file = image.file_1x
    return {
        "admin": email,
        "values": values,
        # Where two routes name an argument alike: the outbox's email is "name", so is a stored image file.
        "values_for": {"media.stored_file": {"name": image_file}},
        "query": {
            "calendar.move_form": f"?send_at={quote(send_at)}",
            "calendar.sends": f"?start={today.isoformat()}&end={(today + timedelta(days=35)).isoformat()}",
        },
    }


def _queued_import(app, actor: User) -> str:
    """A CSV upload too large to check while waiting, queued for the worker (which is not running): its page."""
    folder = app.config["SUBSCRIBER_IMPORT_DIR"]
    upload_id = uploads.save_upload(folder, io.BytesIO(b"email,first_name\nbo@example.org,Bo\n"))
    import_jobs.queue_check(db.session, upload_id, "subscribers.csv", folder, actor)
    db.session.commit()
    return upload_id


def _outbox_email(outbox: Path) -> str:
    message = EmailMessage()
    message["Subject"], message["To"], message["From"] = (
        "News from the clinic",
        "alma@example.org",
        "clinic@example.org",
    )
    message.set_content("Hello Alma,\n\nNews.\n")
    # As templates/email/_layout.html makes them: a whole document with its language and title.
    html = '<!DOCTYPE html><html lang="en"><head><title>News</title></head><body><p>Hello Alma,</p></body></html>'
    message.add_alternative(html, subtype="html")
    (outbox / "email").mkdir(parents=True, exist_ok=True)
    (outbox / "email" / "sample.eml").write_bytes(bytes(message))
    return "sample"


def staff_pages(app, values: dict, values_for: dict, query: dict) -> tuple[list[str], list[str]]:
    """(paths to visit, problems): one path per GET route not in NOT_STAFF_PAGES; `values_for` an endpoint wins
    over `values` for it."""
    paths, problems = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_STAFF_PAGES or rule.endpoint in NOT_YET_SWEPT:
            continue
        known = {**values, **values_for.get(rule.endpoint, {})}
        unknown = sorted(set(rule.arguments) - set(known))
        if unknown:
            problems.append(f"{rule.rule}: no fixture value for {', '.join(unknown)} (add one to one_of_each)")
            continue
        with app.test_request_context():
            paths.append(url_for(rule.endpoint, **{a: known[a] for a in rule.arguments}) + query.get(rule.endpoint, ""))
    return paths, problems


def test_every_staff_page_fits_a_phone_and_passes_axe(live_server, one_of_each, browser):
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = live_server.url
    page.goto(f"{base}/login")
    page.fill("input[name=email]", one_of_each["admin"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")  # login lands on the home page
    paths, problems = staff_pages(
        live_server.app, one_of_each["values"], one_of_each["values_for"], one_of_each["query"]
    )
    assert len(paths) > 20, paths
    axe = AXE.read_text()
    for path in paths:
        answer = page.request.get(base + path)  # the page's cookies, without starting a download
        if answer.status >= 400:
            problems.append(f"{path}: HTTP {answer.status}")
            continue
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue  # a JSON, CSV or file answer is not a page (it answered, which is all it is checked for)
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            wide = page.evaluate(
                """() => Array.from(document.querySelectorAll('body *'))
                  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                  .filter(e => !e.parentElement.closest('.table-scroll, .send-calendar'))
                  .slice(0, 3).map(e => e.outerHTML.slice(0, 60))"""
            )
            problems.append(f"{path}: document {widths[0]} px wide at {widths[1]} px (widest: {', '.join(wide)})")
        page.add_script_tag(content=axe)
        violations = page.evaluate(
            """async (impacts) => (await axe.run(document, {resultTypes: ['violations']})).violations
                .filter(v => impacts.includes(v.impact))
                .map(v => `${v.impact} ${v.id}: ${v.help} at `
                          + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; '))""",
            list(BLOCKING_IMPACTS),
        )
        problems.extend(f"{path}: {violation}" for violation in violations)
    context.close()
    assert not problems, "\n".join(problems)
