"""Browser-test helpers: a logged-in page that collects console errors."""

from __future__ import annotations

from plexus.core.demo.catalog import DEMO_PASSWORD

VIEWPORT = {"width": 1366, "height": 768}  # the laptop size UX.md designs for


def logged_in_page(browser, base_url: str, username: str, viewport: dict | None = None):
    """Open a page, log in as a demo user and return (page, console_errors). Waits for the home page."""
    page = browser.new_page(viewport=viewport or VIEWPORT)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page, errors
