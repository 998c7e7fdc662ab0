"""The Ask tab's conversation sidebar: the asker's stored conversations, to reopen, rename, delete and export.

Each answered question is stored after its answer, in the conversation the chat shows (created on its first
question). Whose conversations these are comes from `current_user` on every call; the owner check itself is in
`assistant.accounts.conversations`, so no request can reach another user's conversation through this panel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import gradio as gr

from assistant.accounts import conversations as store
from assistant.accounts.conversations import ConversationError, ConversationFullError, ConversationNotFoundError
from assistant.accounts.roles import User, may
from assistant.config import Settings
from assistant.output import render
from assistant.types import Turn
from assistant.ui.identity import current_user

Messages = Callable[[list[Turn]], list[dict[str, str]]]
Hidden = Callable[[User], frozenset[str]]
WITHHELD = "This answer quoted a document you may no longer read, so it is not shown; ask again for a current answer."


def withheld(turns: Sequence[Turn], hidden: frozenset[str]) -> list[Turn]:
    """Return `turns` with each answer that holds a passage of a `hidden` source replaced by an empty abstention.

    A stored answer was right for its asker when it was given; their access may have been withdrawn since.
    """
    if not hidden:
        return list(turns)
    kept = []
    for question, answer in turns:
        held = {h.chunk.source for h in answer.hits} | {c.source for s in answer.statements for c in s.citations}
        if held & hidden:
            answer = replace(answer, statements=(), hits=(), abstained=True, reason=WITHHELD)
        kept.append((question, answer))
    return kept


@dataclass(frozen=True, slots=True)
class Current:
    """The stored conversation the chat shows, and how many of the session's turns are stored already."""

    id: str
    saved: int


class ChatParts(Protocol):
    """The Ask tab's widgets the sidebar drives (blocks.AskTab has them)."""

    chatbot: gr.Chatbot
    question: gr.Textbox
    new: gr.Button
    source: gr.HTML
    exported: gr.File


@dataclass
class HistoryPanel:
    conversations: gr.Radio
    title: gr.Textbox
    rename: gr.Button
    delete: gr.Button
    confirm_row: gr.Row
    confirm_text: gr.Markdown
    confirm: gr.Button
    cancel: gr.Button
    current: gr.State  # Current | None: None until the first question of a new conversation is stored

    def wire(
        self, demo: gr.Blocks, cb: HistoryCallbacks, asks: Sequence[Any], turns: gr.State, chat: ChatParts
    ) -> None:
        """Store each answer after `asks` (the ask events) finish; wire the list, rename, delete and new."""
        listed = self.conversations
        for asked in asks:
            asked.then(cb.save, [self.current, turns], [self.current, listed])
        shown = [chat.chatbot, turns, self.current, chat.source, chat.exported, self.title, listed]
        listed.input(cb.open, [listed], shown)
        self.rename.click(cb.rename, [self.current, self.title], [listed, self.title])
        self.delete.click(cb.ask_delete, [self.current], [self.confirm_row, self.confirm_text])
        self.confirm.click(cb.delete, [self.current], [*shown, self.confirm_row])
        self.cancel.click(lambda: gr.Row(visible=False), None, self.confirm_row)
        for cleared in (chat.new.click, chat.chatbot.clear):  # blocks.py empties the chat; the sidebar follows
            cleared(cb.new, None, [self.current, listed, self.title, self.confirm_row])
        demo.load(cb.refresh, [self.current], listed)


def build_history_panel() -> HistoryPanel:
    """Lay out the sidebar (a column: the list, then rename and delete) and return its widgets."""
    with gr.Column(scale=1, min_width=230, elem_id="history"):
        conversations = gr.Radio(
            [], label="Conversations", info="Newest first; click one to reopen it.", elem_id="conversation-list"
        )
        with gr.Accordion("Rename or delete", open=False, elem_id="conversation-edit"):
            title = gr.Textbox(label="Title", max_lines=1, elem_id="conversation-title")
            with gr.Row():
                rename = gr.Button("Rename", size="sm", elem_id="conversation-rename")
                delete = gr.Button("Delete", size="sm", variant="stop", elem_id="conversation-delete")
            with gr.Row(visible=False, elem_id="conversation-confirm") as confirm_row:
                confirm_text = gr.Markdown()
                confirm = gr.Button("Yes, delete", size="sm", variant="stop", elem_id="conversation-delete-yes")
                cancel = gr.Button("Cancel", size="sm", elem_id="conversation-delete-no")
    return HistoryPanel(
        conversations, title, rename, delete, confirm_row, confirm_text, confirm, cancel, gr.State(None)
    )


def label(conversation: store.Conversation) -> str:
    """Return the list's line for a conversation: its title and when it was last used, in this server's time."""
    when = dt.datetime.fromisoformat(conversation.updated).astimezone()
    return f"{conversation.title} · {render.format_date(when.date().isoformat())} {when:%H:%M}"


