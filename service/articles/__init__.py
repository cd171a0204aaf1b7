"""Articles: reading uploaded text, Markdown and HTML into snippets (`parse`), and storing them (`store`)."""

from service.articles.parse import (
    ArticleParseError,
    ParsedArticle,
    ParsedSnippet,
    content_fingerprint,
    decode_article_text,
    detect_format,
    parse_article,
)

__all__ = [
    "ArticleParseError",
    "ParsedArticle",
    "ParsedSnippet",
    "content_fingerprint",
    "decode_article_text",
    "detect_format",
    "parse_article",
]
