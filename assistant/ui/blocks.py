"""The Gradio app: Blocks wiring only. HTML comes from assistant.output.render, files from export and uploads."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.accounts.readers import check_readers, reader_choices
from assistant.accounts.roles import LOCAL_USER, may
from assistant.config import RETRIEVAL_MODES, Settings
from assistant.errors import AssistantError
from assistant.ingest.uploads import add_uploads
from assistant.output import render
from assistant.output.export import to_docx, to_markdown
from assistant.pipeline import Assistant
from assistant.types import Turn
from assistant.ui.brief_tab import build_brief_tab
from assistant.ui.documents_tab import build_documents_tab, library_view
from assistant.ui.eval_tab import build_eval_tab
from assistant.ui.history_panel import HistoryCallbacks, build_history_panel
from assistant.ui.identity import current_user, record, require
from assistant.ui.login_page import signed_in_html
from assistant.ui.sources import page_panel, source_link
from assistant.ui.style import CITE_JS
from assistant.ui.web import serve
from assistant.ui.web_gate import SESSION_COOKIE, logout_token

EXAMPLE_QUESTIONS = (
    "What are the four pillars of IOM's approach to counter migrant smuggling?",
    "How many migrant deaths were recorded in 2016?",
    "Who co-hosted the Expert Meeting in Kyiv?",
)
STREAM_PAUSE_S = 0.06  # between statements, so that the answer visibly builds up rather than jumps in
PASSAGES_RANGE = (3, 30)
CURRENT_ANSWER, WHOLE_CONVERSATION = "Current answer", "Whole conversation"


def chat_messages(turns: list[Turn]) -> list[dict[str, str]]:
    """Return the Chatbot's messages for a conversation."""
    messages = []
    for i, (question, answer) in enumerate(turns):
        messages.append({"role": "user", "content": render.question_html(question)})
        messages.append({"role": "assistant", "content": render.answer_html(answer, i)})
    return messages


