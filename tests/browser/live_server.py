"""The app served for real on 127.0.0.1, in a thread of the test process (for the browser and for link checks)."""

import threading
from collections.abc import Iterator

from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, closed_after_the_last_chunk(app), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def closed_after_the_last_chunk(app):
    """`app`, whose answers close as soon as their last chunk is written.

    PEP 3333 has the server close every answer, and gunicorn (which serves the app in `make run` and in production)
    does. werkzeug's development server does not when the client resets the connection after reading the answer,
    as Chromium does at times after a redirect on a loaded machine: its drain of the socket raises before the
    close, and the work the app does once the answer is out (`call_on_close`: recording a signup and mailing its
    confirmation) never runs."""

    def wsgi(environ, start_response) -> Iterator[bytes]:
        answer = app(environ, start_response)
        try:
            yield from answer
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wsgi
