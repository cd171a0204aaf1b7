"""Rendering one snippet as a post on X, or as a thread when it does not fit in one."""

from service.rendering.environment import template_environment
from service.rendering.threads import split_into_thread


def render_post_text(*, heading: str, body: str, link: str = "", hashtags: str = "") -> str:
    flat_body = " ".join(body.split())
    text = (
        template_environment()
        .get_template("social/post.txt")
        .render(heading=heading.strip(), body=flat_body, link=link, hashtags=hashtags.strip())
    )
    return " ".join(text.split())


def render_thread(*, heading: str, body: str, link: str = "", hashtags: str = "") -> list[str]:
    """The parts to post, in order: one part when the text fits in a post, else a numbered thread."""
    return split_into_thread(render_post_text(heading=heading, body=body, link=link, hashtags=hashtags))
