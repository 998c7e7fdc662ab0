"""The Briefing note tab: topic and filters in, a cited note out (read, edit, download as DOCX/Markdown).

A thin adapter: the note comes from `assistant.briefing.draft`, its HTML from `note_html` below (a pure function,
tested directly), its files from `assistant.briefing.export`.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.briefing.draft import DEFAULT_QUESTIONS, NOT_COVERED, TEMPLATES, BriefingNote, draft_brief
from assistant.briefing.export import SOURCES, describe_filters, footnote_text, to_markdown, write_markdown
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.output import render
from assistant.ui.identity import record, require

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

EXAMPLE_TOPIC = "cooperation against migrant smuggling in the Eastern Partnership"
# Clicking [n] scrolls to footnote n inside this component and highlights it. Hrefs start "#brief-fn-",
# not "#src-", so the chat's document-wide citation handler (ui/style.py CITE_JS) leaves them alone.
NOTE_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest ? event.target.closest('a.brief-cite') : null;
  if (!link) return;
  event.preventDefault();
  const note = element.querySelector(link.getAttribute('href'));
  if (!note) return;
  element.querySelectorAll('li.active').forEach((li) => li.classList.remove('active'));
  note.classList.add('active');
  note.scrollIntoView({block: 'nearest', behavior: 'smooth'});
});
"""
NOTE_CSS = """
.brief-note {max-height: 640px; overflow-y: auto; padding: .2rem .6rem; line-height: 1.55;}
.brief-note h2 {margin: .2rem 0 .4rem;}
.brief-note h3 {margin: 1rem 0 .3rem;}
.brief-note .intro, .brief-note .gaps, .brief-note .sources, .brief-note .footnotes {font-size: .88em;}
.brief-note .intro {color: var(--body-text-color-subdued);}
.brief-note a.brief-cite {text-decoration: none; font-weight: 600; font-size: .8em; vertical-align: super;
  color: var(--color-accent); padding: 0 .1em; border-radius: 3px;}
.brief-note a.brief-cite:hover {background: var(--color-accent-soft);}
.brief-note .footnotes {border-top: 1px solid var(--border-color-primary); padding-top: .4rem;}
.brief-note .sources a.brief-cite {vertical-align: baseline; font-size: 1em;}
.brief-note .footnotes li.active {background: #fef3c7; border-radius: 4px;}
.brief-note .empty {color: var(--body-text-color-subdued);}
"""
PLACEHOLDER = '<div class="brief-note empty">Enter a topic and press <b>Draft note</b>.</div>'


# ---------------------------------------------------------------- pure functions


def note_html(note: BriefingNote) -> str:
    """Return the note as HTML: bullets with clickable [n] marks, gaps, sources and the footnotes."""
    e = html.escape
    quotes = {ref.n: " ".join(ref.quote.split()) for ref in note.references}
    parts = [f'<div class="brief-note"><h2>Briefing note: {e(note.topic)}</h2>']
    scope = describe_filters(note.filters)
    parts.append(
        f'<p class="intro">Drafted {e(note.drafted)} from {len(note.sources)} document(s)'
        + (f" ({e(scope)})" if scope else "")
        + ". Every statement is quoted from the documents; click a number to see the passage it quotes.</p>"
    )
    if not note.sections:
        parts.append('<p class="empty">The documents answer none of the sub-questions: see below.</p>')
    for section in note.sections:
        parts.append(f"<h3>{e(section.heading)}</h3><ul>")
        for bullet in section.bullets:
            sentences = []
            for s in bullet.statements:
                marks = "".join(
                    f'<a class="brief-cite" href="#brief-fn-{c.n}" title="{e(quotes[c.n], quote=True)}">[{c.n}]</a>'
                    for c in s.citations
                )
                sentences.append(f"{e(s.text)}{marks}")
            parts.append(f"<li>{' '.join(sentences)}</li>")
        parts.append("</ul>")
    if note.not_covered:
        parts.append(f'<h3>{NOT_COVERED}</h3><ul class="gaps">')
        parts += [f"<li><b>{e(g.heading)}</b> ({e(g.question)}): {e(g.reason)}</li>" for g in note.not_covered]
        parts.append("</ul>")
    if note.sources:
        parts.append(f'<h3>{SOURCES}</h3><ul class="sources">')
        for doc in note.sources:
            meta = ", ".join(render.meta_parts(doc.title or doc.source, doc.organisation, doc.date, None))
            notes = ", ".join(f'<a class="brief-cite" href="#brief-fn-{n}">{n}</a>' for n in doc.notes)
            parts.append(f"<li>{e(meta)} <code>{e(doc.source)}</code> (footnotes {notes})</li>")
        parts.append("</ul>")
    if note.references:
        parts.append('<ol class="footnotes">')
        parts += [f'<li id="brief-fn-{ref.n}" value="{ref.n}">{e(footnote_text(ref))}</li>' for ref in note.references]
        parts.append("</ol>")
    parts.append("</div>")
    return "".join(parts)


def note_summary(note: BriefingNote) -> str:
    """Return one Markdown line counting what the note holds."""
    statements = len(note.statements)
    gaps = f"; not covered: {', '.join(g.heading for g in note.not_covered)}" if note.not_covered else ""
    return (
        f"**{len(note.sections)} sections**, {statements} statements, {len(note.references)} footnotes, "
        f"{len(note.sources)} sources{gaps}."
    )


