"""The Gradio handlers, called directly (no browser): streaming, errors, history, sources, export, sign-in setting."""

from __future__ import annotations

import threading
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.types import Answer, Chunk, Citation, Filters, Hit, Statement
from assistant.ui.blocks import Callbacks, build_ui, chat_messages, source_link
from assistant.ui.web import check_no_shared_login

QUESTION = "Who co-hosted the Expert Meeting in Kyiv?"


class ScriptedAssistant:
    """Stands in for Assistant where a test needs a cited answer or must see the arguments passed."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []
        self.gate = threading.BoundedSemaphore(1)  # the answer gate the chat shares with the API

    def ask(self, question: str, **kwargs: Any) -> Answer:
        self.calls.append(dict(kwargs, question=question))
        return replace(self.answer, question=question)


def cited() -> Answer:
    chunk = Chunk("c1", "d1", "Co-hosted by Ukraine and Lithuania.", 0, 35, None, "", "000.txt", "Kyiv meeting")
    cite = Citation(1, "c1", "000.txt", "Kyiv meeting", None, 13, 34)
    statements = tuple(Statement(f"Statement {i}.", (cite,), "verified") for i in range(3))
    return Answer(QUESTION, statements, False, (Hit(chunk, 1.0, 1),))


def run(callbacks: Callbacks, question: str, turns: list, **options: Any) -> list[tuple[Any, Any, Any]]:
    args = dict(sources=[], orgs=[], years=[], mode="hybrid", k=10, answerer="extractive") | options
    return list(callbacks.ask(question, turns, *args.values()))


def test_answer_streams_statement_by_statement(seed_settings: Settings) -> None:
    steps = run(Callbacks(seed_settings, ScriptedAssistant(cited())), QUESTION, [])  # type: ignore[arg-type]
    assert "Searching the documents" in steps[0][0][-1]["content"] and steps[0][2] == ""
    partial = [s[0][-1]["content"] for s in steps[1:-1]]
    assert len(partial) == 2 and "Statement 0." in partial[0] and "Statement 1." not in partial[0]
    messages, turns, box = steps[-1]
    assert len(turns) == 1 and messages == chat_messages(turns) and box == ""
    assert 'href="#src-0-c1"' in messages[-1]["content"]


def test_follow_ups_pass_history_filters_and_settings(seed_settings: Settings) -> None:
    scripted = ScriptedAssistant(cited())
    callbacks = Callbacks(seed_settings, scripted)  # type: ignore[arg-type]
    turns = run(callbacks, QUESTION, [])[-1][1]
    final = run(callbacks, "And who supported it?", turns, sources=["000.txt"], years=["2017"], mode="bm25", k=5)
    call = scripted.calls[-1]
    assert call["history"] == [QUESTION]
    assert call["filters"] == Filters(frozenset({"000.txt"}), frozenset(), frozenset({"2017"}))
    assert (call["mode"], call["k"], call["answerer"]) == ("bm25", 5, "extractive")
    assert 'href="#src-1-c1"' in final[-1][0][-1]["content"]  # the second turn's links name turn 1


def test_bad_question_shows_the_reason_and_keeps_the_text(seed_settings: Settings, assistant) -> None:  # type: ignore[no-untyped-def]
    callbacks = Callbacks(seed_settings, assistant)
    long_question = "why " * 1000
    messages, turns, box = run(callbacks, long_question, [])[-1]
    assert "Cannot answer" in messages[-1]["content"] and "characters long" in messages[-1]["content"]
    assert turns == [] and box == long_question.strip()
    assert len(run(callbacks, "   ", [])) == 1  # an empty box does nothing


def test_real_question_with_filters_and_source_panel(seed_settings: Settings, assistant) -> None:  # type: ignore[no-untyped-def]
    callbacks = Callbacks(seed_settings, assistant)
    source = "003_4f2ffe78ae97656e.txt"
    turns = run(callbacks, QUESTION, [], sources=[source])[-1][1]
    assert turns[0][1].hits and {h.chunk.source for h in turns[0][1].hits} == {source}
    panel = callbacks.show_source(turns, gr.EventData(None, {"ref": "#src-0-h1"}))
    assert "Related passage 1" in panel or "Citation" in panel
    assert turns[0][1].hits[0].chunk.text.split()[0] in panel
    assert "Click a citation" in callbacks.show_source(turns, gr.EventData(None, {"ref": "#nonsense"}))


def test_export_writes_markdown_and_docx(seed_settings: Settings) -> None:
    callbacks = Callbacks(seed_settings, ScriptedAssistant(cited()))  # type: ignore[arg-type]
    turns = run(callbacks, QUESTION, [])[-1][1]
    turns = run(callbacks, "Second question?", turns)[-1][1]
    md = Path(callbacks.export(turns, "Current answer", "md") or "")
    assert md.name.startswith("answer-") and "Second question?" in md.read_text() and QUESTION not in md.read_text()
    docx_path = Path(callbacks.export(turns, "Whole conversation", "docx") or "")
    assert docx_path.name.startswith("conversation-") and docx_path.suffix == ".docx"
    with zipfile.ZipFile(docx_path) as z:
        assert "Ukraine and Lithuania" in z.read("word/footnotes.xml").decode()
    with pytest.warns(UserWarning, match="Nothing to export yet"):  # a toast in the app, a warning here
        assert callbacks.export([], "Current answer", "md") is None


def test_source_link_serves_corpus_files_only(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "uploads").mkdir(parents=True)
    (corpus / "uploads" / "a.txt").write_text("x")
    (tmp_path / "secret.txt").write_text("x")
    base = Chunk("c", "d", "x", 0, 1)
    assert source_link(replace(base, url="https://www.iom.int"), corpus) == "https://www.iom.int"
    link = source_link(replace(base, source="uploads/a.txt"), corpus)
    assert link is not None and link.startswith("gradio_api/file=") and link.endswith("/corpus/uploads/a.txt")
    assert source_link(replace(base, source="../secret.txt"), corpus) is None
    assert source_link(replace(base, source="missing.txt"), corpus) is None


def test_the_shared_login_setting_is_refused_in_favour_of_accounts(seed_settings: Settings) -> None:
    check_no_shared_login(seed_settings)
    with pytest.raises(ConfigError, match="assistant users add"):
        check_no_shared_login(seed_settings.replace(auth="ana:s3cret"))


def test_build_ui_wires_the_cite_event(seed_settings: Settings, assistant) -> None:  # type: ignore[no-untyped-def]
    demo = build_ui(seed_settings, assistant)
    config = demo.get_config_file()
    triggers = {(t[1]) for dep in config["dependencies"] for t in dep["targets"]}
    assert {"cite", "submit", "click", "example_select", "upload", "load"} <= triggers
