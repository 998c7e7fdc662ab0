"""Accounts in a real browser: a trainee signs in, asks, sees only the sources and conversations they may see.

`python app.py` runs on copies of the seed corpus and index, with the Kyiv meeting report restricted to the
investigators group in the copied catalog. The accounts are made with the CLI exactly as an admin types it.
Headless Chromium signs in through the login page.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_process import AppStartError, running_app
from test_browser import CHROMEDRIVER, CHROMIUM, STARTUP_S, ask, css, open_tab, wait_for

from assistant.config import Settings

pytestmark = [pytest.mark.browser, pytest.mark.integration]

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESTRICTED = "000_ecf764e4fb7f4f22.txt"  # the Kyiv meeting report: the only source of who co-hosted it
RESTRICTED_TITLE = "(meeting report, Kyiv)"  # the open concept note has a like title
KYIV = "Who co-hosted the Expert Meeting in Kyiv?"
PILLARS = "What are the four pillars of IOM's approach to counter migrant smuggling?"
PASSWORD = "correct horse battery"


def users_cli(env: dict[str, str], *args: str) -> None:
    """Run `python -m assistant users ...` as an admin would, the password on stdin."""
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "users", *args],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={**env, "PATH": "/usr/bin:/bin"},
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def app(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser-accounts")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(seed_settings.corpus_dir, corpus, ignore=shutil.ignore_patterns("uploads"))
    shutil.copytree(seed_settings.index_dir, index, ignore=shutil.ignore_patterns(".lock"))
    catalog = corpus / "catalog.toml"
    text = catalog.read_text(encoding="utf-8")
    header = f'["{RESTRICTED}"]\n'
    assert header in text
    catalog.write_text(text.replace(header, header + 'groups = ["investigators"]\n'), encoding="utf-8")
    env = {
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_INDEX_DIR": str(index),
        "ASSISTANT_CONFIG": str(root / "none.toml"),
        "HF_HUB_OFFLINE": "1",
    }
    users_cli(env, "add", "tina", "--role", "trainee", "--password-stdin")
    users_cli(env, "add", "ivan", "--role", "staff", "--group", "investigators", "--password-stdin")
    try:
        with running_app(root, env, STARTUP_S) as app_process:
            yield app_process.url
    except AppStartError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def sign_in(driver: WebDriver, url: str, name: str) -> None:
    driver.get(url)
    wait_for(driver, lambda d: "/login" in d.current_url and d.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: css(d, "#question textarea"))
    wait_for(driver, lambda d: f"{name} (" in signed_in_line(d))


def signed_in_line(driver: WebDriver) -> str:
    return " ".join(" ".join(e.text for e in css(driver, "#signed-in")).split())


def tab_names(driver: WebDriver) -> list[str]:
    return [t.text for t in css(driver, "button[role='tab']") if t.is_displayed()]


def cited_sources(answer: object) -> str:
    return " ".join(link.get_attribute("title") or "" for link in answer.find_elements(By.CSS_SELECTOR, "a.cite"))  # type: ignore[attr-defined]


def test_a_trainee_sees_only_allowed_sources_and_controls_and_their_own_history(app: str, browser: WebDriver) -> None:
    sign_in(browser, app, "tina")
    assert "Signed in as tina (trainee)" in signed_in_line(browser)
    wait_for(browser, lambda d: tab_names(d) == ["Ask", "Documents"])  # no Briefing note, no Eval

    answer = ask(browser, PILLARS)  # answered from an open document, cited
    assert "answer" in answer.get_attribute("class") and answer.find_elements(By.CSS_SELECTOR, "a.cite")
    answer.find_elements(By.CSS_SELECTOR, "a.cite")[0].click()
    panel = wait_for(browser, lambda d: [p for p in css(d, "#source-panel") if "IOM" in p.text])[0]
    assert RESTRICTED_TITLE not in panel.text

    kyiv = ask(browser, KYIV)  # only the restricted report says: not for a trainee
    assert "do not say" in kyiv.text  # the nearest passages it lists come from open documents only:
    assert "Lithuania" not in kyiv.text and RESTRICTED_TITLE not in cited_sources(kyiv)
    page = browser.page_source
    i = page.find(RESTRICTED_TITLE)
    assert i < 0, page[max(0, i - 700) : i + 200]

    wait_for(browser, lambda d: [e for e in css(d, "#conversation-list label") if PILLARS[:30] in e.text])

    open_tab(browser, "Documents")
    table = wait_for(browser, lambda d: [t for t in css(d, "#library-table") if t.is_displayed() and "IOM" in t.text])
    assert RESTRICTED_TITLE not in table[0].text
    assert not [e for e in css(browser, "#upload-box, #upload") if e.is_displayed()]  # no upload for a trainee

    browser.find_element(By.CSS_SELECTOR, "#signed-in button.sign-out").click()
    wait_for(browser, lambda d: "/login" in d.current_url)
    browser.get(app)
    wait_for(browser, lambda d: "/login" in d.current_url)  # the session is over


def test_a_group_member_reads_the_restricted_report_and_not_the_trainees_history(app: str, browser: WebDriver) -> None:
    sign_in(browser, app, "ivan")
    wait_for(browser, lambda d: "Briefing note" in tab_names(d) and "Eval" not in tab_names(d))
    answer = ask(browser, KYIV)
    assert answer.find_elements(By.CSS_SELECTOR, "a.cite") and "do not say" not in answer.text
    labels = [e.text for e in css(browser, "#conversation-list label")]
    assert not [label for label in labels if PILLARS[:30] in label]  # tina's conversation is hers alone
