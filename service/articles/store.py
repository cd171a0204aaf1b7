"""Saving parsed articles and their snippets."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.articles.parse import ParsedArticle, content_fingerprint, decode_article_text, parse_article
from service.models import Article, Snippet, User


@dataclass(frozen=True)
class ArticleSource:
    """Where a fetched article came from: its page, and the page's lead image."""

    url: str
    lead_image_url: str | None = None
    lead_image_alt: str | None = None


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
    source: ArticleSource | None = None,
) -> ImportResult:
    """Parse and store an article. Importing the same text twice, or the same page (`source.url`), returns the first
    import. Raises ArticleParseError."""
    parsed = parse_article(raw, filename=filename, fmt=fmt)
    text = decode_article_text(raw)
    fingerprint = content_fingerprint(text)
    existing = session.scalar(select(Article).where(Article.fingerprint == fingerprint))
    if existing is None and source is not None:
        existing = article_from_url(session, source.url)
    if existing is not None:
        return ImportResult(existing, created=False)
    article = _article_from(parsed, text, fingerprint, filename, actor)
    if source is not None:
        article.source_url = source.url
        article.lead_image_url, article.lead_image_alt = source.lead_image_url, source.lead_image_alt
    session.add(article)
    session.flush()
    return ImportResult(article, created=True)


def article_from_url(session: Session, url: str) -> Article | None:
    """The article imported from this page, if any."""
    return session.scalar(select(Article).where(Article.source_url == url))


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
