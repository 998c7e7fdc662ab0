"""The whole page in a real browser: headless Chromium drives `python app.py` on a free localhost port.

The app runs on copies of the seed corpus and index in a temp folder (uploads must not touch the repo's
corpus). Set ASSISTANT_SCREENSHOTS=docs/screenshots to also save the screenshots used in docs/ui.md.
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_process import AppStartError, running_app
from pdfs import write_pdf

from assistant.config import Settings
from assistant.index.generations import CURRENT_FILE

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("Chromium or ChromeDriver missing: run scripts/install-browser.sh", allow_module_level=True)

from selenium import webdriver  # noqa: E402  (only once we know a browser is there)
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

KYIV = "Who co-hosted the Expert Meeting in Kyiv?"
NOTE = (
    "Harbour Watch Pilot\n\nThe Harbour Watch pilot programme was launched in Valletta in March 2023 by the "
    "Maritime Cooperation Office. It trains port officers to recognise signs of migrant smuggling on cargo ships.\n"
)
STARTUP_S, STEP_S = 180, 60
SHOTS = os.environ.get("ASSISTANT_SCREENSHOTS")


@pytest.fixture(scope="module")
def app(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Yield the URL of the running app and its (temporary) corpus folder."""
    root = tmp_path_factory.mktemp("browser-app")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(seed_settings.corpus_dir, corpus, ignore=shutil.ignore_patterns("uploads"))
    shutil.copytree(seed_settings.index_dir, index, ignore=shutil.ignore_patterns(".lock"))
    env = {
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_INDEX_DIR": str(index),
        "ASSISTANT_CONFIG": str(root / "none.toml"),
    }
    try:
        with running_app(root, env, STARTUP_S) as app_process:
            yield app_process.url, corpus
            log_path = app_process.log
    except AppStartError as exc:
        pytest.fail(str(exc))
    assert "No index" not in log_path.read_text()  # the given index was used, not rebuilt


@pytest.fixture(scope="module")
def browser(app: tuple[str, Path]) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    # The viewport itself is 1400x900, so that the screenshots show what a laptop shows.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    )
    driver.get(app[0])
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    yield driver
    driver.quit()


def wait_for(driver: WebDriver, condition, timeout: float = STEP_S):  # type: ignore[no-untyped-def]
    """Return the condition's first truthy value; re-try when the page re-renders under us."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def css(driver: WebDriver, selector: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, selector)


def ask(driver: WebDriver, question: str) -> WebElement:
    """Ask `question` and return the finished answer's element (the last in the chat)."""
    before = len(css(driver, "#chat .answer"))
    box = css(driver, "#question textarea")[0]
    box.clear()
    box.send_keys(question)
    css(driver, "#ask-button")[0].click()
    return wait_until_answered(driver, before)


def wait_until_answered(driver: WebDriver, before: int) -> WebElement:
    def finished(d: WebDriver) -> WebElement | None:
        answers = css(d, "#chat .answer")
        done = len(answers) > before and not {"pending", "streaming"} & set(answers[-1].get_attribute("class").split())
        return answers[-1] if done else None

    return wait_for(driver, finished)


def open_tab(driver: WebDriver, name: str) -> None:
    driver.find_element(By.XPATH, f"//button[@role='tab'][contains(., '{name}')]").click()


def toggle(driver: WebDriver, accordion: str) -> None:
    """Open or close an accordion by its label (its content is rendered only once opened)."""
    css(driver, f"#{accordion} > button.label-wrap")[0].click()


def click(driver: WebDriver, selector: str) -> None:
    wait_for(driver, lambda d: [e for e in css(d, selector) if e.is_displayed()])[0].click()


