"""The staff navigation: all its links at desktop width, folded into a "Menu" button only at phone width."""

import pytest

from tests.browser.logins import log_in_as

pytestmark = pytest.mark.browser


def test_at_desktop_width_the_links_show_and_the_menu_button_does_not(live_server, live_users, page):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_as(page, live_server.url, live_users["marketer"])

    assert not page.is_visible(".menu-toggle")
    assert page.is_visible("#main-nav a:has-text('Campaigns')")
    assert page.is_visible("#main-nav a:has-text('Account')")


def test_at_phone_width_the_menu_button_opens_and_closes_the_links(live_server, live_users, page):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, live_users["marketer"])
    button = page.locator(".menu-toggle")
    campaigns = page.locator("#main-nav a:has-text('Campaigns')")

    assert button.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert not campaigns.is_visible()

    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert campaigns.is_visible()

    button.click()
    assert button.get_attribute("aria-expanded") == "false"
    assert not campaigns.is_visible()


def test_at_phone_width_the_menu_opens_from_the_keyboard(live_server, live_users, page):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, live_users["marketer"])
    button = page.locator(".menu-toggle")

    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert page.is_visible("#main-nav a:has-text('Campaigns')")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Home", "the first link comes next"

    button.focus()
    page.keyboard.press("Space")
    assert button.get_attribute("aria-expanded") == "false"
    assert not page.is_visible("#main-nav a:has-text('Home')")


def test_after_opening_at_phone_width_a_wider_window_shows_the_links_and_no_button(live_server, live_users, page):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, live_users["marketer"])
    page.click(".menu-toggle")

    page.set_viewport_size({"width": 1400, "height": 900})
    assert not page.is_visible(".menu-toggle")
    assert page.is_visible("#main-nav a:has-text('Campaigns')")


def test_without_javascript_the_links_show_at_phone_width_and_no_button(live_server, live_users, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in_as(page, live_server.url, live_users["marketer"])
        assert not page.is_visible(".menu-toggle"), "a button that does nothing without the script"
        assert page.is_visible("#main-nav a:has-text('Campaigns')")
    finally:
        context.close()
