"""Fixtures for the whole suite: the app on SQLite and on PostgreSQL, a client, users, logins, the outbox.

Fixtures only: helpers tests call live in modules of their own (`tests.factories`, `tests.auth`, `tests.outbox`,
`tests.app_config`, ...), since no test imports from a conftest.
"""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text

from service import create_app
from service.extensions import db as database
from service.models import User
from tests.app_config import base_config
from tests.auth import AuthActions
from tests.clients import FinishedResponseClient
from tests.environment import missing
from tests.factories import SEED_ARTICLE_FILENAME, make_user
from tests.outbox import Outbox
from tests.paths import ARTICLE_SAMPLES_DIR, CLINIC_ARTICLE

DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture(scope="session")
def seed_article_text() -> str:
    """A long plain-text article in our own words (15 sections, no claims findings): what tests import and send."""
    return (ARTICLE_SAMPLES_DIR / SEED_ARTICLE_FILENAME).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def clinic_article_path() -> Path:
    """The clinic's own published article, for the tests about that very text.

    It may not be copied into the repository, so it is read from the `shared/` folder beside the clone when there
    is one. Without it these tests skip, in CI too: a clone of the repository alone must pass.
    """
    if not CLINIC_ARTICLE.is_file():
        pytest.skip(f"the clinic's article is not in this workspace (looked for {CLINIC_ARTICLE})")
    return CLINIC_ARTICLE


@pytest.fixture(scope="session")
def clinic_article_text(clinic_article_path: Path) -> str:
    return clinic_article_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (so parallel sessions never share tables)."""
    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    name = f"tidings_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        missing(f"PostgreSQL at {admin_url}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pg_schema_ready: set[str] = set()


def _reset_postgres(url: str) -> None:
    if url not in _pg_schema_ready:
        database.drop_all()
        database.create_all()
        _pg_schema_ready.add(url)
        return
    # DELETE, not TRUNCATE: a TRUNCATE of every table took a quarter of a second, before each of ~700 tests (it
    # makes new files for each table and index). With triggers and foreign keys off for the transaction (as
    # superuser), the tables empty in any order and no count trigger runs.
    session = database.session
    session.execute(text("SET LOCAL session_replication_role = replica"))
    for table in database.metadata.sorted_tables:
        session.execute(text(f'DELETE FROM "{table.name}"'))
    session.execute(text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))  # ids from 1 again
    session.commit()
    # The rows deleted stay in the files (this machine's PostgreSQL does not vacuum): a table a test filled is
    # truncated, so the next tests do not scan what it left.
    bloated = session.scalars(text("SELECT relname FROM pg_stat_user_tables WHERE n_dead_tup > 5000")).all()
    if bloated:
        names = ", ".join(f'"{name}"' for name in bloated)
        session.execute(text(f"TRUNCATE {names} CASCADE"))
        session.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tidings.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict:
    """The config the `app` fixture is built from; override keys by overriding this fixture."""
    return base_config(tmp_path, database_url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite database with the schema, made once: each test's database is a copy (creating the schema took a
    seventh of a second a test)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "tidings.db"
    app = create_app(base_config(folder, f"sqlite:///{path}"))
    with app.app_context():
        database.create_all()
        database.session.remove()
        database.engine.dispose()
    return path


def _copy_of_the_schema(request, database_url: str) -> None:
    """A test's SQLite file starts as the template, unless the test made its own already."""
    path = Path(database_url.removeprefix("sqlite:///"))
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:" and not path.exists():
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)


@pytest.fixture
def app(request, app_config: dict):
    _copy_of_the_schema(request, app_config["DATABASE_URL"])
    app = create_app(app_config)
    app.test_client_class = FinishedResponseClient
    with app.app_context():
        try:
            if app_config["DATABASE_URL"].startswith("postgresql"):
                _reset_postgres(app_config["DATABASE_URL"])
            else:
                database.create_all()
            yield app
        finally:
            # Also when setting up failed: a connection left open would fail some later test with a ResourceWarning.
            database.session.remove()
            database.engine.dispose()


@pytest.fixture
def db(app):
    """The SQLAlchemy extension, bound to the test app's database (SQLite or PostgreSQL)."""
    return database


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def marketer(app) -> User:
    return make_user("marketer@example.org", "marketer")


@pytest.fixture
def reviewer(app) -> User:
    return make_user("reviewer@example.org", "reviewer")


@pytest.fixture
def auth(app, client) -> AuthActions:
    """Log the `client` in as a user: `auth.login(user)`, `auth.logout()`."""
    return AuthActions(app, client)


@pytest.fixture
def as_user(app, auth) -> Callable[[str], User]:
    """`as_user("reviewer")` logs the `client` in as a user of that role (made at ROLE@example.org if there is none
    yet) and returns the user."""

    def log_in_as(role: str) -> User:
        email = f"{role}@example.org"
        user = database.session.scalar(select(User).where(User.email == email)) or make_user(email, role)
        auth.login(user)
        return user

    return log_in_as


@pytest.fixture
def marketer_client(client, auth, marketer):
    auth.login(marketer)
    return client


@pytest.fixture
def outbox(app) -> Outbox:
    """What the app's outbox channels have sent: `outbox.emails`, `outbox.emails_to(address)`, `outbox.posts`."""
    return Outbox(app.config["OUTBOX_DIR"])
