"""Stored conversations: answers as JSON and back, each user's own list, limits, damaged rows (real SQLite files)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.accounts import conversations as store
from assistant.accounts.answer_json import from_json, to_json
from assistant.accounts.conversations import ConversationError, ConversationFullError, ConversationNotFoundError
from assistant.types import Answer, Chunk, Citation, Hit, Statement

QUESTION = "Who co-hosted the Expert Meeting in Kyiv?"


def paged_answer(question: str = QUESTION) -> Answer:
    """An answer with every kind of field set: pages, OCR, a chunk across a page break, numpy scores."""
    chunk = Chunk(
        "c1", "d1", "Co-hosted by Ukraine and Lithuania.", 100, 135, 3, "Kyiv", "r.pdf", "Kyiv meeting", "IOM",
        "2017-05", "https://example.org/r.pdf", True, (12,), (4,),
    )  # fmt: skip
    cite = Citation(1, "c1", "r.pdf", "Kyiv meeting", 4, 13, 34, ocr=True)
    statements = (Statement("Ukraine and Lithuania.", (cite,), "verified", 0.93), Statement("More.", (), "unverified"))
    hit = Hit(chunk, np.float32(0.75), 1, {"bm25": np.float32(3.5), "dense": 0.25})  # type: ignore[arg-type]
    return Answer(question, statements, False, (hit,), "", {"retrieve": 12.5}, "standalone?")


def test_a_real_answer_comes_back_equal(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.ask(QUESTION)
    assert answer.statements[0].citations and answer.hits
    back = from_json(to_json(answer))
    assert back == answer
    assert isinstance(back.hits, tuple) and isinstance(back.statements[0].citations, tuple)
    assert isinstance(back.hits[0].chunk.page_starts, tuple)


def test_every_field_survives_the_trip() -> None:
    answer = paged_answer()
    back = from_json(to_json(answer))
    assert back == answer
    assert back.hits[0].chunk.page_of(20) == 4 and back.statements[0].citations[0].ocr
    assert type(back.hits[0].score) is float  # numpy scalars are stored as plain numbers
    abstained = Answer("q", (), True, (), "Nothing in the documents.")
    assert from_json(to_json(abstained)) == abstained


@pytest.mark.parametrize(
    "text",
    ["{not json", "[]", '{"format": 99, "answer": {}}', '{"format": 1, "answer": {"question": "q"}}', '{"format": 1}'],
)
def test_what_is_not_a_stored_answer_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="unreadable stored answer"):
        from_json(text)


def test_create_list_load_append_rename_delete(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    first = store.create(db, "alice", store.title_from(QUESTION))
    second = store.create(db, "alice", "Second")
    assert len(first) == 32 and first != second
    assert [c.id for c in store.list_for(db, "alice")] == [second, first]  # newest first
    store.append_turn(db, "alice", first, QUESTION, paged_answer())
    store.append_turn(db, "alice", first, "And who funded it?", paged_answer("And who funded it?"))
    listed = store.list_for(db, "alice")
    assert [(c.id, c.title, c.turns) for c in listed] == [(first, QUESTION, 2), (second, "Second", 0)]
    assert listed[0].updated > listed[0].created  # a new turn moves it to the top
    turns = store.load(db, "alice", first)
    assert turns == [(QUESTION, paged_answer()), ("And who funded it?", paged_answer("And who funded it?"))]
    store.rename(db, "alice", first, "  Kyiv\nmeeting  ")
    assert store.list_for(db, "alice")[0].title == "Kyiv meeting"
    with pytest.raises(ConversationError, match="cannot be empty"):
        store.rename(db, "alice", first, "   ")
    store.delete(db, "alice", first)
    assert [c.id for c in store.list_for(db, "alice")] == [second]
    with pytest.raises(ConversationNotFoundError):
        store.load(db, "alice", first)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM turns").fetchone() == (0,)  # its turns went with it


def test_another_user_gets_not_found_exactly_as_for_a_missing_id(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    mine = store.create(db, "alice", "Mine")
    store.append_turn(db, "alice", mine, QUESTION, paged_answer())
    attempts = {
        "load": lambda c: store.load(db, "bob", c),
        "append": lambda c: store.append_turn(db, "bob", c, "q", paged_answer("q")),
        "rename": lambda c: store.rename(db, "bob", c, "Taken"),
        "delete": lambda c: store.delete(db, "bob", c),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ConversationNotFoundError) as theirs:
            attempt(mine)
        with pytest.raises(ConversationNotFoundError) as missing:
            attempt("0" * 32)
        assert str(theirs.value) == str(missing.value), name
    assert store.list_for(db, "bob") == []
    assert [(c.title, c.turns) for c in store.list_for(db, "alice")] == [("Mine", 1)]  # untouched
    assert store.load(db, "alice", mine) == [(QUESTION, paged_answer())]


def test_a_damaged_answer_is_left_out_and_named(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    conversation = store.create(db, "alice", "Damaged")
    for question in ("one?", "two?", "three?"):
        store.append_turn(db, "alice", conversation, question, paged_answer(question))
    with sqlite3.connect(db) as con:
        con.execute("UPDATE turns SET answer = ? WHERE position = 1", ('{"format": 1, "answer": {',))
    opened = store.open_turns(db, "alice", conversation)
    assert [q for q, _ in opened.turns] == ["one?", "three?"] and opened.unreadable == (1,)
    assert store.list_for(db, "alice")[0].turns == 3  # the list still counts it: the row is there


def test_a_conversation_refuses_turns_past_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MAX_TURNS", 3)
    db = tmp_path / "accounts.db"
    conversation = store.create(db, "alice", "Long")
    for i in range(3):
        store.append_turn(db, "alice", conversation, f"q{i}?", paged_answer(f"q{i}?"))
    with pytest.raises(ConversationFullError, match="at most 3 questions"):
        store.append_turn(db, "alice", conversation, "q3?", paged_answer("q3?"))
    assert len(store.load(db, "alice", conversation)) == 3


def test_a_user_keeps_the_newest_conversations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MAX_CONVERSATIONS", 3)
    db = tmp_path / "accounts.db"
    ids = [store.create(db, "alice", f"c{i}") for i in range(3)]
    store.append_turn(db, "alice", ids[0], "q?", paged_answer("q?"))  # the first is now the latest used
    other = store.create(db, "bob", "Bob's")
    newest = store.create(db, "alice", "c3")
    assert [c.id for c in store.list_for(db, "alice")] == [newest, ids[0], ids[2]]  # c1 (oldest used) went
    assert [c.id for c in store.list_for(db, "bob")] == [other]  # another user's limit is their own


def test_the_shared_database_keeps_other_tables(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    with sqlite3.connect(db) as con:  # as the users module would have made it
        con.execute("CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT)")
        con.execute("INSERT INTO users VALUES ('alice', 'staff')")
    conversation = store.create(db, "alice", "x")
    store.delete(db, "alice", conversation)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT * FROM users").fetchall() == [("alice", "staff")]
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_appends_from_several_threads_take_distinct_places(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    conversation = store.create(db, "alice", "Busy")
    threads = [
        threading.Thread(target=store.append_turn, args=(db, "alice", conversation, f"q{i}?", paged_answer(f"q{i}?")))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(q for q, _ in store.load(db, "alice", conversation)) == [f"q{i}?" for i in range(8)]


def test_titles_are_one_line_cut_at_a_word() -> None:
    assert store.title_from("  What is\n the  date? ") == "What is the date?"
    long = "What are the four pillars of IOM's approach to counter migrant smuggling in the Mediterranean?"
    title = store.title_from(long)
    assert title.endswith("…") and len(title) <= store.TITLE_MAX_CHARS and long.startswith(title[:-1])
    assert store.title_from("") == "Untitled"


def test_an_unusable_database_raises_our_error(tmp_path: Path) -> None:
    (tmp_path / "accounts.db").mkdir()  # a folder where the file should be
    with pytest.raises(ConversationError, match="history cannot be read or saved"):
        store.list_for(tmp_path / "accounts.db", "alice")
