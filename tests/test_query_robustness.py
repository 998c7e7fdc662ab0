"""Odd and hostile questions through the API, the CLI and the UI handlers: an answer, an abstention or a
one-line message, never a traceback.

Empty, whitespace-only, over-long and control-character questions are refused with a QueryError that
says what to do; bidi overrides, other languages, emoji and HTML are asked like any question and get
either the right fact or an honest abstention, never an off-topic quote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.errors import QueryError
from assistant.output.contract import answer_to_json
from assistant.pipeline import Assistant
from assistant.types import Answer
from assistant.ui.blocks import Callbacks

REPO = Path(__file__).resolve().parents[1]
DEATHS = "How many migrant deaths were recorded in 2016?"
FACT = "7,934"
# About 10,000 characters of a real-looking question, five times the max_question_chars default.
LONG = ((DEATHS + " Please cite the report and the page. ") * 120)[:9_999] + "?"

REFUSED = {
    "empty": ("", "The question is empty"),
    "whitespace": (" \t\n\u3000 \r\n ", "The question is empty"),
    "10k-chars": (LONG, "10,000 characters long; keep it under 2,000"),
    "nul": ("deaths\x00 in 2016", "control characters"),
    "ansi-escape": ("\x1b[31m" + DEATHS + "\x1b[0m", "control characters"),
    "bell": ("\x07\x07\x07", "control characters"),
}
NON_ENGLISH = {
    "french": "Combien de décès de migrants ont été enregistrés en 2016 ?",
    "arabic": "كم عدد وفيات المهاجرين المسجلة في عام 2016؟",
    "chinese": "2016年记录了多少移民死亡？",
}
ODD = {
    "emoji-only": "🚢🧳❓",
    "single-emoji": "😀",
    "bidi-override": "How many migrant deaths \u202ewere recorded in 2016?",
    "html": '<img src=x onerror="alert(1)"><script>alert(2)</script> What is migrant smuggling?',
    "punctuation-only": "?!?... ---",
}


def shown(asked: str) -> str:
    """Return a question as the assistant echoes it: bidi overrides dropped, whitespace collapsed."""
    return " ".join(asked.translate(dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])).split())


def assert_honest(answer: Answer, asked: str) -> None:
    """An answer whose statements are verified quotes of its passages, or an abstention saying so."""
    assert answer.question == shown(asked)
    if answer.abstained:
        assert answer.reason.startswith("The documents in the corpus do not say"), answer.reason
        assert not any(s.support == "verified" for s in answer.statements)
    else:
        assert answer.statements
        chunks = {h.chunk.id: h.chunk for h in answer.hits}
        for statement in answer.statements:
            assert statement.support == "verified" and statement.citations
            for c in statement.citations:
                assert c.chunk_id in chunks and 0 <= c.start < c.end <= len(chunks[c.chunk_id].text)
    row = json.loads(json.dumps(answer_to_json(answer), ensure_ascii=False))
    assert row["question"] == answer.question  # survives JSON with non-ASCII text intact


# --- (a) the Python API ------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_api_refuses_unaskable_questions_with_a_clear_message(
    assistant: Assistant, question: str, message: str
) -> None:
    with pytest.raises(QueryError, match=message) as caught:
        assistant.ask(question)
    text = str(caught.value)
    assert "\n" not in text and len(text) < 200
    assert not any(ch in text for ch in "\x00\x1b\x07")  # the message does not echo control characters back


@pytest.mark.parametrize("question", ODD.values(), ids=ODD.keys())
def test_api_answers_or_abstains_on_odd_questions(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert_honest(answer, question)
    if "\u202e" in question:  # an invisible bidi override must not hide the answer
        assert not answer.abstained and FACT in answer.statements[0].text
    if question in (ODD["emoji-only"], ODD["single-emoji"], ODD["punctuation-only"]):
        assert answer.abstained and answer.hits  # nothing to answer, related passages still shown


@pytest.mark.parametrize(
    "question",
    [pytest.param(q, id=k) for k, q in NON_ENGLISH.items()],
)
def test_api_non_english_question_gets_the_fact_or_an_abstention(assistant: Assistant, question: str) -> None:
    """The corpus is English: the right number, or "the documents do not say", never another sentence."""
    answer = assistant.ask(question)
    assert_honest(answer, question)
    assert answer.abstained or any(FACT in s.text for s in answer.statements), [s.text for s in answer.statements]


def test_api_answers_a_question_just_under_the_length_limit(assistant: Assistant) -> None:
    question = LONG[: assistant.settings.max_question_chars - 10]
    answer = assistant.ask(question)
    assert_honest(answer, question)
    assert not answer.abstained and FACT in answer.statements[0].text


# --- (b) the command line, as a user runs it ---------------------------------------------------------


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        ASSISTANT_INDEX_DIR=str(settings.index_dir),
        ASSISTANT_CORPUS_DIR=str(settings.corpus_dir),
        ASSISTANT_CONFIG="/nonexistent/assistant.toml",
    )
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert result.stdout == ""


# A NUL byte cannot travel in argv at all; it is covered by the API and UI tests and by `--questions-file`.
CLI_REFUSED = {k: v for k, v in REFUSED.items() if "\x00" not in v[0]}


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize(("question", "message"), CLI_REFUSED.values(), ids=CLI_REFUSED.keys())
def test_cli_refuses_unaskable_questions_in_one_line(
    seed_settings: Settings, command: str, question: str, message: str
) -> None:
    assert_one_line_error(run_cli(seed_settings, command, question, "--json"), message)


MIXED = "🚢 " + NON_ENGLISH["arabic"] + " " + NON_ENGLISH["chinese"] + " \u202e?"


Runs = dict[str, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def mixed_runs(seed_settings: Settings) -> Runs:
    """`ask` and `search` with emoji, bidi override and two scripts, run side by side (each loads the models)."""
    with ThreadPoolExecutor(2) as pool:
        runs = {cmd: pool.submit(run_cli, seed_settings, cmd, MIXED, "--json") for cmd in ("ask", "search")}
        return {cmd: future.result() for cmd, future in runs.items()}


def test_cli_ask_json_with_emoji_bidi_and_other_scripts(mixed_runs: Runs) -> None:
    result = mixed_runs["ask"]
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    row = json.loads(result.stdout)
    assert row["question"] == shown(MIXED)
    assert row["abstained"] or FACT in row["answer"]
    assert row["abstained"] == (not any(s["support"] == "verified" for s in row["statements"]))
    assert len(row["retrieved"]) >= 10


def test_cli_search_with_emoji_bidi_and_other_scripts(mixed_runs: Runs) -> None:
    result = mixed_runs["search"]
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == shown(MIXED) and payload["hits"]
    assert all(h["text"] and h["source"] for h in payload["hits"])


# --- (c) the UI handlers, as the browser calls them --------------------------------------------------


def run_ui(callbacks: Callbacks, question: str) -> list[tuple[Any, Any, Any]]:
    return list(callbacks.ask(question, [], [], [], [], "hybrid+rerank", 10, "extractive"))


@pytest.fixture(scope="module")
def callbacks(seed_settings: Settings, assistant: Assistant) -> Callbacks:
    return Callbacks(seed_settings, assistant)


@pytest.mark.parametrize("question", [REFUSED["empty"][0], REFUSED["whitespace"][0]], ids=["empty", "whitespace"])
def test_ui_ignores_an_empty_box(callbacks: Callbacks, question: str) -> None:
    assert len(run_ui(callbacks, question)) == 1  # one no-op update: nothing asked, nothing shown


@pytest.mark.parametrize(
    ("question", "message"),
    [REFUSED[k] for k in ("10k-chars", "nul", "ansi-escape", "bell")],
    ids=["10k-chars", "nul", "ansi-escape", "bell"],
)
def test_ui_shows_why_a_question_cannot_be_asked(callbacks: Callbacks, question: str, message: str) -> None:
    messages, turns, box = run_ui(callbacks, question)[-1]
    shown = messages[-1]["content"]
    assert "Cannot answer" in shown and message in shown and "Traceback" not in shown
    assert turns == [] and box == question.strip()  # the text comes back to be corrected


@pytest.mark.parametrize(
    "question",
    [ODD["html"], ODD["emoji-only"], NON_ENGLISH["arabic"], ODD["bidi-override"]],
    ids=["html", "emoji-only", "arabic", "bidi-override"],
)
def test_ui_answers_odd_questions_with_the_text_escaped(callbacks: Callbacks, question: str) -> None:
    messages, turns, box = run_ui(callbacks, question)[-1]
    assert len(turns) == 1 and box == ""
    asked, answered = messages[-2]["content"], messages[-1]["content"]
    assert "<img" not in asked and "<script" not in asked and "<script" not in answered
    if question == ODD["html"]:
        assert "&lt;img src=x" in asked and "&lt;script&gt;" in asked
    else:
        assert asked == question
    assert 'class="answer' in answered and ("No answer found in the documents" in answered or "[1]" in answered)
