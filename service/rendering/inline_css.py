"""CSS inlining for email: many mail clients drop <style> blocks, so every rule becomes a style attribute.

Media queries are kept in a <style> block (clients that understand them use them; the rest ignore them). Nothing is
ever fetched: an email must not depend on a remote stylesheet, and rendering must not touch the network.
"""

from functools import cache

import css_inline


@cache
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """The document with its <style> rules moved into style attributes (a rule's own attribute wins on conflicts)."""
    return _inliner().inline(html)
