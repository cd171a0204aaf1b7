"""Import by URL: fetch a page of the clinic's site, take the article out of it and import it like an upload."""

from sqlalchemy.orm import Session

from service.articles.extract import extract_article
from service.articles.fetch import PAGE_TYPES, FetchPolicy, check_url, fetch
from service.articles.store import ArticleSource, ImportResult, article_from_url, import_article
from service.models import User


def import_from_url(session: Session, url: str, policy: FetchPolicy, actor: User | None = None) -> ImportResult:
    """Fetch, extract and store the article at `url`; a page imported before is returned, not fetched again.

    Raises FetchError (the page could not be fetched) or ArticleParseError (it holds no readable article).
    """
    url = check_url(url, policy)
    existing = article_from_url(session, url)
    if existing is not None:
        return ImportResult(existing, created=False)
    page = fetch(url, policy, accept=PAGE_TYPES)
    extracted = extract_article(page_text(page.body, page.content_type), page.url)
    source = ArticleSource(url, extracted.lead_image_url, extracted.lead_image_alt)
    return import_article(session, extracted.html, fmt="html", actor=actor, source=source)


def page_text(body: bytes, content_type: str) -> str:
    """The page's text in the charset its server named, else UTF-8, else Windows-1252 (which decodes anything)."""
    charset = next(
        (part.split("=", 1)[1].strip().strip('"') for part in content_type.split(";") if "charset=" in part.lower()),
        None,
    )
    for encoding in (charset, "utf-8"):
        if not encoding:
            continue
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")
