"""Front desk toggles the day calendar to rooms, opens a practitioner's week, moves to the next
week, opens a visit block from it and opens the search to move one of its components. The server runs on the real clock with the demo data (which
books four weeks ahead of its own today), so the test only navigates with the screens' own links."""

from __future__ import annotations

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def test_rooms_view_and_week_view(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "frontdesk")
    page.goto(f"{plexus_server}/schedule/")
    page.locator("#px-calendar[data-by='practitioners']").wait_for(timeout=10_000)
    # Move to the next weekday with bookings (the demo has none on Sundays).
    for _ in range(3):
        if page.locator("#px-calendar .px-appt").count():
            break
        page.click("#nav-next")
        page.wait_for_load_state()
    page.click("#by-rooms")
    page.locator("#px-calendar[data-by='rooms']").wait_for(timeout=10_000)
    heads = page.locator("#px-calendar .px-cal-head[data-room]")
    assert heads.count() >= 5
    cards = page.locator("#px-calendar .px-appt")
    assert cards.count() > 0
    linked = page.locator("#px-calendar .px-appt.px-linked")
    if linked.count():
        assert " of " in linked.first.inner_text()
    cards.first.click()
    page.locator("#block-detail").wait_for(timeout=10_000)
    page.screenshot(path=str(artifacts_dir / "schedule-rooms.png"))

    page.click("#view-week")
    page.locator("#px-week").wait_for(timeout=10_000)
    assert page.locator("#px-week .px-cal-head[data-day]").count() == 7
    monday = page.locator("#px-week").get_attribute("data-monday")
    page.click("#nav-next")
    page.locator(f"#px-week:not([data-monday='{monday}'])").wait_for(timeout=10_000)
    # Pick the practitioner with bookings that week if the default has none.
    options = page.locator("#week-practitioner option")
    for i in range(options.count()):
        if page.locator("#px-week .px-appt").count() >= 3:
            break
        page.select_option("#week-practitioner", index=i)
        page.locator("form:has(#week-practitioner) button").click()
        page.wait_for_load_state()
    week_cards = page.locator("#px-week .px-appt")
    assert week_cards.count() > 0
    week_cards.first.click()
    page.locator("#block-detail").wait_for(timeout=10_000)
    page.screenshot(path=str(artifacts_dir / "schedule-week.png"))
    # Next week's visits have not started: each component can be moved on its own.
    page.locator("#block-detail .px-move-one").first.click()
    page.locator("#component-search").wait_for(timeout=15_000)
    assert page.locator("#options .px-option").count() + page.locator("#options p.text-muted").count() >= 1
    page.screenshot(path=str(artifacts_dir / "schedule-move-component.png"))
    assert not errors, errors
    page.close()
