"""Sections are written in Markdown; this makes them safe HTML (for the email) and plain text (for its text part).

The HTML always passes an allowlist sanitiser (nh3) before any template sees it: only the tags Markdown makes for
bold, italic, links, lists, subheadings and quotes survive; no script, style, iframe or event attribute; links only
http(s) and mailto. Raw HTML typed into Markdown is escaped, not interpreted, and then sanitised anyway.
"""

from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "code", "hr"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})


@cache
def _markdown() -> MarkdownIt:
    # CommonMark without raw HTML; section headings are the email's h2, so a section's own headings start at h3.
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")


def sanitise_html(html: str) -> str:
    """Only the allowlisted tags, attributes and link schemes of `html`; everything else is dropped."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def markdown_to_html(text: str) -> Markup:
    """Safe HTML for a section's Markdown (a Markup, so templates insert it as it is)."""
    html = _markdown().render(_demote_headings(text or ""))
    return Markup(sanitise_html(html))


def _demote_headings(text: str) -> str:
    # "# Title" in a section would compete with the section's own heading: every level moves down one (h1 -> h2 ...
    # up to h4), except that "##" (what people usually type for a subheading) becomes h3.
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("#"):
            hashes = len(stripped) - len(stripped.lstrip("#"))
            if 1 <= hashes <= 6 and stripped[hashes : hashes + 1] in (" ", ""):
                line = "#" * min(hashes + 1, 4) + stripped[hashes:]
        lines.append(line)
    return "\n".join(lines)


def markdown_to_text(text: str) -> str:
    """The plain-text form of a section's Markdown: paragraphs, "- " list items, links as "words (url)"."""
    tokens = _markdown().parse(text or "")
    blocks: list[str] = []
    list_stack: list[list[int] | None] = []  # None: bullet list; [n]: ordered list at item n
    current: list[str] = []
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_stack.append(None if token.type == "bullet_list_open" else [int(token.attrGet("start") or 1)])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif token.type == "list_item_open":
            counter = list_stack[-1] if list_stack else None
            indent = "  " * (len(list_stack) - 1)
            if counter is None:
                current.append(f"{indent}- ")
            else:
                current.append(f"{indent}{counter[0]}. ")
                counter[0] += 1
        elif token.type == "inline":
            current.append(_inline_text(token))
        elif token.type in ("paragraph_close", "heading_close"):
            if not list_stack or token.type == "heading_close":
                blocks.append("".join(current).strip())
                current = []
            else:
                current.append("\n")
        elif token.type == "list_item_close" and current:
            if len(list_stack) == 1:
                blocks.append("".join(current).rstrip())
                current = []
        elif token.type in ("code_block", "fence"):
            blocks.append(token.content.rstrip())
        elif token.type == "hr":
            blocks.append("----")
    if current:
        blocks.append("".join(current).strip())
    return _join_blocks(blocks)


def _join_blocks(blocks: list[str]) -> str:
    # List items stay together, one per line; every other block is a paragraph of its own.
    out: list[str] = []
    for block in blocks:
        if not block:
            continue
        is_item = block.lstrip()[:2] == "- " or block.lstrip().split(". ", 1)[0].isdigit()
        if out and is_item and out[-1][1]:
            out[-1] = (out[-1][0] + "\n" + block, True)
        else:
            out.append((block, is_item))
    return "\n\n".join(text for text, _ in out)


def _inline_text(token) -> str:
    parts: list[str] = []
    href_stack: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            href_stack.append(str(child.attrGet("href") or ""))
            parts.append("\x00")
        elif child.type == "link_close":
            href = href_stack.pop() if href_stack else ""
            start = len(parts) - 1 - parts[::-1].index("\x00")
            words = "".join(parts[start + 1 :])
            safe = href.split(":", 1)[0].lower() in ALLOWED_URL_SCHEMES and ":" in href
            parts[start:] = [f"{words} ({href})" if safe and href != words else words]
    return "".join(parts)
