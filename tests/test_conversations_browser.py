"""The conversation sidebar in a real browser: answers are stored, listed, reopened, renamed, deleted, kept on reload.

Uses the app and browser fixtures of test_browser.py (a running `python app.py` on temp copies of the seed
corpus and index, its accounts database beside them, and headless Chromium).
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from test_browser import KYIV, app, ask, browser, click, css, toggle, wait_for  # noqa: F401  (fixtures too)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DEATHS = "How many migrant deaths were recorded in 2016?"


def listed(driver: WebDriver) -> list[str]:
    """Return the sidebar's conversation titles, top first."""
    return [e.text.split(" · ")[0] for e in css(driver, "#conversation-list label") if e.text]


def wait_listed(driver: WebDriver, titles: list[str]) -> None:
    wait_for(driver, lambda d: listed(d) == titles or None)


def new_conversation(driver: WebDriver) -> None:
    """Start a new conversation and let its events finish: they empty the question box, and would empty a
    question typed while they run (on a busy machine, after it was typed)."""
    click(driver, "#new-conversation")
    time.sleep(2)


def click_first_citation(driver: WebDriver, holding: str) -> bool:
    """Click the first citation of the answer holding `holding`; False while there is none."""
    answers = [a for a in css(driver, "#chat .answer") if holding in a.text]
    cites = answers[0].find_elements(By.CSS_SELECTOR, "a.cite") if answers else []
    if cites:
        cites[0].click()
    return bool(cites)


def test_conversations_are_stored_reopened_renamed_and_deleted(browser: WebDriver) -> None:  # noqa: F811
    new_conversation(browser)
    ask(browser, KYIV)
    wait_listed(browser, [KYIV])  # stored after the answer, listed at once
    new_conversation(browser)
    ask(browser, DEATHS)
    wait_listed(browser, [DEATHS, KYIV])

    browser.find_element(By.XPATH, f"//*[@id='conversation-list']//label[contains(., '{KYIV}')]").click()
    wait_for(browser, lambda d: [a for a in css(d, "#chat .answer") if "Kyiv" in a.text])
    assert len(css(browser, "#chat .answer")) == 1
    # A reopened answer's citation opens its passage. The chat may render the reopened answer twice, so the
    # citation is found and clicked in one step, again if the first one found went stale.
    wait_for(browser, lambda d: click_first_citation(d, "Kyiv"))
    wait_for(browser, lambda d: [p for p in css(d, "#source-panel .passage") if "Kyiv" in p.text])

    toggle(browser, "conversation-edit")
    box = wait_for(browser, lambda d: [b for b in css(d, "#conversation-title input") if b.is_displayed()])[0]
    wait_for(browser, lambda d: box.get_attribute("value") == KYIV)
    box.clear()
    box.send_keys("Kyiv meeting")
    click(browser, "#conversation-rename")
    wait_listed(browser, [DEATHS, "Kyiv meeting"])

    click(browser, "#conversation-delete")
    wait_for(browser, lambda d: [c for c in css(d, "#conversation-confirm") if "Kyiv meeting" in c.text])
    click(browser, "#conversation-delete-yes")
    wait_listed(browser, [DEATHS])
    assert not css(browser, "#chat .answer")

    browser.refresh()  # stored, not kept in the page: the list comes back from the database
    wait_listed(browser, [DEATHS])
