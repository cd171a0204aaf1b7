"""Split an article (plain text, Markdown or HTML) into a title and snippets.

Pure functions: no Flask, no database. The importer (`service.articles.store`) stores what this returns.

Every format goes through the same two steps: the format's reader turns the source into a flat list of
blocks (headings and paragraphs, in order), then `_assemble` groups them into snippets. The rules shared by
all formats:

- Text before the first heading becomes an intro snippet whose heading is the article title.
- Each heading starts a new snippet. A heading followed directly by another heading (a group heading such as
  "Other uses" above its sub-headings) is kept as its own snippet with an empty body: dropping it would lose
  text the author wrote, and merging it into the next heading would invent a heading they did not write.
  Callers that plan campaigns can skip snippets whose body is empty.
- The title, when taken from a title line (plain text) or the first h1 (Markdown, HTML), is not a snippet.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag
from markdown_it import MarkdownIt
from markdown_it.token import Token

FORMATS = ("text", "markdown", "html")
UNTITLED = "Untitled article"

# Plain-text heading limits: longer lines read as sentences, not headings.
MAX_HEADING_CHARS = 90
MAX_HEADING_WORDS = 12

_EXTENSION_FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
_FORMAT_LABELS = {"text": "text", "markdown": "Markdown", "html": "HTML"}


class ArticleParseError(ValueError):
    """The article cannot be read. The message is written for the person who uploaded the file."""


@dataclass(frozen=True)
class ParsedSnippet:
    heading: str
    body: str  # paragraphs joined by a blank line; may be empty for a group heading


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    format: str  # one of FORMATS
    snippets: tuple[ParsedSnippet, ...]

    def to_json_dict(self) -> dict:
        """`{"title": ..., "snippets": [{"heading": ..., "body": ...}, ...]}`, ready for `json.dumps`."""
        return {"title": self.title, "snippets": [asdict(snippet) for snippet in self.snippets]}


@dataclass(frozen=True)
class _Block:
    """One heading or one paragraph, in source order."""

    text: str
    heading_level: int = 0  # 0 for a paragraph; 1 to 3 for a heading

    @property
    def is_heading(self) -> bool:
        return self.heading_level > 0


# ---------------------------------------------------------------------------------------------------------
# Public API


def decode_article_text(raw: str | bytes) -> str:
    """The text of an upload: bytes decoded as UTF-8, a leading byte-order mark removed.

    Raises ArticleParseError for bytes that are not UTF-8, or for text containing NUL (a binary file).
    Does not reject empty text; `parse_article` does.
    """
    if isinstance(raw, bytes | bytearray):
        # Check NUL before decoding: a binary file deserves "binary", not a confusing encoding message.
        _refuse_binary(b"\x00" in raw)
        return _decode_utf8(bytes(raw))
    if isinstance(raw, str):
        _refuse_binary("\x00" in raw)
        return raw.removeprefix("\ufeff")
    raise TypeError(f"article text must be str or bytes, not {type(raw).__name__}")


def detect_format(raw: str, filename: str | None = None) -> str:
    """`"text"`, `"markdown"` or `"html"`: from a known filename extension, else sniffed from the content."""
    by_extension = _format_from_extension(filename)
    if by_extension:
        return by_extension
    text = raw.removeprefix("\ufeff")
    if _looks_like_html(text):
        return "html"
    if _looks_like_markdown(text):
        return "markdown"
    return "text"


def parse_article(raw: str | bytes, *, filename: str | None = None, fmt: str | None = None) -> ParsedArticle:
    """Parse an article into its title and snippets.

    `fmt` forces the format; otherwise it is detected from `filename` and the content. `filename` also
    gives the title when the article has none of its own. Raises ArticleParseError, with a message for the
    uploader, when the input is empty, undecodable, of an unknown format, or has no text.
    """
    text = decode_article_text(raw)
    if not text.strip():
        raise ArticleParseError("The file is empty.")
    fmt = fmt or detect_format(text, filename)
    if fmt not in FORMATS:
        raise ArticleParseError(f"Unknown article format {fmt!r}; expected one of: {', '.join(FORMATS)}.")
    text = _unify_newlines(text)
    if fmt == "markdown":
        title, blocks = _read_markdown(text)
    elif fmt == "html":
        title, blocks = _read_html(text)
    else:
        title, blocks = _read_text(text)
    return _assemble(title, blocks, fmt, filename)


def content_fingerprint(raw: str | bytes) -> str:
    """SHA-256 (hex) of the text with newlines unified, trailing whitespace and outer blank lines removed.

    Two uploads of the same article that differ only in line endings, a byte-order mark, trailing spaces or
    Unicode normalisation (NFC) get the same fingerprint, so the importer can refuse the duplicate.
    """
    text = unicodedata.normalize("NFC", _unify_newlines(decode_article_text(raw)))
    normalized = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Shared helpers


def _refuse_binary(has_nul: bool) -> None:
    if has_nul:
        raise ArticleParseError(
            "The file looks like a binary file, not text. Upload a plain text, Markdown or HTML file."
        )


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad_byte = data[error.start]
        raise ArticleParseError(
            f"The file is not UTF-8 text (byte 0x{bad_byte:02x} at position {error.start} cannot be read). "
            "Save it with UTF-8 encoding and upload it again."
        ) from None


def _unify_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def _format_from_extension(filename: str | None) -> str | None:
    if not filename:
        return None
    name = _basename(filename).lower()
    dot = name.rfind(".")
    return _EXTENSION_FORMATS.get(name[dot:]) if dot > 0 else None


def _basename(filename: str) -> str:
    # Uploads from Windows browsers can carry backslash paths.
    return re.split(r"[\\/]", filename)[-1]


def _title_from_filename(filename: str | None) -> str | None:
    """ "ketamine-and-substance-abuse.txt" -> "Ketamine and substance abuse"."""
    if not filename:
        return None
    name = _basename(filename)
    dot = name.rfind(".")
    stem = name[:dot] if dot > 0 else name
    words = _collapse_whitespace(re.sub(r"[-_]+", " ", stem))
    return words[:1].upper() + words[1:] if words else None


def _assemble(title: str | None, blocks: Iterable[_Block], fmt: str, filename: str | None) -> ParsedArticle:
    """Group blocks into snippets; `title` is None when the source has no title of its own."""
    blocks = list(blocks)
    if not blocks:
        raise _no_text_error(title, fmt)
    headings = [block.text for block in blocks if block.is_heading]
    title = title or _title_from_filename(filename) or (headings[0] if headings else UNTITLED)
    return ParsedArticle(title=title, format=fmt, snippets=tuple(_snippets(title, blocks)))


def _snippets(title: str, blocks: list[_Block]) -> Iterator[ParsedSnippet]:
    heading: str | None = None  # None until the first heading: paragraphs so far are the intro
    paragraphs: list[str] = []
    for block in blocks:
        if not block.is_heading:
            paragraphs.append(block.text)
            continue
        if heading is not None or paragraphs:
            yield ParsedSnippet(heading or title, "\n\n".join(paragraphs))
        heading, paragraphs = block.text, []
    if heading is not None or paragraphs:
        yield ParsedSnippet(heading or title, "\n\n".join(paragraphs))


def _no_text_error(title: str | None, fmt: str) -> ArticleParseError:
    if title:
        return ArticleParseError(f"Only a title was found ({title!r}); the article has no body text.")
    return ArticleParseError(f"No text found in the {_FORMAT_LABELS[fmt]}.")


# ---------------------------------------------------------------------------------------------------------
# Plain text
#
# Two layouts are recognised. Most clinic articles are pasted from a web page: one paragraph per line,
# headings on their own line, blank lines optional. Hard-wrapped text (lines cut at a fixed width, paragraphs
# separated by blank lines) is told apart by its many lines that end mid-sentence before a line starting in
# lower case; there the lines of a paragraph are joined with a space, and only the first line of a
# blank-line block can be a heading.

_SENTENCE_END = ".!:;,…"
_CLOSING_MARKS = "\"')]}»”’"
_LIST_ITEM = re.compile(r"^(?:[-*+•–]\s|\d{1,3}[.)]\s)")
_WRAPPED_BREAK_SHARE = 0.25


def _read_text(text: str) -> tuple[str | None, list[_Block]]:
    lines = [line.strip() for line in text.split("\n")]
    blocks = _wrapped_text_blocks(lines) if _is_hard_wrapped(lines) else _line_blocks(lines)
    # A heading-like first line is the article's own title, not a section.
    if blocks and blocks[0].is_heading:
        return blocks[0].text, blocks[1:]
    return None, blocks


def _looks_like_heading(line: str) -> bool:
    """A short line that is not a sentence: no closing punctuation, except that a question is a heading."""
    if not any(char.isalpha() for char in line) or _LIST_ITEM.match(line):
        return False
    if len(line) > MAX_HEADING_CHARS or len(line.split()) > MAX_HEADING_WORDS:
        return False
    # Look past closing quotes and brackets: `He said “stop.”` ends a sentence, `Therapy (KAP)` does not.
    core = line.rstrip(_CLOSING_MARKS) or line
    return core.endswith("?") or not core.endswith(tuple(_SENTENCE_END))


def _ends_mid_sentence(line: str) -> bool:
    return not line.rstrip(_CLOSING_MARKS).endswith(tuple(_SENTENCE_END + "?"))


def _is_hard_wrapped(lines: list[str]) -> bool:
    pairs = [(line, after) for line, after in zip(lines, lines[1:], strict=False) if line and after]
    if not pairs:
        return False
    breaks = sum(1 for line, after in pairs if _ends_mid_sentence(line) and after[0].islower())
    return breaks / len(pairs) >= _WRAPPED_BREAK_SHARE


def _line_blocks(lines: list[str]) -> list[_Block]:
    return [_Block(line, heading_level=2 if _looks_like_heading(line) else 0) for line in lines if line]


def _wrapped_text_blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    for group in _blank_line_groups(lines):
        # A wrapped paragraph's first line is followed by its continuation, usually in lower case.
        starts_with_heading = _looks_like_heading(group[0]) and (len(group) == 1 or not group[1][0].islower())
        if starts_with_heading:
            blocks.append(_Block(group[0], heading_level=2))
            group = group[1:]
        if group:
            blocks.append(_Block(" ".join(group)))
    return blocks


def _blank_line_groups(lines: list[str]) -> Iterator[list[str]]:
    group: list[str] = []
    for line in lines:
        if line:
            group.append(line)
        elif group:
            yield group
            group = []
    if group:
        yield group


# ---------------------------------------------------------------------------------------------------------
# Markdown
#
# markdown-it tokenizes, so a `#` inside a code fence is never a heading. Bodies keep the Markdown source
# of each top-level block (lists, emphasis, fences as written); headings become plain text for subjects
# and posts.

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_SNIPPET_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3}
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def _read_markdown(text: str) -> tuple[str | None, list[_Block]]:
    front_matter_title, text = _split_front_matter(text)
    lines = text.split("\n")
    blocks = [block for block in _markdown_blocks(_MARKDOWN.parse(text), lines) if block.text]
    first_h1 = next((index for index, block in enumerate(blocks) if block.heading_level == 1), None)
    if first_h1 is not None:
        return blocks[first_h1].text, blocks[:first_h1] + blocks[first_h1 + 1 :]
    return front_matter_title, blocks


def _split_front_matter(text: str) -> tuple[str | None, str]:
    """YAML front matter is metadata, not body (markdown-it would read its last line as a setext heading)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return None, text
    title = _FRONT_MATTER_TITLE.search(match.group(1))
    # Keep the line count so markdown-it's line maps still index the text we slice.
    blank_lines = "\n" * match.group(0).count("\n")
    return (title.group(1).strip("\"'") if title else None), blank_lines + text[match.end() :]


