"""Where stored images are found by readers of an email or a page."""

from collections.abc import Mapping

MEDIA_URL_PATH = "/media"


def media_base_url(config: Mapping) -> str:
    """MEDIA_BASE_URL (a CDN or bucket holding the same files) when set, else the app's own /media under
    PUBLIC_BASE_URL. No trailing slash."""
    base = config.get("MEDIA_BASE_URL") or f"{config['PUBLIC_BASE_URL'].rstrip('/')}{MEDIA_URL_PATH}"
    return base.rstrip("/")
