"""Saving parsed articles and their snippets."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.articles.parse import (
    ArticleParseError,
    ParsedArticle,
    content_fingerprint,
    decode_article_text,
    parse_article,
)
from service.models import Article, Snippet, User

# Far above any real article (a long one is 50 KB), far below what makes previews and the claims check slow.
MAX_ARTICLE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ImportResult:
    article: Article
    created: bool  # False: the same text was imported before, and that article is returned


def import_article(
    session: Session,
    raw: str | bytes,
    *,
    filename: str | None = None,
    fmt: str | None = None,
    actor: User | None = None,
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> ImportResult:
    """Parse and store an article. Importing the same text twice returns the first import. Raises ArticleParseError,
    also for an article over `max_bytes` (UTF-8)."""
    refuse_oversized(raw, max_bytes)
    parsed = parse_article(raw, filename=filename, fmt=fmt)
    text = decode_article_text(raw)
    fingerprint = content_fingerprint(text)
    existing = session.scalar(select(Article).where(Article.fingerprint == fingerprint))
    if existing is not None:
        return ImportResult(existing, created=False)
    article = _article_from(parsed, text, fingerprint, filename, actor)
    session.add(article)
    session.flush()
    return ImportResult(article, created=True)


def _article_from(
    parsed: ParsedArticle, text: str, fingerprint: str, filename: str | None, actor: User | None
) -> Article:
    return Article(
        title=parsed.title,
        source_format=parsed.format,
        source_name=filename,
        raw_text=text,
        fingerprint=fingerprint,
        imported_by_id=actor.id if actor else None,
        snippets=[
            Snippet(position=position, heading=snippet.heading, body=snippet.body)
            for position, snippet in enumerate(parsed.snippets)
        ],
    )


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB" if count >= 1024 * 1024 else f"{max(1, round(count / 1024))} KB"


def refuse_oversized(raw: str | bytes, max_bytes: int) -> None:
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise ArticleParseError(
            f"This article is {_size(size)}; Tidings takes articles up to {_size(max_bytes)}. "
            "Split it into shorter articles and import each."
        )
