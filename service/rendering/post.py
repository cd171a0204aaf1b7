"""Rendering one snippet as a post on X, or as a thread when it does not fit in one.

A campaign picks one of the post templates in `templates/social/` (Jinja2, plain text). A template gets `heading`,
`body` (the whole text on one line), `key_sentences` (the first sentences of the body that fit in one post with the
rest of the template), `link` (the article, with UTM parameters on the clinic's own site) and `hashtags`. Its first
line is a comment, `{# Label: what it makes #}`, which the campaign form shows.
"""

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from jinja2 import meta
from twitter_text import extract_urls_with_indices

from service.rendering.environment import template_environment
from service.rendering.post_length import MAX_POST_LENGTH, weighted_length
from service.rendering.threads import sentences_of, split_into_thread
from service.rendering.utm import add_utm, site_hosts
from service.settings import REPO_ROOT

DEFAULT_POST_TEMPLATE = "post.txt"
POST_TEMPLATE_FOLDER = REPO_ROOT / "templates" / "social"
_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.txt")
_LABEL_COMMENT = re.compile(r"^\{#\s*(.*?)\s*#\}")
_MEDIA_LINK_AT_END = re.compile(r"\s*https://t\.co/\w+\s*$")


class UnknownPostTemplate(ValueError):
    """No post template of that name in templates/social/."""


@dataclass(frozen=True)
class PostTemplate:
    name: str  # the file name, as stored on the campaign
    label: str  # what the campaign form shows
    description: str


@dataclass(frozen=True)
class MeasuredPost:
    text: str
    weighted_length: int

    def as_dict(self) -> dict:
        return {"text": self.text, "weighted_length": self.weighted_length}


def post_templates() -> list[PostTemplate]:
    """The post templates there are, the default first, then by name."""
    templates = [
        _describe(path.name) for path in POST_TEMPLATE_FOLDER.glob("*.txt") if _TEMPLATE_NAME.fullmatch(path.name)
    ]
    return sorted(templates, key=lambda template: (template.name != DEFAULT_POST_TEMPLATE, template.name))


def is_post_template(name: str) -> bool:
    return bool(_TEMPLATE_NAME.fullmatch(name or "")) and (POST_TEMPLATE_FOLDER / name).is_file()


def _describe(name: str) -> PostTemplate:
    first_line = (POST_TEMPLATE_FOLDER / name).read_text("utf-8").partition("\n")[0]
    comment = _LABEL_COMMENT.match(first_line)
    label, _, description = (comment.group(1) if comment else name).partition(":")
    return PostTemplate(name=name, label=label.strip(), description=description.strip())


def post_link(link_url: str, *, website_url: str, campaign_slug: str) -> str:
    """Where a post sends readers: the campaign's link or else the clinic's site, tagged for X when it is the
    clinic's own site (utm_source=x, utm_medium=social, utm_campaign=<slug>)."""
    link = (link_url or website_url or "").strip()
    if not link:
        return ""
    return add_utm(link, source="x", medium="social", campaign=campaign_slug, own_hosts=site_hosts(website_url))


def render_post_text(
    *, heading: str, body: str, link: str = "", hashtags: str = "", template: str = DEFAULT_POST_TEMPLATE
) -> str:
    """The post's whole text on one line (whitespace collapsed), before any split into a thread.

    Raises UnknownPostTemplate for a name that is not a template in templates/social/.
    """
    if not is_post_template(template):
        raise UnknownPostTemplate(f"there is no post template {template!r} in templates/social/")
    values = {"heading": heading.strip(), "body": " ".join(body.split()), "link": link, "hashtags": hashtags.strip()}

    def render(**extra) -> str:
        text = template_environment().get_template(f"social/{template}").render(**values, **extra)
        return " ".join(text.split())

    if "key_sentences" in _variables_of(template):
        return render(key_sentences=_key_sentences(body, lambda sentences: render(key_sentences=sentences)))
    return render()


def render_thread(
    *, heading: str, body: str, link: str = "", hashtags: str = "", template: str = DEFAULT_POST_TEMPLATE
) -> list[str]:
    """The parts to post, in order: one part when the text fits in a post, else a numbered thread."""
    return split_into_thread(
        render_post_text(heading=heading, body=body, link=link, hashtags=hashtags, template=template)
    )


def measure(parts: list[str]) -> list[MeasuredPost]:
    """Each part with its weighted length as X counts it."""
    return [MeasuredPost(part, weighted_length(part)) for part in parts]


def _key_sentences(body: str, render) -> str:
    """The longest run of the body's first sentences with which the rendered post still fits in one post.

    At least the first sentence, even when it alone is too long: the thread split then breaks it between words.
    """
    sentences = [" ".join(words) for words in sentences_of(body)]
    if not sentences:
        return ""
    best = sentences[0]
    for count in range(2, len(sentences) + 1):
        candidate = " ".join(sentences[:count])
        if weighted_length(render(candidate)) > MAX_POST_LENGTH:
            break
        best = candidate
    return best


@cache
def _variables_of(template: str) -> frozenset[str]:
    environment = template_environment()
    source = environment.loader.get_source(environment, f"social/{template}")[0]
    return frozenset(meta.find_undeclared_variables(environment.parse(source)))


def same_post_text(ours: str, published: str, *, has_images: bool = False) -> bool:
    """Whether a post the account published carries the text we post.

    X gives a post's text back with its links shortened to t.co, `&`, `<` and `>` as HTML entities, in NFC, and (when
    `has_images`) with a t.co link to its images at the end; so links are compared by position only, entities are
    decoded, that media link is dropped, and both sides are normalised before comparing.
    """
    theirs = html.unescape(published)
    if has_images:
        # A post with images comes back with one more t.co link at its end: the link to its media.
        theirs = _MEDIA_LINK_AT_END.sub("", theirs)
    return _comparable(ours) == _comparable(theirs)


def _comparable(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    pieces, start = [], 0
    for url in sorted(extract_urls_with_indices(text), key=lambda entity: entity["indices"][0]):
        begin, end = url["indices"]
        pieces += [text[start:begin], "\x00"]
        start = end
    pieces.append(text[start:])
    return " ".join("".join(pieces).split())
