"""Configuration picks the channel implementation; nothing else in the code knows which one it got."""

import threading
from collections.abc import Mapping

from service.channels.email.base import EmailChannel
from service.channels.email.outbox import OutboxEmailChannel
from service.channels.email.sendgrid import SendGridEmailChannel
from service.channels.social.base import SocialChannel
from service.channels.social.outbox import OutboxSocialChannel
from service.channels.social.x import XSocialChannel


def email_channel_for(
    config: Mapping, stop: threading.Event | None = None, give_up_after: float | None = None
) -> EmailChannel:
    """The configured channel. `stop` (a worker's stop flag) ends a provider's wait between retries, and no wait goes
    on past `give_up_after` seconds from a batch's first try (a worker's lease, a waiting page)."""
    name = config["EMAIL_CHANNEL"]
    if name == "outbox":
        return OutboxEmailChannel(
            config["OUTBOX_DIR"], from_address=config["MAIL_FROM_ADDRESS"], from_name=config["MAIL_FROM_NAME"]
        )
    if name == "sendgrid":
        return SendGridEmailChannel.from_config(config, stop, give_up_after)
    raise ValueError(f"unknown EMAIL_CHANNEL {name!r}")


# A web request tries again only within this many seconds of its first try: a page must not wait out a rate limit
# (gunicorn gives a request 30 s; with the request timeout on top this stays under it).
WEB_RETRY_WINDOW_SECONDS = 5.0


def email_channel_for_request(config: Mapping) -> EmailChannel:
    """The configured channel for an email sent while a person waits for the page (signup, test send)."""
    return email_channel_for(config, give_up_after=WEB_RETRY_WINDOW_SECONDS)


def social_channel_for(config: Mapping) -> SocialChannel:
    name = config["SOCIAL_CHANNEL"]
    if name == "outbox":
        return OutboxSocialChannel(config["OUTBOX_DIR"])
    if name == "x":
        return XSocialChannel.from_config(config)
    raise ValueError(f"unknown SOCIAL_CHANNEL {name!r}")
