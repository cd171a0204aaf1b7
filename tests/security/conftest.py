"""Security tests: the shared `app`, uploads in the test's own folder, and a client logged in as any role."""

import pytest

from tests.conftest import base_config, log_in, make_user

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
def as_role(app, client, staff):
    """as_role("admin") -> the test client logged in with that role (CSRF off); as_role(None) -> logged out."""
    app.config["WTF_CSRF_ENABLED"] = False

    def switch(role: str | None):
        client.post("/logout")
        if role is not None:
            log_in(client, staff[role])
        return client

    return switch
