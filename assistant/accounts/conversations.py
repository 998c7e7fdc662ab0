"""Each user's stored conversations: their titles and turns, in two tables of the accounts database (SQLite).

Every function takes the owner's name and finds only that owner's conversations: another user's id is
"not found", exactly as an id that never existed, so nobody learns that someone else's conversation exists.
A connection is opened per call (Gradio answers on several threads); WAL lets readers go on while one writes.
The tables are made by the accounts database's migrations (store.py), like the others in the file.
Questions and answers are stored in clear (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.accounts import store
from assistant.accounts.answer_json import from_json, to_json
from assistant.accounts.store import AccountError
from assistant.errors import AssistantError
from assistant.types import Answer, Turn

# A reopened conversation is drawn whole in the chat (each answer with its passages, ~20 KB of HTML) and its
# questions are the follow-up history: 200 questions is a long working session, and still a page that opens.
MAX_TURNS = 200
# The sidebar lists every conversation; past 500 the list is no longer read but scrolled, and the database of a
# busy user would grow without end (a conversation of 200 answers with their passages is a few MB).
MAX_CONVERSATIONS = 500
TITLE_MAX_CHARS = 60


class ConversationError(AssistantError):
    """A conversation cannot be stored, opened or changed as asked."""


class ConversationNotFoundError(ConversationError):
    """No conversation of this user has the id (it never existed, was deleted, or is someone else's)."""

    def __init__(self) -> None:
        super().__init__("That conversation no longer exists: pick another one or start a new conversation.")


class ConversationFullError(ConversationError):
    """The conversation holds MAX_TURNS turns already."""

    def __init__(self) -> None:
        super().__init__(f"A conversation keeps at most {MAX_TURNS} questions: start a new conversation.")


@dataclass(frozen=True, slots=True)
class Conversation:
    """One stored conversation as the sidebar lists it."""

    id: str
    title: str
    created: str  # ISO date and time, UTC
    updated: str  # when its last turn was added
    turns: int  # rows stored, readable or not


@dataclass(frozen=True, slots=True)
class Opened:
    """A conversation's readable turns, and the positions of those whose stored answer could not be read."""

    turns: list[Turn]
    unreadable: tuple[int, ...] = ()


def title_from(question: str) -> str:
    """Return a title made of the question: one line, cut at a word to TITLE_MAX_CHARS with an ellipsis."""
    text = re.sub(r"\s+", " ", question).strip()
    if len(text) <= TITLE_MAX_CHARS:
        return text or "Untitled"
    cut = text[: TITLE_MAX_CHARS - 1]
    if " " in cut[TITLE_MAX_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.?!") + "…"


def create(db: Path, owner: str, title: str) -> str:
    """Return the id of a new, empty conversation of `owner`; their oldest ones past MAX_CONVERSATIONS are deleted."""
    conversation = secrets.token_hex(16)
    now = _now()
    with _transaction(db) as con:
        con.execute(
            "INSERT INTO conversations (id, owner, title, created, updated) VALUES (?, ?, ?, ?, ?)",
            (conversation, owner, _clean_title(title), now, now),
        )
        stale = [
            row[0]
            for row in con.execute(
                "SELECT id FROM conversations WHERE owner = ? ORDER BY updated DESC, rowid DESC LIMIT -1 OFFSET ?",
                (owner, MAX_CONVERSATIONS),
            )
        ]
        for old in stale:
            _remove(con, old)
    return conversation


def list_for(db: Path, owner: str) -> list[Conversation]:
    """Return `owner`'s conversations, the one with the latest turn first."""
    with _transaction(db, write=False) as con:
        rows = con.execute(
            "SELECT c.id, c.title, c.created, c.updated, (SELECT count(*) FROM turns t WHERE t.conversation = c.id) "
            "FROM conversations c WHERE c.owner = ? ORDER BY c.updated DESC, c.rowid DESC",
            (owner,),
        ).fetchall()
    return [Conversation(*row) for row in rows]


def open_turns(db: Path, owner: str, conversation: str) -> Opened:
    """Return the turns of `owner`'s conversation in order, leaving out (and naming) any that cannot be read."""
    with _transaction(db, write=False) as con:
        _check_owner(con, owner, conversation)
        rows = con.execute(
            "SELECT position, question, answer FROM turns WHERE conversation = ? ORDER BY position", (conversation,)
        ).fetchall()
    turns: list[Turn] = []
    unreadable = []
    for position, question, stored in rows:
        try:
            turns.append((question, from_json(stored)))
        except ValueError:
            unreadable.append(position)  # the others still open; the caller says how many were left out
    return Opened(turns, tuple(unreadable))


def load(db: Path, owner: str, conversation: str) -> list[Turn]:
    """Return the readable turns of `owner`'s conversation; raise ConversationNotFoundError if they have none such."""
    return open_turns(db, owner, conversation).turns


def append_turn(db: Path, owner: str, conversation: str, question: str, answer: Answer) -> None:
    """Store one more turn at the end of `owner`'s conversation; raise ConversationFullError past MAX_TURNS."""
    stored = to_json(answer)
    with _transaction(db) as con:
        _check_owner(con, owner, conversation)
        count, last = con.execute(
            "SELECT count(*), coalesce(max(position), -1) FROM turns WHERE conversation = ?", (conversation,)
        ).fetchone()
        if count >= MAX_TURNS:
            raise ConversationFullError()
        con.execute("INSERT INTO turns VALUES (?, ?, ?, ?)", (conversation, last + 1, question, stored))
        con.execute("UPDATE conversations SET updated = ? WHERE id = ?", (_now(), conversation))


def rename(db: Path, owner: str, conversation: str, title: str) -> None:
    """Give `owner`'s conversation a new title (its place in the list stays)."""
    title = _clean_title(title)
    with _transaction(db) as con:
        changed = con.execute(
            "UPDATE conversations SET title = ? WHERE id = ? AND owner = ?", (title, conversation, owner)
        ).rowcount
    if not changed:
        raise ConversationNotFoundError()


def delete(db: Path, owner: str, conversation: str) -> None:
    """Delete `owner`'s conversation and its turns."""
    with _transaction(db) as con:
        _check_owner(con, owner, conversation)
        _remove(con, conversation)


def delete_all(db: Path, owner: str) -> int:
    """Delete every conversation of `owner` (a removed account); return how many there were."""
    with _transaction(db) as con:
        ids = [row[0] for row in con.execute("SELECT id FROM conversations WHERE owner = ?", (owner,))]
        for conversation in ids:
            _remove(con, conversation)
    return len(ids)


def _clean_title(title: str) -> str:
    text = re.sub(r"\s+", " ", title or "").strip()
    if not text:
        raise ConversationError("A conversation's title cannot be empty: type one, then rename.")
    return text[:200]  # a pasted page is not a title; the list shows the first 60 characters anyway


def _check_owner(con: sqlite3.Connection, owner: str, conversation: str) -> None:
    found = con.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (conversation, owner)).fetchone()
    if found is None:
        raise ConversationNotFoundError()


def _remove(con: sqlite3.Connection, conversation: str) -> None:
    # Explicit, not only ON DELETE CASCADE: foreign keys are a per-connection setting another module may not turn on.
    con.execute("DELETE FROM turns WHERE conversation = ?", (conversation,))
    con.execute("DELETE FROM conversations WHERE id = ?", (conversation,))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@contextmanager
def _transaction(db: Path, write: bool = True) -> Iterator[sqlite3.Connection]:
    """Yield a connection to the accounts database `db` inside one transaction (store.connect), then close it.

    A writer takes the lock at once, so two appends never read the same last position.
    """
    try:
        with store.connect(db, write) as con:
            yield con
    except AccountError as exc:
        raise ConversationError(
            f"The conversation history cannot be read or saved ({exc}): tell the administrator."
        ) from exc