class Callbacks:
    """The event handlers: thin adapters from widget values to the assistant and back to HTML.

    Per-user data arrives as arguments (gr.State, widget values); only shared things live here.
    """

    def __init__(self, settings: Settings, assistant: Assistant) -> None:
        self.settings = settings
        self.assistant = assistant
        self.scratch = Path(tempfile.mkdtemp(prefix="assistant-exports-"))

    def ask(
        self,
        question: str,
        turns: list[Turn],
        sources: list[str] | None,
        orgs: list[str] | None,
        years: list[str] | None,
        mode: str,
        k: float,
        answerer: str,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, Any, Any]]:
        """Yield (chat messages, turns, question box) as the answer arrives, statement by statement."""
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip()
            return
        record(self.settings, require(self.settings, request, "ask", "Asking questions"), "ask", question[:200])
        asked = [*chat_messages(turns), {"role": "user", "content": render.question_html(question)}]

        def reply(html: str) -> list[dict[str, str]]:
            return [*asked, {"role": "assistant", "content": html}]

        yield reply(render.pending_html()), turns, ""
        try:
            with self.assistant.gate:  # shared with the API: at most concurrency_limit answers computed at once
                answer = self.assistant.ask(
                    question,
                    mode=mode,
                    filters=render.make_filters(sources, orgs, years),
                    history=[q for q, _ in turns],
                    answerer=answerer,
                    k=int(k),
                    user=current_user(self.settings, request),
                )
        except AssistantError as exc:
            yield reply(render.error_html(str(exc))), turns, question  # give the question back to correct it
            return
        for upto in range(1, 0 if answer.abstained else len(answer.statements)):
            yield reply(render.answer_html(answer, len(turns), upto=upto)), turns, ""
            time.sleep(STREAM_PAUSE_S)
        turns = [*turns, (question, answer)]
        yield chat_messages(turns), turns, ""

    def show_source(self, turns: list[Turn], event: gr.EventData) -> str:
        """Return the source panel for the citation link that was clicked."""
        ref = render.parse_ref(str(getattr(event, "ref", "")))
        return render.source_html(
            turns,
            ref,
            lambda chunk: source_link(chunk, self.settings.corpus_dir),
            lambda chunk, start, end: page_panel(chunk, start, end, self.settings),
        )

    @staticmethod
    def pick_example(event: gr.SelectData) -> str:
        value = event.value
        return str(value.get("text", "") if isinstance(value, dict) else value)

    def export(self, turns: list[Turn], scope: str, fmt: str, request: gr.Request | None = None) -> str | None:
        """Return the path of a Markdown or DOCX file holding the current answer or the conversation."""
        user = require(self.settings, request, "export", "Exporting answers")
        if not turns:
            gr.Warning("Nothing to export yet: ask a question first.")
            return None
        chosen = turns if scope == WHOLE_CONVERSATION else turns[-1:]
        stem = ("answer" if scope != WHOLE_CONVERSATION else "conversation") + f"-{dt.date.today().isoformat()}"
        folder = self.scratch / uuid.uuid4().hex  # one folder per export: two users never share a file
        folder.mkdir()
        path = folder / f"{stem}.{fmt}"
        if fmt == "md":
            path.write_text(to_markdown(chosen), encoding="utf-8")
        else:
            path.write_bytes(to_docx(chosen))
        record(self.settings, user, "export", f"{path.name}, {len(chosen)} answer(s)")
        return str(path)

    def export_md(self, turns: list[Turn], scope: str, request: gr.Request) -> str | None:
        return self.export(turns, scope, "md", request)

    def export_docx(self, turns: list[Turn], scope: str, request: gr.Request) -> str | None:
        return self.export(turns, scope, "docx", request)

    def refresh_library(self, request: gr.Request | None = None) -> tuple[Any, ...]:
        """Return the Documents tab's summary, table and readers' choices, and the filters' choices, as indexed
        now: only the documents the signed-in user may read."""
        user = current_user(self.settings, request)
        known = {g for groups in self.assistant.restricted().values() for g in groups}
        return library_view(self.assistant.documents(user), reader_choices(user, known))

    # gr.Progress() as the default value is how Gradio knows to pass a progress tracker.
    def add_files(
        self,
        paths: list[str] | None,
        readers: list[str] | None,
        request: gr.Request | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        """Store and index uploaded files; return the status, the refreshed library and an empty upload box."""
        user = require(self.settings, request, "upload", "Uploading documents")
        files = [(Path(p), Path(p).name) for p in paths or []]
        if not files:
            return (gr.skip(),) * 11
        record(self.settings, user, "upload", ", ".join(name for _, name in files))
        progress(0, desc="Checking files")

        def step(done: int, total: int, what: str) -> None:
            progress((done, total), desc=f"Indexing ({what})", unit="passages")

        try:
            groups = check_readers(user, readers or ())
            result = add_uploads(files, self.settings, progress=step, groups=groups)
        except AssistantError as exc:
            return (render.upload_status_html([], [("upload", str(exc))]), *(gr.skip(),) * 9, None)
        if result.stored:
            self.assistant.reload()  # searchable from the next question on, for every user who may read it
        status = render.upload_status_html(result.stored, result.rejected, result.partial)
        return (status, *self.refresh_library(request), None)

    def show_user(self, request: gr.Request) -> tuple[Any, ...]:
        """Return the header's signed-in line and the visibility of the Briefing tab, the Eval tab and uploads."""
        user = current_user(self.settings, request)
        session_id = request.cookies.get(SESSION_COOKIE, "") if user is not LOCAL_USER else ""
        line = "" if user is LOCAL_USER else signed_in_html(user, logout_token(session_id) if session_id else None)
        return (
            line,
            gr.Tab(visible=may(user, "brief")),
            gr.Tab(visible=may(user, "eval")),
            gr.Column(visible=may(user, "upload")),
        )

    @staticmethod
    def new_conversation() -> tuple[Any, ...]:
        return [], [], render.source_placeholder_html(), None, ""


@dataclass
class AskTab:
    chatbot: gr.Chatbot
    question: gr.Textbox
    ask: gr.Button
    new: gr.Button
    scope: gr.Radio
    export_md: gr.Button
    export_docx: gr.Button
    exported: gr.File
    source: gr.HTML
    documents: gr.Dropdown
    organisations: gr.Dropdown
    years: gr.Dropdown
    mode: gr.Radio
    k: gr.Slider
    answerer: gr.Radio


def _ask_tab(settings: Settings) -> AskTab:
    answerers = ["extractive"] + (["generative"] if settings.generator_base_url else [])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chatbot = gr.Chatbot(
                elem_id="chat",
                label="Conversation",
                show_label=False,
                height=540,
                placeholder="**Ask about the documents in the library.** Try one of these:",
                examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
                # No copy buttons: they would copy the message's HTML; Export gives clean text instead.
                feedback_options=None,
                buttons=[],
                line_breaks=False,
                latex_delimiters=[],
            )
            with gr.Row(equal_height=True, elem_id="ask-row"):
                question = gr.Textbox(
                    elem_id="question",
                    show_label=False,
                    scale=6,
                    max_lines=4,
                    autofocus=True,
                    placeholder="Ask a question about the documents…",
                )
                ask = gr.Button("Ask", variant="primary", scale=0, min_width=100, elem_id="ask-button")
                new = gr.Button("New conversation", scale=0, min_width=190, elem_id="new-conversation")
        with gr.Column(scale=2, min_width=320):
            source = gr.HTML(render.source_placeholder_html(), js_on_load=CITE_JS, elem_id="source-panel")
            with gr.Accordion("Export", open=False, elem_id="export"):
                scope = gr.Radio(
                    [CURRENT_ANSWER, WHOLE_CONVERSATION], value=CURRENT_ANSWER, show_label=False, elem_id="export-scope"
                )
                with gr.Row():
                    export_md = gr.Button("Markdown (.md)", size="sm", elem_id="export-md")
                    export_docx = gr.Button("Word (.docx)", size="sm", elem_id="export-docx")
                exported = gr.File(label="Download", interactive=False, elem_id="export-file")
            with gr.Accordion("Filters", open=False, elem_id="filters"):
                # Choices are the user's own documents, filled when the page loads: none are written into the page.
                documents = gr.Dropdown([], multiselect=True, value=[], label="Documents")
                organisations = gr.Dropdown([], multiselect=True, value=[], label="Organisations")
                years = gr.Dropdown([], multiselect=True, value=[], label="Years")
            with gr.Accordion("Settings", open=False, elem_id="settings"):
                mode = gr.Radio(list(RETRIEVAL_MODES), value=settings.retrieval_mode, label="Retrieval mode")
                k = gr.Slider(*PASSAGES_RANGE, step=1, value=settings.top_k, label="Passages retrieved")
                answerer = gr.Radio(
                    answerers,
                    label="Answerer",
                    value=settings.answerer if settings.answerer in answerers else "extractive",
                    info=None
                    if settings.generator_base_url
                    else "Generative answers need generator_base_url in assistant.toml.",
                )
    return AskTab(
        chatbot,
        question,
        ask,
        new,
        scope,
        export_md,
        export_docx,
        exported,
        source,
        documents,
        organisations,
        years,
        mode,
        k,
        answerer,
    )


def build_ui(settings: Settings, assistant: Assistant) -> gr.Blocks:
    """Return the app's Blocks; `assistant` (index and models, loaded once) is shared by every session."""
    cb = Callbacks(settings, assistant)
    with gr.Blocks(title="Policy-question assistant", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        turns = gr.State([])
        gr.HTML(
            '<div class="app-header"><h1>Policy-question assistant</h1><p>Answers drawn only from the documents in '
            "the library. Every statement cites its source: click a number to read the passage.</p></div>"
        )
        signed_in = gr.HTML(elem_id="signed-in")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"), gr.Row(equal_height=False):
                history = build_history_panel()
                with gr.Column(scale=5):
                    tab = _ask_tab(settings)
            with gr.Tab("Briefing note", id="brief") as brief_tab:  # staff and above
                brief = build_brief_tab(settings, assistant)
            with gr.Tab("Documents", id="documents"):
                documents = build_documents_tab(settings)
            with gr.Tab("Eval", id="eval") as eval_tab:  # evaluators and admins
                build_eval_tab(settings, assistant)

        ask_inputs = [tab.question, turns, tab.documents, tab.organisations, tab.years, tab.mode, tab.k, tab.answerer]
        ask_outputs = [tab.chatbot, turns, tab.question]
        asked = [tab.question.submit(cb.ask, ask_inputs, ask_outputs), tab.ask.click(cb.ask, ask_inputs, ask_outputs)]
        example = tab.chatbot.example_select(cb.pick_example, None, tab.question)
        asked.append(example.then(cb.ask, ask_inputs, ask_outputs))
        tab.source.cite(cb.show_source, [turns], tab.source)  # a custom event, fired by CITE_JS
        tab.new.click(cb.new_conversation, None, [tab.chatbot, turns, tab.source, tab.exported, tab.question])
        # The chat's own trash icon empties the messages; the conversation state must follow.
        tab.chatbot.clear(lambda: cb.new_conversation()[1:], None, [turns, tab.source, tab.exported, tab.question])
        tab.export_md.click(cb.export_md, [turns, tab.scope], tab.exported)
        tab.export_docx.click(cb.export_docx, [turns, tab.scope], tab.exported)
        d = documents
        filters = [tab.documents, tab.organisations, tab.years, brief.documents, brief.organisations, brief.years]
        library_outputs = [d.summary, d.table, d.readers, *filters]
        # One writer at a time: ingest holds the index lock anyway, and embedding needs the CPU.
        d.upload.upload(
            cb.add_files, [d.upload, d.readers], [d.status, *library_outputs, d.upload], concurrency_limit=1
        )
        demo.load(cb.refresh_library, None, library_outputs)
        hidden = lambda user: assistant.access.hidden(assistant.current_retriever().index.manifest, user)  # noqa: E731
        history.wire(demo, HistoryCallbacks(settings, chat_messages, hidden), asked, turns, tab)  # stores each answer
        # Hiding is for the eye only: each of those callbacks checks the user's rights again (identity.require).
        demo.load(cb.show_user, None, [signed_in, brief_tab, eval_tab, d.upload_box])
    return demo


def launch(demo: gr.Blocks, settings: Settings, assistant: Assistant) -> None:
    """Serve `demo` with sign-in, the queue and the limits from `settings`; blocks until interrupted."""
    serve(demo, settings, assistant)
