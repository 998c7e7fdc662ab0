"""The Documents tab: the documents the signed-in user may read, and uploads with the readers the uploader picks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.config import Settings
from assistant.ingest.uploads import UPLOAD_SUFFIXES
from assistant.output import render


@dataclass
class DocumentsTab:
    summary: gr.Markdown
    table: gr.Dataframe
    readers: gr.Dropdown
    upload: gr.File
    status: gr.HTML
    upload_box: gr.Column  # staff and above (shown by blocks.Callbacks.show_user)


def build_documents_tab(settings: Settings) -> DocumentsTab:
    """Lay out the tab; its table and choices are filled per user when the page loads (none are in the page)."""
    summary = gr.Markdown(render.documents_summary([]), elem_id="library-summary")
    table = gr.Dataframe(
        value=render.documents_rows([]),
        headers=render.DOCUMENT_COLUMNS,
        interactive=False,
        wrap=True,
        elem_id="library-table",
        column_widths=["40%", "18%", "10%", "8%", "9%", "15%"],
        max_height=380,
    )
    kinds = ", ".join(s.lstrip(".").upper() for s in UPLOAD_SUFFIXES)
    with gr.Column(elem_id="upload-box", visible=False) as upload_box:  # shown on load to those who may upload
        gr.Markdown(
            f"**Add documents** ({kinds}, up to {settings.max_upload_mb} MB each): they are indexed at once "
            "and can be asked about as soon as the upload finishes."
        )
        readers = gr.Dropdown(
            [],
            value=[],
            multiselect=True,
            label="Who may read them",
            info="Leave empty for everyone; pick groups to restrict the files to their members (and admins).",
            elem_id="upload-groups",
        )
        # No file_types filter here: refused files reach add_uploads, which says why in words.
        upload = gr.File(file_count="multiple", type="filepath", label="Upload", elem_id="upload")
        status = gr.HTML(elem_id="upload-status")
    return DocumentsTab(summary, table, readers, upload, status, upload_box)


def library_view(docs: list[dict[str, Any]], readers: list[str]) -> tuple[Any, ...]:
    """Return the tab's summary, table, the upload readers' choices, and the Ask and Briefing tabs' filter choices."""
    files, orgs, years = render.filter_choices(docs)
    choices = (gr.Dropdown(choices=files), gr.Dropdown(choices=orgs), gr.Dropdown(choices=years))
    return (
        render.documents_summary(docs),
        render.documents_rows(docs),
        gr.Dropdown(choices=readers),
        *choices,
        *choices,
    )