def shoot(driver: WebDriver, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        time.sleep(0.4)  # let transitions settle
        driver.save_screenshot(str(Path(SHOTS) / name))


def test_answer_citation_opens_the_passage(browser: WebDriver) -> None:
    assert browser.find_elements(By.XPATH, "//*[@id='chat']//button[contains(., 'four pillars')]"), "no examples"
    shoot(browser, "chat-empty.png")
    # Record every state the answer passes through: it must arrive in steps, not all at once.
    browser.execute_script(
        "window.seen = []; new MutationObserver(() => document.querySelectorAll('#chat .answer').forEach(e => {"
        " if (!window.seen.includes(e.className)) window.seen.push(e.className); }))"
        ".observe(document.body, {subtree: true, childList: true});"
    )
    answer = ask(browser, KYIV)
    assert "answer pending" in browser.execute_script("return window.seen")
    classes = answer.get_attribute("class").split()
    if "abstained" in classes:  # the answerer found nothing it could state: the related passages are listed
        links = answer.find_elements(By.CSS_SELECTOR, "ol.related a.cite")
        assert links and "No answer found" in answer.text
    else:
        assert answer.find_elements(By.CSS_SELECTOR, ".stmt") and "Kyiv" in answer.text
        links = answer.find_elements(By.CSS_SELECTOR, ".stmt a.cite")
    assert links, answer.get_attribute("innerHTML")
    links[0].click()
    panel = wait_for(browser, lambda d: [p for p in css(d, "#source-panel .passage") if "Kyiv" in p.text])[0]
    assert "Expert Meeting" in css(browser, "#source-panel .source-title")[0].text
    assert "Oct 2017" in css(browser, "#source-panel .source-meta")[0].text
    if "abstained" not in classes:  # a citation: the supporting span is highlighted inside the passage
        marked = panel.find_elements(By.TAG_NAME, "mark")
        assert marked and len(marked[0].text) > 20 and marked[0].text in panel.text
    shoot(browser, "chat-answer.png")


def test_new_conversation_then_example_and_export(browser: WebDriver, app: tuple[str, Path]) -> None:
    click(browser, "#new-conversation")
    example = wait_for(browser, lambda d: d.find_elements(By.XPATH, "//*[@id='chat']//button[contains(., 'deaths')]"))
    assert not css(browser, "#chat .answer") and "Click a citation" in css(browser, "#source-panel")[0].text
    example[0].click()
    answer = wait_until_answered(browser, 0)
    assert "7,934" in answer.text or "7934" in answer.text

    toggle(browser, "export")
    click(browser, "#export-md")
    link = wait_for(browser, lambda d: css(d, "#export-file a[download$='.md']"))[0]
    with urllib.request.urlopen(link.get_attribute("href"), timeout=10) as response:
        markdown = response.read().decode("utf-8")
    assert markdown.startswith("# Answer") and "## How many migrant deaths were recorded in 2016?" in markdown
    click(browser, "#export-docx")
    wait_for(browser, lambda d: css(d, "#export-file a[download$='.docx']"))
    shoot(browser, "export.png")
    toggle(browser, "export")
    toggle(browser, "filters")
    toggle(browser, "settings")
    settings = wait_for(browser, lambda d: [s for s in css(d, "#settings") if "Passages retrieved" in s.text])[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", settings)
    shoot(browser, "filters-settings.png")
    toggle(browser, "filters")
    toggle(browser, "settings")


def test_upload_then_ask_about_it(browser: WebDriver, app: tuple[str, Path], tmp_path: Path) -> None:
    corpus = app[1]
    good, bad = tmp_path / "harbour watch.txt", tmp_path / "tool.exe"
    good.write_text(NOTE, encoding="utf-8")
    bad.write_bytes(b"MZ\x90\x00")
    open_tab(browser, "Documents")
    assert wait_for(browser, lambda d: [t for t in css(d, "#library-table") if "Expert Meeting" in t.text])
    css(browser, "#upload input[type=file]")[0].send_keys(f"{good}\n{bad}")
    status = wait_for(browser, lambda d: [s for s in css(d, "#upload-status") if "Added" in s.text], timeout=120)[0]
    assert "uploads/harbour_watch.txt" in status.text
    assert "tool.exe" in status.text and "not accepted" in status.text
    assert (corpus / "uploads" / "harbour_watch.txt").read_text(encoding="utf-8") == NOTE
    assert not (REPO / "corpus" / "uploads" / "harbour_watch.txt").exists()
    wait_for(browser, lambda d: [t for t in css(d, "#library-table") if "harbour_watch.txt" in t.text])
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", status)
    shoot(browser, "documents.png")

    open_tab(browser, "Ask")
    answer = ask(browser, "When was the Harbour Watch pilot programme launched?")
    try:
        link = wait_for(browser, lambda d: answer.find_elements(By.CSS_SELECTOR, "a.cite"), timeout=5)[0]
    except TimeoutException:
        pytest.fail(f"no citation or related passage: {answer.text}")
    link.click()
    wait_for(browser, lambda d: [p for p in css(d, "#source-panel") if "March 2023" in p.text])
    assert "uploads/harbour_watch.txt" in css(browser, "#source-panel .source-file")[0].text


CORAL_BAY = "The Coral Bay Initiative trained ninety port officers in Tallinn in May 2024."


def test_a_pdf_citation_shows_its_page_with_the_quote_highlighted(browser: WebDriver, tmp_path: Path) -> None:
    filler = (
        "Maritime routes across the Baltic remained quiet in the first quarter, and the port authorities "
        "reported fewer irregular arrivals than in the year before. "
    )
    pdf = write_pdf(
        tmp_path / "baltic report.pdf",
        [filler * 4, filler * 3 + "\n\n" + CORAL_BAY + "\n\n" + filler * 2],
        header="Baltic Border Office - Annual Report 2024",
    )
    open_tab(browser, "Documents")
    css(browser, "#upload input[type=file]")[0].send_keys(str(pdf))
    wait_for(browser, lambda d: [s for s in css(d, "#upload-status") if "baltic_report.pdf" in s.text], timeout=120)
    open_tab(browser, "Ask")
    answer = ask(browser, "How many port officers did the Coral Bay Initiative train?")
    assert "ninety" in answer.text, answer.text
    answer.find_elements(By.CSS_SELECTOR, ".stmt a.cite")[0].click()

    def page_shown(d: WebDriver) -> WebElement | None:
        figures = css(d, "#source-panel figure.page-view")
        loaded = figures and d.execute_script("return arguments[0].querySelector('img').naturalWidth", figures[0])
        return figures[0] if loaded else None

    figure = wait_for(browser, page_shown)
    assert "Page 2 of 2: the quoted words are highlighted." in figure.text
    assert "ninety port officers" in css(browser, "#source-panel .passage mark")[0].text
    image = figure.find_element(By.CSS_SELECTOR, "img.page-image")
    assert browser.execute_script("return arguments[0].naturalWidth", image) == 1100  # the PNG of our server
    src = image.get_attribute("src")
    assert "/gradio_api/file=" in src and "/page-images/" in src
    with urllib.request.urlopen(src, timeout=10) as response:
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    # The cache folder is served, the index folder around it is not.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(src.rsplit("/page-images/", 1)[0] + "/" + CURRENT_FILE, timeout=10)
    assert refused.value.code == 403
    marks = figure.find_elements(By.CSS_SELECTOR, ".page-mark")
    assert len(marks) == 1, figure.get_attribute("innerHTML")
    frame, mark = image.rect, marks[0].rect
    # The sentence was written under three lines of filler, 20 mm below the top of a 297 mm page.
    assert frame["x"] <= mark["x"] and mark["x"] + mark["width"] <= frame["x"] + frame["width"] + 1
    assert 0.08 < (mark["y"] - frame["y"]) / frame["height"] < 0.35
    assert mark["width"] > frame["width"] / 3 and mark["height"] < frame["height"] / 30
    window = figure.find_element(By.CSS_SELECTOR, ".page-window").rect  # the band of the page on show
    assert window["y"] <= mark["y"] and mark["y"] + mark["height"] <= window["y"] + window["height"]
    assert window["height"] < frame["height"] / 2
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", figure)
    shoot(browser, "page-view.png")