def _markdown_blocks(tokens: list[Token], lines: list[str]) -> Iterator[_Block]:
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or token.map is None:
            continue  # only top-level blocks; their children are inside the source slice
        if token.type == "heading_open" and token.tag in _SNIPPET_HEADING_TAGS:
            yield _Block(_inline_plain_text(tokens[index + 1]), _SNIPPET_HEADING_TAGS[token.tag])
        else:
            yield _Block(_source_slice(lines, *token.map))


def _inline_plain_text(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return _collapse_whitespace("".join(parts))


def _source_slice(lines: list[str], start: int, end: int) -> str:
    return "\n".join(line.rstrip() for line in lines[start:end]).strip("\n")


# ---------------------------------------------------------------------------------------------------------
# HTML
#
# Site chrome (navigation, headers, footers, scripts, forms) is removed before reading, so a page saved
# from the clinic's website gives only the article. A <header> inside <article> or <main> is the article's
# own header (it often holds the h1), so only headers outside them are dropped.

_DROPPED_TAGS = ["nav", "script", "style", "footer", "aside", "form", "noscript", "template", "svg", "iframe"]
_DROPPED_ROLES = {"navigation", "banner", "contentinfo", "search"}
_HTML_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3}
_INLINE_TAGS = frozenset(
    ["a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em", "font", "i"]
    + ["img", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub"]
    + ["sup", "time", "tt", "u", "var", "wbr"]
)
_LIST_TAGS = ("ul", "ol")


def _read_html(text: str) -> tuple[str | None, list[_Block]]:
    soup = BeautifulSoup(text, "html.parser")
    _drop_site_chrome(soup)
    title_element = soup.find("h1")
    title = _element_text(title_element) if title_element else None
    title = title or _page_title(soup)
    for element in soup.find_all(["head", "title"]):
        element.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    try:
        blocks = [block for block in _html_blocks(root, title_element) if block.text]
    except RecursionError:
        raise ArticleParseError("The HTML is nested too deeply to read.") from None
    return title, blocks


def _drop_site_chrome(soup: BeautifulSoup) -> None:
    for element in soup.find_all(_DROPPED_TAGS):
        element.decompose()
    for element in soup.find_all(True, attrs={"role": True}):
        if not element.decomposed and str(element.get("role")).lower() in _DROPPED_ROLES:
            element.decompose()
    for element in soup.find_all("header"):
        if not element.decomposed and not element.find_parent(["article", "main"]):
            element.decompose()
    for element in soup.find_all(hidden=True):
        if not element.decomposed:
            element.decompose()


def _page_title(soup: BeautifulSoup) -> str | None:
    title = soup.find("title")
    if not title:
        return None
    # "Article | Clinic name": the site name is not part of the article's title.
    return _element_text(title).split(" | ")[0].strip() or None


def _html_blocks(container: Tag, title_element: Tag | None) -> Iterator[_Block]:
    """Blocks of a container: child elements in order, and runs of loose inline text as paragraphs."""
    inline_run: list[str] = []
    for child in container.children:
        if isinstance(child, PreformattedString):
            continue  # comments, doctype, CDATA
        if isinstance(child, NavigableString) or _is_inline(child):
            inline_run.append(_element_text(child, collapse=False))
            continue
        yield _Block(_collapse_whitespace("".join(inline_run)))
        inline_run = []
        yield from _element_blocks(child, title_element)
    yield _Block(_collapse_whitespace("".join(inline_run)))


def _element_blocks(element: Tag, title_element: Tag | None) -> Iterator[_Block]:
    if element is title_element:
        return
    if element.name in _HTML_HEADING_TAGS:
        yield _Block(_element_text(element), _HTML_HEADING_TAGS[element.name])
    elif element.name in _LIST_TAGS:
        yield _Block("\n".join(_list_lines(element, depth=0)))
    elif element.name == "pre":
        yield _Block("\n".join(line.rstrip() for line in element.get_text().split("\n")).strip("\n"))
    else:
        yield from _html_blocks(element, title_element)


def _is_inline(element: Tag) -> bool:
    # An inline tag wrapping blocks (a link around a card's heading and text) is read as a container.
    return element.name in _INLINE_TAGS and all(
        descendant.name in _INLINE_TAGS for descendant in element.find_all(True)
    )


def _list_lines(list_element: Tag, depth: int) -> Iterator[str]:
    """A list as "- item" / "1. item" lines, nested lists indented by two spaces per level."""
    number = _list_start(list_element)
    for item in list_element.find_all("li", recursive=False):
        marker = f"{number}." if list_element.name == "ol" else "-"
        nested_lists = item.find_all(_LIST_TAGS, recursive=False)
        own_parts = [
            _element_text(child, collapse=False)
            for child in item.children
            if not any(child is nested for nested in nested_lists)
        ]
        text = _collapse_whitespace(" ".join(own_parts))
        yield f"{'  ' * depth}{marker} {text}"
        for nested in nested_lists:
            yield from _list_lines(nested, depth + 1)
        number += 1


def _list_start(list_element: Tag) -> int:
    start = str(list_element.get("start", "1"))
    return int(start) if start.isdigit() else 1


def _element_text(node: Tag | NavigableString, *, collapse: bool = True) -> str:
    """Visible text with entities decoded; block boundaries and <br> become spaces, not glued words."""
    if isinstance(node, PreformattedString):
        return ""
    if isinstance(node, NavigableString):
        return str(node)
    if node.name == "br":
        return " "
    parts = []
    for descendant in node.descendants:
        if isinstance(descendant, Tag):
            if descendant.name == "br" or descendant.name not in _INLINE_TAGS:
                parts.append(" ")
        elif not isinstance(descendant, PreformattedString):
            parts.append(str(descendant))
    text = "".join(parts)
    return _collapse_whitespace(text) if collapse else text


# ---------------------------------------------------------------------------------------------------------
# Format sniffing

_HTML_START = re.compile(
    r"\A\s*<(?:!doctype\s+html|html|head|body|article|main|section|div|p|h[1-6]|ul|ol|table)\b", re.IGNORECASE
)
_MARKDOWN_SIGNS = re.compile(
    r"^ {0,3}#{1,6}[ \t]+\S"  # ATX heading
    r"|^ {0,3}(?:```|~~~)"  # code fence
    r"|^ {0,3}(?:=+|-{2,})[ \t]*$"  # setext underline
    r"|\[[^\]\n]+\]\([^)\s]+\)",  # [link](url)
    re.MULTILINE,
)


def _looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text))


def _looks_like_markdown(text: str) -> bool:
    return bool(_MARKDOWN_SIGNS.search(text))
