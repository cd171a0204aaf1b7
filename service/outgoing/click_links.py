"""Click counting without tracking people: a message's links go through Tidings' own redirect, whose signed token
names the message and the link only (never the subscriber), so one rendered body still serves a whole batch and a
click can only add one to that link's total. Off unless the clinic turns CLICK_COUNTING_ENABLED on; SendGrid's own
click and open tracking stay off either way.
"""

import html
import re

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.channels.email.base import OutgoingEmail
from service.models import MessageLink

_HREF = re.compile(r'href="(https?://[^"]+)"')


class ClickTokenError(ValueError):
    """Not a click link Tidings made."""


def _serializer(secret_key) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="tidings-click")


def with_counted_links(
    session: Session, email: OutgoingEmail, message_id: int, secret_key, public_base_url: str
) -> OutgoingEmail:
    """The email with each outside link (not Tidings' own pages) replaced by a counting redirect. Commits nothing."""
    own = public_base_url.rstrip("/") + "/"
    found = [escaped for escaped in dict.fromkeys(_HREF.findall(email.html)) if not escaped.startswith(own)]
    rendered_html, text = email.html, email.text
    for escaped in found:
        url = html.unescape(escaped)
        link = session.scalar(select(MessageLink).where(MessageLink.message_id == message_id, MessageLink.url == url))
        if link is None:
            link = MessageLink(message_id=message_id, url=url, clicks=0)
            session.add(link)
            session.flush()
        redirect = f"{own}r/{_serializer(secret_key).dumps([message_id, link.id])}"
        rendered_html = rendered_html.replace(f'href="{escaped}"', f'href="{redirect}"')
        text = text.replace(url, redirect)
    return OutgoingEmail(
        subject=email.subject,
        html=rendered_html,
        text=text,
        headers=email.headers,
        categories=email.categories,
        custom_args=email.custom_args,
    )


def follow_click(session: Session, secret_key, token: str) -> str:
    """Add one to the link's total and return where it goes. ClickTokenError for a token not made here, or one
    naming a link that is not in the message it names."""
    try:
        message_id, link_id = _serializer(secret_key).loads(token)
        link = session.get(MessageLink, int(link_id))
    except (BadSignature, TypeError, ValueError) as error:
        raise ClickTokenError("not a click link") from error
    if link is None or link.message_id != int(message_id):
        raise ClickTokenError("not a link of this message")
    link.clicks = MessageLink.clicks + 1  # in the database: parallel clicks all count
    return link.url
