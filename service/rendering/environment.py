"""The Jinja2 environment for emails and posts: independent of Flask, so the worker renders without a request."""

from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.rendering.headings import lead_in
from service.settings import REPO_ROOT


@cache
def template_environment() -> Environment:
    # HTML and MJML templates escape every value; .txt templates are plain text and must not (that would show &amp;).
    environment = Environment(
        loader=FileSystemLoader(REPO_ROOT / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "mjml"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Post templates: `{{ heading|lead_in(body) }}` gives "Parking: ..." but "Any side effects? ...".
    environment.filters["lead_in"] = lead_in
    return environment