class HistoryCallbacks:
    """The sidebar's handlers; each takes the Gradio request last and acts for the user who made it."""

    def __init__(self, settings: Settings, messages: Messages, hidden: Hidden | None = None) -> None:
        self.db = settings.accounts_path
        self.settings = settings
        self.messages = messages  # blocks.chat_messages: the chat's messages for a list of turns
        self.hidden = hidden  # the sources a user may not read now (None: every user reads every document)

    def _user(self, request: gr.Request | None) -> User | None:
        user = current_user(self.settings, request)
        return user if may(user, "history") else None

    def _listed(self, user: User | None, selected: str | None) -> Any:
        if user is None:
            return gr.Radio(choices=[], value=None)
        try:
            choices = [(label(c), c.id) for c in store.list_for(self.db, user.name)]
        except ConversationError as exc:
            gr.Warning(str(exc))
            return gr.skip()
        return gr.Radio(choices=choices, value=selected if selected in {v for _, v in choices} else None)

    def refresh(self, current: Current | None, request: gr.Request) -> Any:
        """Return the list of the user's conversations, the one shown selected."""
        return self._listed(self._user(request), current.id if current else None)

    def save(self, current: Current | None, turns: list[Turn], request: gr.Request) -> tuple[Any, Any]:
        """Store the chat's turns not stored yet; return the conversation state and the refreshed list."""
        user = self._user(request)
        saved = current.saved if current else 0
        if user is None or len(turns) <= saved:  # nothing new: the question was refused or failed
            return gr.skip(), gr.skip()
        try:
            conversation = current.id if current else store.create(self.db, user.name, store.title_from(turns[0][0]))
            for question, answer in turns[saved:]:
                try:
                    store.append_turn(self.db, user.name, conversation, question, answer)
                except (ConversationFullError, ConversationNotFoundError) as exc:
                    # Full, or deleted meanwhile in another tab: the chat goes on, stored as a new conversation.
                    conversation = store.create(self.db, user.name, store.title_from(question))
                    store.append_turn(self.db, user.name, conversation, question, answer)
                    gr.Info(f"{exc} This question was saved as a new one.")
        except ConversationError as exc:
            gr.Warning(f"Not saved to your conversations: {exc}")
            return gr.skip(), gr.skip()
        return Current(conversation, len(turns)), self._listed(user, conversation)

    def open(self, conversation: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Return the chat, turns, state, source panel, download, title box and list for the picked conversation."""
        user = self._user(request)
        if user is None or not conversation:
            return (gr.skip(),) * 7
        try:
            opened = store.open_turns(self.db, user.name, conversation)
            title = next((c.title for c in store.list_for(self.db, user.name) if c.id == conversation), "")
        except ConversationError as exc:
            gr.Warning(str(exc))
            return (*(gr.skip(),) * 6, self._listed(user, None))
        if opened.unreadable:
            gr.Warning(f"{len(opened.unreadable)} stored answer(s) of this conversation could not be read: left out.")
        turns = withheld(opened.turns, self.hidden(user) if self.hidden else frozenset())
        state = Current(conversation, len(turns))
        return self.messages(turns), turns, state, render.source_placeholder_html(), None, title, gr.skip()

    def rename(self, current: Current | None, title: str, request: gr.Request) -> tuple[Any, Any]:
        """Rename the conversation shown; return the list and the title box."""
        user = self._user(request)
        if user is None or current is None:
            gr.Warning("Open a conversation first (or ask a question to start one), then rename it.")
            return gr.skip(), gr.skip()
        try:
            store.rename(self.db, user.name, current.id, title)
        except ConversationError as exc:
            gr.Warning(str(exc))
            return self._listed(user, current.id), gr.skip()
        return self._listed(user, current.id), " ".join(title.split())

    def ask_delete(self, current: Current | None, request: gr.Request) -> tuple[Any, Any]:
        """Return the confirmation row, shown, naming the conversation that Delete would delete."""
        user = self._user(request)
        try:
            found = [c for c in store.list_for(self.db, user.name) if current and c.id == current.id] if user else []
        except ConversationError as exc:
            gr.Warning(str(exc))
            return gr.Row(visible=False), gr.skip()
        if not found:
            gr.Warning("Open a conversation first, then delete it.")
            return gr.Row(visible=False), gr.skip()
        questions = f"{found[0].turns} question{'s' if found[0].turns != 1 else ''}"
        return gr.Row(visible=True), f"Delete **{found[0].title}** and its {questions}? This cannot be undone."

    def delete(self, current: Current | None, request: gr.Request) -> tuple[Any, ...]:
        """Delete the conversation shown; return an empty chat (as New conversation does), the list, the row hidden."""
        user = self._user(request)
        hidden = gr.Row(visible=False)
        if user is None or current is None:
            return (*(gr.skip(),) * 7, hidden)
        try:
            store.delete(self.db, user.name, current.id)
        except ConversationError as exc:
            gr.Warning(str(exc))
            return (*(gr.skip(),) * 6, self._listed(user, None), hidden)
        return [], [], None, render.source_placeholder_html(), None, "", self._listed(user, None), hidden

    @staticmethod
    def new() -> tuple[Any, ...]:
        """Return a cleared state, list selection and title box, the confirmation hidden: nothing is stored yet."""
        return None, gr.Radio(value=None), "", gr.Row(visible=False)
