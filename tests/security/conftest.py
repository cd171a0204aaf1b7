"""Security tests: the shared `app`, uploads in the test's own folder, and a client logged in as any role."""

import pytest

from tests.app_config import base_config
from tests.factories import make_user

ROLES = ("marketer", "reviewer", "admin")


@pytest.fixture
def app_config(tmp_path, database_url) -> dict:
    config = base_config(tmp_path, database_url)
    config["SUBSCRIBER_IMPORT_DIR"] = str(tmp_path / "imports")
    return config


@pytest.fixture
def staff(app) -> dict:
    """One account per role, keyed by role."""
    return {role: make_user(f"{role}@example.org", role) for role in ROLES}


@pytest.fixture
def as_role(app, client, auth, staff):
    """as_role("admin") -> the test client logged in with that role (CSRF off); as_role(None) -> logged out."""

    def switch(role: str | None):
        app.config["WTF_CSRF_ENABLED"] = False
        auth.logout()
        if role is not None:
            auth.login(staff[role])
        return client

    return switch
