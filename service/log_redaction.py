"""Logs never hold a subscriber's link token or an email address, whoever writes the line (our code, Flask's
"Exception on /confirm/<token>", gunicorn, a library's error message, a traceback).

`RedactingFilter` rewrites each record on its way to a handler; `install` puts it on the handlers of the root
logger (where the app's and the worker's loggers end) and of the loggers that do not propagate (gunicorn's).
"""

import logging
import re

from service.subscribers.addresses import redact_addresses

# A link's token after its route, and any itsdangerous-signed value on its own (payload.timestamp.signature).
_TOKEN_PATH = re.compile(r"/(confirm|unsubscribe|preferences)/[^/?#\s\"'<>]+")
_SIGNED_VALUE = re.compile(r"\b[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{4,8}\.[A-Za-z0-9_-]{20,}")


def without_tokens(text: str) -> str:
    return _TOKEN_PATH.sub(r"/\1/[token]", text)


def redact(text: str) -> str:
    return redact_addresses(_SIGNED_VALUE.sub("[token]", without_tokens(text)))


class RedactingFilter(logging.Filter):
    """Rewrites the record's message (with its arguments merged in) and its traceback text; never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "redacted", False):
            return True
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record.redacted = True
        return True


REDACTING_FILTER = RedactingFilter()


def install(*logger_names: str) -> None:
    """Redact on every handler of the root logger and of the named loggers (idempotent: call it again after
    handlers were added)."""
    for name in ("", *logger_names):
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            if REDACTING_FILTER not in handler.filters:
                handler.addFilter(REDACTING_FILTER)
