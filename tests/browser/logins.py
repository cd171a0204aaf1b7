"""Logging in and out through the pages, as a person in the browser does."""

from tests.factories import TEST_PASSWORD

PASSWORD = TEST_PASSWORD


def log_in_as(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def log_out(page) -> None:
    page.click("text=Log out")
