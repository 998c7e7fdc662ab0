"""The conversation sidebar's handlers, called directly with a real gr.Request and a real accounts database."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.accounts import conversations as store
from assistant.config import Settings, load_settings
from assistant.types import Answer, Chunk, Citation, Hit, Statement, Turn
from assistant.ui.blocks import Callbacks, build_ui, chat_messages
from assistant.ui.history_panel import Current, HistoryCallbacks
from assistant.ui.identity import current_user

QUESTION = "Who co-hosted the Expert Meeting in Kyiv?"
REQUEST = gr.Request(username="alice")  # identity.current_user maps it to the user asking (the local user for now)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose accounts database is a fresh file (the panel needs no index)."""
    return load_settings(Path("/nonexistent/assistant.toml"), environ={}, index_dir=tmp_path / "index")


def turn(question: str) -> Turn:
    chunk = Chunk("c1", "d1", "Co-hosted by Ukraine and Lithuania.", 0, 35, None, "", "000.txt", "Kyiv meeting")
    cite = Citation(1, "c1", "000.txt", "Kyiv meeting", None, 13, 34)
    return question, Answer(
        question, (Statement("Ukraine and Lithuania.", (cite,), "verified"),), False, (Hit(chunk, 1.0, 1),)
    )


def ask(callbacks: Callbacks, question: str, turns: list[Turn]) -> list[Turn]:
    steps = list(callbacks.ask(question, turns, [], [], [], "hybrid", 10, "extractive"))
    return steps[-1][1]


def choices(listed: Any) -> list[tuple[str, str]]:
    return [(label, value) for label, value in listed.choices]


def test_questions_are_stored_reopened_with_working_citations_and_exported(settings: Settings, assistant) -> None:  # type: ignore[no-untyped-def]
    callbacks = Callbacks(settings, assistant)
    history = HistoryCallbacks(settings, chat_messages)
    turns = ask(callbacks, QUESTION, [])
    current, listed = history.save(None, turns, REQUEST)  # the new conversation is made on its first question
    assert current == Current(current.id, 1)
    assert [label.split(" · ")[0] for label, _ in choices(listed)] == [QUESTION] and listed.value == current.id
    turns = ask(callbacks, "And who supported it?", turns)
    current, listed = history.save(current, turns, REQUEST)
    assert current.saved == 2 and len(choices(listed)) == 1
    assert history.save(current, turns, REQUEST) == (gr.skip(), gr.skip())  # a failed question stores nothing

    state, listed, title, _ = history.new()  # New conversation: nothing stored, nothing selected
    assert state is None and listed.value is None and title == ""
    messages, reopened, state, source, exported, title, _ = history.open(current.id, REQUEST)
    assert reopened == turns and messages == chat_messages(turns) and state == current and title == QUESTION
    assert "Click a citation" in source and exported is None
    panel = callbacks.show_source(reopened, gr.EventData(None, {"ref": "#src-0-c1"}))
    assert "Citation" in panel and turns[0][1].hits[0].chunk.text.split()[0] in panel
    exported_md = Path(callbacks.export(reopened, "Whole conversation", "md") or "").read_text()
    assert QUESTION in exported_md and "And who supported it?" in exported_md and "[^1]" in exported_md


def test_rename_and_delete_after_confirmation(settings: Settings) -> None:
    history = HistoryCallbacks(settings, chat_messages)
    first, _ = history.save(None, [turn("First?")], REQUEST)
    second, _ = history.save(None, [turn("Second?")], REQUEST)
    listed, title = history.rename(first, "  Kyiv   notes ", REQUEST)
    assert title == "Kyiv notes" and choices(listed)[1][0].startswith("Kyiv notes · ") and listed.value == first.id
    with pytest.warns(UserWarning, match="cannot be empty"):
        history.rename(first, " ", REQUEST)
    row, text = history.ask_delete(first, REQUEST)
    assert row.visible is True and "**Kyiv notes** and its 1 question?" in text
    outputs = history.delete(first, REQUEST)
    assert outputs[:3] == ([], [], None) and outputs[7].visible is False
    assert [value for _, value in choices(outputs[6])] == [second.id]
    with pytest.warns(UserWarning, match="Open a conversation first"):
        history.rename(None, "x", REQUEST)
    with pytest.warns(UserWarning, match="Open a conversation first"):
        assert history.ask_delete(None, REQUEST)[0].visible is False


def test_another_users_conversation_cannot_be_reached_through_the_panel(settings: Settings) -> None:
    db = settings.accounts_path
    theirs = store.create(db, "bob", "Bob's")
    store.append_turn(db, "bob", theirs, *turn("Bob's question?"))
    history = HistoryCallbacks(settings, chat_messages)
    assert choices(history.refresh(None, REQUEST)) == []
    with pytest.warns(UserWarning, match="no longer exists"):
        outputs = history.open(theirs, REQUEST)
    assert outputs[:6] == (gr.skip(),) * 6 and choices(outputs[6]) == []
    with pytest.warns(UserWarning, match="no longer exists"):
        history.rename(Current(theirs, 1), "Mine now", REQUEST)
    with pytest.warns(UserWarning, match="Open a conversation first"):
        history.ask_delete(Current(theirs, 1), REQUEST)
    with pytest.warns(UserWarning, match="no longer exists"):
        history.delete(Current(theirs, 1), REQUEST)
    assert [(c.title, c.turns) for c in store.list_for(db, "bob")] == [("Bob's", 1)]  # untouched


def test_a_full_or_deleted_conversation_goes_on_as_a_new_one(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(store, "MAX_TURNS", 2)
    history = HistoryCallbacks(settings, chat_messages)
    turns = [turn("One?"), turn("Two?")]
    current, _ = history.save(None, turns, REQUEST)
    turns.append(turn("Three?"))
    following, listed = history.save(current, turns, REQUEST)
    assert following.id != current.id and following.saved == 3 and "saved as a new one" in capsys.readouterr().out
    assert [label.split(" · ")[0] for label, _ in choices(listed)] == ["Three?", "One?"]
    me = current_user(settings, REQUEST).name  # with no accounts: the local user
    store.delete(settings.accounts_path, me, following.id)  # as from another tab
    turns.append(turn("Four?"))
    after, _ = history.save(following, turns, REQUEST)
    assert [q for q, _ in store.load(settings.accounts_path, me, after.id)] == ["Four?"]


def test_a_damaged_answer_is_left_out_with_a_warning(settings: Settings) -> None:
    history = HistoryCallbacks(settings, chat_messages)
    current, _ = history.save(None, [turn("One?"), turn("Two?")], REQUEST)
    with sqlite3.connect(settings.accounts_path) as con:
        con.execute("UPDATE turns SET answer = 'not json' WHERE position = 0")
    with pytest.warns(UserWarning, match="1 stored answer"):
        _, reopened, state, *_ = history.open(current.id, REQUEST)
    assert [q for q, _ in reopened] == ["Two?"] and state.saved == 1


def test_build_ui_stores_each_answer_and_lists_on_load(settings: Settings) -> None:
    demo = build_ui(settings, object())  # type: ignore[arg-type]  # building the page asks nothing
    config = demo.get_config_file()
    names = [re.sub(r"_\d+$", "", str(dep.get("api_name"))) for dep in config["dependencies"]]  # save_1 is save
    assert names.count("save") == 3  # after the Enter key, the Ask button and an example question
    assert {"open", "rename", "ask_delete", "delete", "refresh"} <= set(names)
    radio = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "conversation-list")
    assert radio["type"] == "radio"
