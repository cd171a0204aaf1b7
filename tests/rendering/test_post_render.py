"""Post templates: the whole snippet (a thread when long), key sentences that fit one post, the UTM link."""

import pytest

from service.rendering.post import (
    DEFAULT_POST_TEMPLATE,
    UnknownPostTemplate,
    is_post_template,
    post_link,
    post_templates,
    render_post_text,
    render_thread,
    same_post_text,
)
from service.rendering.post_length import MAX_POST_LENGTH, weighted_length

LINK = "https://www.daytryp.com/blog/kap?utm_source=x&utm_medium=social&utm_campaign=spring"
SENTENCES = [
    "Our team meets every new client before any session begins.",
    "We talk through health history, medicines and goals.",
    "Sessions happen in a calm room with a clinician present throughout.",
    "Afterwards there is time to rest and talk about the experience.",
    "Integration sessions in the following weeks help turn insight into change.",
    "Many clients bring a partner or friend to drive them home.",
]
BODY = " ".join(SENTENCES)


def test_the_templates_are_listed_with_their_labels_default_first():
    templates = post_templates()

    assert templates[0].name == DEFAULT_POST_TEMPLATE
    assert {t.name for t in templates} >= {"post.txt", "short.txt", "question.txt"}
    assert all(t.label and t.description for t in templates)


def test_only_files_in_the_social_folder_are_templates():
    assert is_post_template("short.txt")
    for name in ("../email/newsletter.txt", "missing.txt", "", "post.html", "Post.txt"):
        assert not is_post_template(name)
    with pytest.raises(UnknownPostTemplate):
        render_post_text(heading="H", body="B.", template="../email/newsletter.txt")


def test_the_default_template_carries_the_whole_snippet_and_becomes_a_thread():
    parts = render_thread(heading="Your first visit", body=BODY, link=LINK, hashtags="#KAP")

    assert len(parts) > 1
    assert parts[0].startswith("Your first visit: Our team meets")
    assert all(weighted_length(part) <= MAX_POST_LENGTH for part in parts)
    assert parts[-1].endswith(f"{LINK} #KAP {len(parts)}/{len(parts)}")


def test_key_sentences_are_the_first_sentences_that_fit_in_one_post():
    text = render_post_text(heading="Your first visit", body=BODY, link=LINK, hashtags="#KAP", template="short.txt")

    assert weighted_length(text) <= MAX_POST_LENGTH
    assert text.startswith("Your first visit: " + " ".join(SENTENCES[:3]))
    assert text.endswith(f"{LINK} #KAP")
    # One more sentence would not have fitted.
    longer = text.replace(SENTENCES[2], f"{SENTENCES[2]} {SENTENCES[3]}")
    assert weighted_length(longer) > MAX_POST_LENGTH
    assert render_thread(heading="Your first visit", body=BODY, link=LINK, hashtags="#KAP", template="short.txt") == [
        text
    ]


def test_a_first_sentence_longer_than_a_post_is_kept_whole_and_threaded():
    long_sentence = " ".join(["Integration matters"] * 40) + "."

    parts = render_thread(heading="Why", body=long_sentence + " Short one.", template="short.txt")

    assert len(parts) > 1
    assert "Short one." not in " ".join(parts)


def test_the_question_template_asks_the_heading():
    text = render_post_text(heading="What happens after a session?", body=BODY, link=LINK, template="question.txt")

    assert text.startswith("What happens after a session? Our team meets")
    assert f"Read more: {LINK}" in text
    assert weighted_length(text) <= MAX_POST_LENGTH


def test_the_post_link_is_the_campaigns_link_or_the_clinics_site_tagged_for_x():
    site = "https://www.daytryp.com"

    assert post_link("", website_url=site, campaign_slug="spring") == (
        "https://www.daytryp.com/?utm_source=x&utm_medium=social&utm_campaign=spring"
    )
    assert post_link("https://daytryp.com/kap?a=1#faq", website_url=site, campaign_slug="s") == (
        "https://daytryp.com/kap?a=1&utm_source=x&utm_medium=social&utm_campaign=s#faq"
    )
    assert post_link("https://news.example.org/kap", website_url=site, campaign_slug="s") == (
        "https://news.example.org/kap"
    ), "other sites' links are left exactly as written"
    assert post_link("", website_url="", campaign_slug="s") == ""


def test_posts_are_plain_text_never_html_escaped():
    text = render_post_text(heading="Q&A", body="Fish <and> chips & more.")

    assert text == "Q&A: Fish <and> chips & more."


def test_a_published_post_matches_our_text_despite_x_shortening_links_and_escaping():
    ours = f"Dosing & follow-up <matter>: {LINK} #KAP 2/3"
    published = "Dosing &amp; follow-up &lt;matter&gt;: https://t.co/AbC123xyz #KAP 2/3"

    assert same_post_text(ours, published)
    assert same_post_text("Cafe\u0301 hours", "Café hours"), "X keeps text in NFC"
    assert not same_post_text(ours, published.replace("2/3", "3/3"))
    assert not same_post_text("Dosing matters.", "Dosing matters. https://t.co/x")


@pytest.mark.parametrize("template", ["post.txt", "short.txt", "question.txt"])
def test_a_heading_ending_in_its_own_punctuation_gets_no_colon(template):
    text = render_post_text(heading="Are There Any Side Effects?", body=BODY, template=template)

    assert text.startswith("Are There Any Side Effects? Our team meets")
    assert "?:" not in text


@pytest.mark.parametrize("template", ["post.txt", "short.txt", "question.txt"])
def test_a_heading_that_is_no_question_is_never_made_one(template):
    text = render_post_text(heading="Management of Pain", body=BODY, template=template)

    assert text.startswith("Management of Pain: Our team meets")
    assert "Pain?" not in text


def test_a_heading_with_no_text_after_it_ends_with_a_period_not_a_colon():
    text = render_post_text(heading="Management of Pain", body="", link=LINK, template="question.txt")

    assert text == f"Management of Pain. Read more: {LINK}"
    asked = render_post_text(heading="Is it safe?", body="", link=LINK, template="question.txt")
    assert asked == f"Is it safe? Read more: {LINK}"


def test_a_published_post_with_images_is_still_recognised_by_its_text():
    ours = f"Our new waiting room. {LINK}"
    published = "Our new waiting room. https://t.co/abc123 https://t.co/media9"

    assert same_post_text(ours, published, has_images=True)
    assert not same_post_text(ours, published), "without images, a link more is another post"
    assert not same_post_text("Our new waiting room.", "Our old waiting room. https://t.co/media9", has_images=True)
