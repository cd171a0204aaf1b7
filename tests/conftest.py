"""Fixtures shared by the whole suite: the app on SQLite and on PostgreSQL, a client, a logged-in marketer."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from service import create_app
from service.extensions import db as database
from service.models import User

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytest_plugins = ["tests.fakes.fixtures"]


def missing(what: str) -> None:
    """Skip on a developer machine without `what`; in CI every test must run, so fail instead."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available here")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only `shared/` folder that sits beside the repository (seed article, specs, conformance)."""
    if not SHARED_DIR.is_dir():
        pytest.fail(f"shared/ folder not found beside the repository at {SHARED_DIR}")
    return SHARED_DIR


@pytest.fixture(scope="session")
def seed_article_text(shared_dir: Path) -> str:
    return (shared_dir / "articles" / "ketamine-and-substance-abuse.txt").read_text(encoding="utf-8")


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


def base_config(tmp_path: Path, database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "DATABASE_URL": database_url,
        "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "EMAIL_CHANNEL": "outbox",
        "SOCIAL_CHANNEL": "outbox",
        "PUBLIC_BASE_URL": "https://tidings.test",
        "RATELIMIT_ENABLED": False,
    }


_pg_schema_ready: set[str] = set()


def _reset_postgres(url: str) -> None:
    if url not in _pg_schema_ready:
        database.drop_all()
        database.create_all()
        _pg_schema_ready.add(url)
        return
    tables = ", ".join(f'"{table.name}"' for table in database.metadata.sorted_tables)
    database.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.session.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tidings.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict:
    """The config the `app` fixture is built from; override keys by overriding this fixture."""
    return base_config(tmp_path, database_url)


class FinishedResponseClient(FlaskClient):
    """A test client that, like a WSGI server, closes each response once it is read: work a view defers until its
    answer is sent (`response.call_on_close`, e.g. signup emails) has run when the test looks. Pass
    buffered=False to look at a response before that (to time the answer alone, or to stream)."""

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture
def app(app_config: dict):
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


def make_user(email: str, role: str, password: str = "correct-horse-battery") -> User:
    user = User(email=email, name=email.split("@")[0].title(), role=role)
    user.set_password(password)
    database.session.add(user)
    database.session.commit()
    return user


@pytest.fixture
def marketer(app) -> User:
    return make_user("marketer@example.org", "marketer")


@pytest.fixture
def reviewer(app) -> User:
    return make_user("reviewer@example.org", "reviewer")


def log_in(client, user: User, password: str = "correct-horse-battery") -> None:
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, "login failed"


@pytest.fixture
def marketer_client(app, client, marketer):
    app.config["WTF_CSRF_ENABLED"] = False
    log_in(client, marketer)
    return client
