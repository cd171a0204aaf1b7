"""Gunicorn's access log without subscribers' link tokens (Procfile: `--logger-class`).

A confirm, unsubscribe or preferences link carries a signed token that stands for one subscriber: whoever holds it
can change what that subscriber receives. The access log keeps the route and drops the token, wherever it appears
(the request line, the path, a referrer).
"""

from gunicorn.glogging import Logger

from service import log_redaction
from service.log_redaction import without_tokens

__all__ = ["TokenRedactingLogger", "without_tokens"]


class TokenRedactingLogger(Logger):
    """The access log's atoms lose their tokens; the error log (and anything else gunicorn writes) goes through
    the redacting filter, like the app's own logs."""

    def setup(self, cfg):
        super().setup(cfg)
        log_redaction.install("gunicorn.error", "gunicorn.access")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: without_tokens(value) if isinstance(value, str) else value for name, value in atoms.items()}