def file_stem(markdown: str, today: dt.date | None = None) -> str:
    """Return a file name stem from the note's title line: "briefing-note-migrant-smuggling-2026-11-23"."""
    first = next((line for line in markdown.splitlines() if line.strip()), "")
    title = re.sub(r"^#+\s*(briefing note:)?", "", first.strip(), flags=re.I)
    slug = "-".join(re.findall(r"[a-z0-9]+", title.lower()))[:60].strip("-")
    return "-".join(p for p in ("briefing-note", slug, (today or dt.date.today()).isoformat()) if p)


# ---------------------------------------------------------------- the tab


@dataclass
class BriefTab:
    """The tab's components; the app may refresh the filter choices after an upload."""

    topic: gr.Textbox
    questions: gr.Slider
    documents: gr.Dropdown
    organisations: gr.Dropdown
    years: gr.Dropdown
    draft: gr.Button
    status: gr.Markdown
    note: gr.HTML
    markdown: gr.Textbox
    download_docx: gr.DownloadButton
    download_md: gr.DownloadButton


def build_brief_tab(settings: Settings, assistant: Assistant) -> BriefTab:
    """Create the Briefing note tab's components inside the current `gr.Blocks()` (or `gr.Tab`) context."""
    scratch = Path(tempfile.mkdtemp(prefix="assistant-briefs-"))

    gr.Markdown(
        "Draft a **briefing note** on a topic: the assistant asks the documents about its background, facts "
        "and figures, actors, actions, recommendations and open issues, and keeps only statements it could "
        "verify against a quoted passage. Edit the Markdown, then download it as Word or Markdown."
    )
    with gr.Row(equal_height=True):
        topic = gr.Textbox(
            label="Topic", placeholder=f"e.g. {EXAMPLE_TOPIC}", scale=5, max_lines=2, elem_id="brief-topic"
        )
        questions = gr.Slider(1, len(TEMPLATES), value=DEFAULT_QUESTIONS, step=1, label="Sub-questions", scale=2)
        draft = gr.Button("Draft note", variant="primary", scale=1, min_width=140, elem_id="brief-draft")
    with gr.Accordion("Filters", open=False), gr.Row():
        # Filled per user when the page loads (blocks.py): no document the user may not read is named in the page.
        documents = gr.Dropdown([], multiselect=True, value=[], label="Documents")
        organisations = gr.Dropdown([], multiselect=True, value=[], label="Organisations")
        years = gr.Dropdown([], multiselect=True, value=[], label="Years")
    status = gr.Markdown(elem_id="brief-status")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            note = gr.HTML(PLACEHOLDER, js_on_load=NOTE_JS, css_template=NOTE_CSS, elem_id="brief-note")
        with gr.Column(scale=2):
            markdown = gr.Textbox(
                label="Edit the note (Markdown; downloads follow your edits)",
                lines=22,
                max_lines=40,
                interactive=True,
                elem_id="brief-markdown",
            )
            with gr.Row():
                download_docx = gr.DownloadButton("Word (.docx)", interactive=False, size="sm", elem_id="brief-docx")
                download_md = gr.DownloadButton("Markdown (.md)", interactive=False, size="sm", elem_id="brief-md")

    def run(
        topic_value: str,
        n: float,
        docs: list[str] | None,
        orgs: list[str] | None,
        yrs: list[str] | None,
        request: gr.Request | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio injects progress through this default)
    ) -> tuple[str, str, str]:
        user = require(settings, request, "brief", "Drafting briefing notes")
        record(settings, user, "brief", (topic_value or "")[:200])
        progress(0, desc="Planning sub-questions")

        def step(done: int, total: int, what: str) -> None:
            progress((done, total), desc=f"Answering: {what}", unit="questions")

        try:
            filters = render.make_filters(docs, orgs, yrs)
            drafted = draft_brief(assistant, topic_value, questions=int(n), filters=filters, progress=step, user=user)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return note_summary(drafted), note_html(drafted), to_markdown(drafted)

    def files(text: str) -> tuple[Any, Any]:
        """Write the (edited) Markdown as DOCX and .md; return the download buttons pointing at them."""
        if not (text or "").strip():
            return gr.DownloadButton(value=None, interactive=False), gr.DownloadButton(value=None, interactive=False)
        folder = scratch / uuid.uuid4().hex  # one folder per version: two users never share a file
        folder.mkdir()
        stem = file_stem(text)
        try:
            docx_path = write_markdown(text, folder / f"{stem}.docx")
            md_path = write_markdown(text, folder / f"{stem}.md")
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return gr.DownloadButton(value=str(docx_path), interactive=True), gr.DownloadButton(
            value=str(md_path), interactive=True
        )

    inputs = [topic, questions, documents, organisations, years]
    outputs = [status, note, markdown]
    # One note at a time: a note is six answers, and the CPU is shared with the chat's users.
    for trigger in (draft.click, topic.submit):
        trigger(run, inputs, outputs, concurrency_limit=1, concurrency_id="brief")
    markdown.change(files, [markdown], [download_docx, download_md], trigger_mode="always_last")
    return BriefTab(
        topic, questions, documents, organisations, years, draft, status, note, markdown, download_docx, download_md
    )
