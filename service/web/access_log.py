"""Gunicorn's access log without subscribers' link tokens (Procfile: `--logger-class`).

A confirm, unsubscribe or preferences link carries a signed token that stands for one subscriber: whoever holds it
can change what that subscriber receives. The access log keeps the route and drops the token, wherever it appears
(the request line, the path, a referrer).
"""

import re

from gunicorn.glogging import Logger

_TOKEN_PATH = re.compile(r"/(confirm|unsubscribe|preferences)/[^/?#\s\"]+")


def without_tokens(text: str) -> str:
    return _TOKEN_PATH.sub(r"/\1/[token]", text)


class TokenRedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: without_tokens(value) if isinstance(value, str) else value for name, value in atoms.items()}
