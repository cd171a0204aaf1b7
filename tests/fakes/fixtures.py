"""Fixtures for the fake provider servers: each test gets its own, started, and stopped afterwards."""

from collections.abc import Iterator

import pytest

from tests.fakes.blog_server import FakeClinicBlog
from tests.fakes.http_fake import FakeHTTPServer
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.x_server import FakeX
from tests.paths import SENDGRID_MAIL_SPEC


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    """A FakeSendGrid on 127.0.0.1 validating against SendGrid's published Mail Send contract (tests/contracts/).

    Point the real client at it: `SendGridAPIClient(api_key, host=fake_sendgrid.url)`.
    """
    with FakeSendGrid(SENDGRID_MAIL_SPEC) as fake:
        yield fake
    _fail_on_internal_errors(fake)


@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    """A FakeX on 127.0.0.1 for one account.

    Point the real client at it: `build_x_client(**fake_x.credentials.as_kwargs(), api_base=fake_x.url)`.
    """
    with FakeX() as fake:
        yield fake
    _fail_on_internal_errors(fake)


@pytest.fixture
def fake_blog() -> Iterator[FakeClinicBlog]:
    """A FakeClinicBlog on 127.0.0.1 with nothing published yet: `fake_blog.publish("first-session")`."""
    with FakeClinicBlog() as fake:
        yield fake
    _fail_on_internal_errors(fake)


def _fail_on_internal_errors(fake: FakeHTTPServer) -> None:
    # A crash inside a fake reaches the client as a 500, which code under test may well retry past.
    if fake.internal_errors:
        pytest.fail("the fake server crashed:\n" + "\n".join(fake.internal_errors), pytrace=False)
