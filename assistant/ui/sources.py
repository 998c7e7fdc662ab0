"""What the source panel links and shows from disk: corpus files (never outside the corpus), PDF pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote as url_quote

from assistant.config import Settings
from assistant.output.page_html import page_html, page_note_html
from assistant.output.page_view import PageViewError, page_view
from assistant.types import Chunk


def corpus_file(chunk: Chunk, corpus_dir: Path) -> Path | None:
    """Return the chunk's source file when it lies inside the corpus folder, else None (never a path outside)."""
    corpus = corpus_dir.resolve()
    path = (corpus / chunk.source).resolve()
    return path if corpus in path.parents and path.is_file() else None


def file_url(path: Path) -> str:
    """Return the URL under which Gradio serves `path` (it must lie in one of launch's allowed_paths)."""
    return "gradio_api/file=" + url_quote(str(path))


def source_link(chunk: Chunk, corpus_dir: Path) -> str | None:
    """Return the source's URL, or a link to the file served from the corpus folder (and nowhere else)."""
    if chunk.url:
        return chunk.url
    path = corpus_file(chunk, corpus_dir)
    return file_url(path) if path else None


def page_images_dir(settings: Settings) -> Path:
    """Return the folder of cached page images (beside the index generations, which leave it alone)."""
    return settings.index_dir.resolve() / "page-images"


def quote_pages(chunk: Chunk, start: int, end: int) -> list[int]:
    """Return the pages to search for `chunk.text[start:end]`, the one it starts on first; [] when unpaged."""
    first, last = chunk.page_of(start), chunk.page_of(max(start, end - 1))
    if first is None or last is None:
        return []
    # A chunk from an index built before chunks kept their page breaks (chunker 1) has none, though it may
    # run onto the next page: that page is searched too, after the one the citation names.
    return list(range(first, last + (1 if chunk.page_starts else 2)))


def page_panel(chunk: Chunk, start: int, end: int, settings: Settings) -> str:
    """Return the HTML of the PDF page that `chunk.text[start:end]` stands on, highlighted; "" for other sources."""
    path = corpus_file(chunk, settings.corpus_dir)
    pages = quote_pages(chunk, start, end)
    if path is None or path.suffix.lower() != ".pdf" or not pages:
        return ""
    try:
        view = page_view(path, pages, chunk.text[start:end], page_images_dir(settings))
    except PageViewError as exc:
        return page_note_html(str(exc))
    return page_html(file_url(view.image), view.page, view.pages, view.boxes, view.text_from, view.aspect)
