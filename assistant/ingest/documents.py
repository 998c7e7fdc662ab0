"""What every loader shares: the cleaning of a block of text, and the Document built from it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from assistant.ingest import cleaning
from assistant.ingest.catalog import CatalogEntry
from assistant.types import Document


def clean_block(text: str) -> str:
    """Return `text` normalised, unwrapped and without repeated paragraphs (the loaders' common cleaning)."""
    text = cleaning.normalise(text)
    text = cleaning.strip_markdown(text)
    text = cleaning.join_hyphenated(text)
    text = cleaning.collapse_whitespace(text)
    text = cleaning.unwrap_lines(text)
    return cleaning.drop_repeated_paragraphs(text)


def with_title(entry: CatalogEntry, title: str) -> CatalogEntry:
    """Return `entry` with `title` when the catalog gave none (a file's own title is the fallback)."""
    if not title or entry.title:
        return entry
    return replace(entry, title=title)


def make_document(
    source: str,
    entry: CatalogEntry,
    kind: str,
    text: str,
    page_spans: tuple[int, ...] = (),
) -> Document:
    """Return the Document of `text`; its id hashes source, title and text, so any change re-indexes it."""
    title = entry.title or _first_line(text) or Path(source).stem
    digest = hashlib.sha256(f"{source}\n{title}\n{text}".encode()).hexdigest()[:16]
    return Document(
        id=digest,
        source=source,
        title=title,
        organisation=entry.organisation,
        date=entry.date,
        url=entry.url,
        kind=kind,
        text=text,
        page_spans=page_spans,
    )


def _first_line(text: str) -> str:
    line = text.split("\n", 1)[0].strip()
    return line if len(line) <= 150 else line[:147] + "..."
