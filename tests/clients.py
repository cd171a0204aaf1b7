"""The test client the `app` fixture hands out."""

from flask.testing import FlaskClient


class FinishedResponseClient(FlaskClient):
    """A test client that, like a WSGI server, closes each response once it is read: work a view defers until its
    answer is sent (`response.call_on_close`, e.g. signup emails) has run when the test looks. Pass
    buffered=False to look at a response before that (to time the answer alone, or to stream)."""

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)
