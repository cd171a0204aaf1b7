"""Subscriber tests: the shared `app` fixture, with uploads kept in the test's own folder."""

import pytest

from tests.app_config import base_config


@pytest.fixture
def app_config(tmp_path, database_url) -> dict:
    config = base_config(tmp_path, database_url)
    config["SUBSCRIBER_IMPORT_DIR"] = str(tmp_path / "imports")
    return config
