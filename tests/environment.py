"""What a test run may lack on a developer's machine but never in CI (PostgreSQL, Chromium, the clinic's article)."""

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Skip on a developer machine without `what`; in CI every test must run, so fail instead."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available here")
